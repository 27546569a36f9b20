"""A lead is kept once per contact and product: two composite unique indexes (one for emails, one for phones;
NULLs never collide), so concurrent captures of one contact cannot both insert."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T08:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "lead unique per contact and product"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)

    async def create_indexes():
        from windsurf.catalog.tables import Lead

        await Lead.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS lead_product_email_key ON lead (creator_id, product_id, email)"
        )
        await Lead.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS lead_product_phone_key ON lead (creator_id, product_id, phone)"
        )

    async def drop_indexes():
        from windsurf.catalog.tables import Lead

        await Lead.raw("DROP INDEX IF EXISTS lead_product_email_key")
        await Lead.raw("DROP INDEX IF EXISTS lead_product_phone_key")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager

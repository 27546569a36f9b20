"""One row per file of a grant, and the buyer's library: a read-only policy by the buyer's key (PostgreSQL)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T08:14:47:000000"
VERSION = "1.38.0"
DESCRIPTION = "grant files unique per grant, the buyer library policy"

BUYER = "nullif(current_setting('windsurf.buyer_key', true), '')"
POLICIES = [
    "DROP POLICY IF EXISTS buyer_library ON delivery_grant",
    f"CREATE POLICY buyer_library ON delivery_grant FOR SELECT USING (buyer_key = {BUYER})",
    "DROP POLICY IF EXISTS buyer_library ON delivery_grant_file",
    "CREATE POLICY buyer_library ON delivery_grant_file FOR SELECT USING "
    f"(grant_id IN (SELECT id FROM delivery_grant WHERE buyer_key = {BUYER}))",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="delivery", description=DESCRIPTION)

    async def create():
        from windsurf.delivery.tables import Grant

        await Grant.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS delivery_grant_file_key ON delivery_grant_file (grant_id, file_id)"
        )
        if Grant._meta.db.engine_type == "postgres":
            for statement in POLICIES:
                await Grant.raw(statement)

    async def drop():
        from windsurf.delivery.tables import Grant

        await Grant.raw("DROP INDEX IF EXISTS delivery_grant_file_key")
        if Grant._meta.db.engine_type == "postgres":
            await Grant.raw("DROP POLICY IF EXISTS buyer_library ON delivery_grant")
            await Grant.raw("DROP POLICY IF EXISTS buyer_library ON delivery_grant_file")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

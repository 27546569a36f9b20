"""A product's slug is unique per creator: a composite unique index (Piccolo has no column option for it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T01:53:34:000000"
VERSION = "1.38.0"
DESCRIPTION = "slug unique per creator"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)

    async def create_index():
        from windsurf.catalog.tables import Product

        await Product.raw("CREATE UNIQUE INDEX IF NOT EXISTS product_creator_slug_key ON product (creator_id, slug)")

    async def drop_index():
        from windsurf.catalog.tables import Product

        await Product.raw("DROP INDEX IF EXISTS product_creator_slug_key")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager

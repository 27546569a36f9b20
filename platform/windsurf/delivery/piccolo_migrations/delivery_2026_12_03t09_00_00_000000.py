"""A grant's files belong to their grant: a foreign key, so a file row never outlives (or precedes) its grant."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from windsurf.core.schema import add_foreign_key, on_postgres, run_sql

ID = "2026-12-03T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "delivery_grant_file -> delivery_grant"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="delivery", description=DESCRIPTION)

    async def forwards_sql():
        await add_foreign_key("delivery_grant_file", "grant_id", "delivery_grant", "id")

    async def backwards_sql():
        if on_postgres():
            await run_sql(
                "ALTER TABLE delivery_grant_file DROP CONSTRAINT IF EXISTS delivery_grant_file_grant_id_fkey"
            )

    manager.add_raw(forwards_sql)
    manager.add_raw_backwards(backwards_sql)
    return manager

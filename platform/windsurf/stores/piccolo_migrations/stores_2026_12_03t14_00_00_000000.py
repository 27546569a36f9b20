"""A version of the store's profile (name, handle, bio), for optimistic concurrency: a profile save made from
an older version than the stored one is refused instead of silently overwriting the newer one."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from windsurf.core.schema import run_sql

ID = "2026-12-03T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "store.profile_version"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="stores", description=DESCRIPTION)

    async def add_version():
        await run_sql("ALTER TABLE store ADD COLUMN profile_version INTEGER NOT NULL DEFAULT 1")

    async def drop_version():
        await run_sql("ALTER TABLE store DROP COLUMN profile_version")

    manager.add_raw(add_version)
    manager.add_raw_backwards(drop_version)
    return manager

"""Phone accounts so far were verified by their SMS code: mark them so (after the columns exist; Piccolo runs a
migration's raw steps before its column changes)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from windsurf.core.schema import run_sql

ID = "2026-12-03T13:41:15:000000"
VERSION = "1.38.0"
DESCRIPTION = "phone accounts are verified"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="identity", description=DESCRIPTION)

    async def phone_accounts_were_verified():
        await run_sql(
            "UPDATE creator SET phone_verified_at = created_at WHERE phone IS NOT NULL AND phone_verified_at IS NULL"
        )

    manager.add_raw(phone_accounts_were_verified)
    return manager

"""Logging in by email now needs a verified address. Staff accounts made by ``windsurf create-staff`` before it
set one were vouched for by whoever ran the command: mark them verified, or staff could no longer log in."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from windsurf.core.schema import run_sql

ID = "2026-12-03T19:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff emails are verified"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="identity", description=DESCRIPTION)

    async def staff_emails_were_verified():
        await run_sql(
            "UPDATE creator SET email_verified_at = created_at "
            "WHERE is_staff AND email IS NOT NULL AND email_verified_at IS NULL"
        )

    manager.add_raw(staff_emails_were_verified)
    return manager

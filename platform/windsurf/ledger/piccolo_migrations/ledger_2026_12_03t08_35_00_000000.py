"""Staff may read payouts, their destinations and their audit trail across creators (PostgreSQL only).

Row-level security keeps every creator to their own rows; the staff review queue needs all of them. A second,
read-only policy admits rows while the transaction-local setting ``windsurf.staff_id`` is set, which only the
ledger service does, after checking that the account asking is staff. Writes still need the creator's own
setting: a staff decision acts for the payout's creator.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T08:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff read policy on payouts"
TABLES = ("payout", "payout_destination", "payout_event")
STAFF = "nullif(current_setting('windsurf.staff_id', true), '') IS NOT NULL"


async def staff_policies() -> None:
    engine = engine_finder()
    if engine is None or engine.engine_type != "postgres":
        return
    for table in TABLES:
        await engine.run_ddl(f'DROP POLICY IF EXISTS staff_review ON "{table}"')
        await engine.run_ddl(f'CREATE POLICY staff_review ON "{table}" FOR SELECT USING ({STAFF})')


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)
    manager.add_raw(staff_policies)
    return manager

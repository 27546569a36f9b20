"""The library's read-only policies (PostgreSQL) match either of a grant's buyer keys (email or phone).

Piccolo runs a migration's raw steps before its column changes, so this follows the migration adding the column.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from windsurf.core.schema import on_postgres, run_sql

ID = "2026-12-03T13:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "the library policies match phone_buyer_key too"

BUYER = "nullif(current_setting('windsurf.buyer_key', true), '')"
EITHER = f"(buyer_key = {BUYER} OR phone_buyer_key = {BUYER})"
POLICIES = [
    "DROP POLICY IF EXISTS buyer_library ON delivery_grant",
    f"CREATE POLICY buyer_library ON delivery_grant FOR SELECT USING {EITHER}",
    "DROP POLICY IF EXISTS buyer_library ON delivery_grant_file",
    "CREATE POLICY buyer_library ON delivery_grant_file FOR SELECT USING "
    f"(grant_id IN (SELECT id FROM delivery_grant WHERE {EITHER}))",
]
OLD_POLICIES = [
    "DROP POLICY IF EXISTS buyer_library ON delivery_grant",
    f"CREATE POLICY buyer_library ON delivery_grant FOR SELECT USING (buyer_key = {BUYER})",
    "DROP POLICY IF EXISTS buyer_library ON delivery_grant_file",
    "CREATE POLICY buyer_library ON delivery_grant_file FOR SELECT USING "
    f"(grant_id IN (SELECT id FROM delivery_grant WHERE buyer_key = {BUYER}))",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="delivery", description=DESCRIPTION)

    async def policies():
        if on_postgres():
            await run_sql(*POLICIES)

    async def old_policies():
        if on_postgres():
            await run_sql(*OLD_POLICIES)

    manager.add_raw(policies)
    manager.add_raw_backwards(old_policies)
    return manager

"""The checkout's uniqueness rules as composite unique indexes (Piccolo has no column option for them)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T08:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one order per submission, one order per payment, one code per name"

INDEXES = {
    "checkout_order_submission_key": "checkout_order (creator_id, submission_key)",
    "checkout_order_provider_reference_key": "checkout_order (provider, provider_reference)",
    "discount_code_creator_code_key": "discount_code (creator_id, code)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="checkout", description=DESCRIPTION)

    async def create_indexes():
        from windsurf.checkout.tables import Order

        for name, target in INDEXES.items():
            await Order.raw(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        from windsurf.checkout.tables import Order

        for name in INDEXES:
            await Order.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager

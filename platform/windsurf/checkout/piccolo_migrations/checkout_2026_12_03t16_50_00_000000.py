"""A refund belongs to its order: a foreign key (an order erased with its account takes its refunds along)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from windsurf.core.schema import add_foreign_key, on_postgres, run_sql

ID = "2026-12-03T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "checkout_refund.order_id -> checkout_order"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="checkout", description=DESCRIPTION)

    async def forwards_sql():
        await add_foreign_key("checkout_refund", "order_id", "checkout_order", "id")

    async def backwards_sql():
        if on_postgres():
            await run_sql("ALTER TABLE checkout_refund DROP CONSTRAINT IF EXISTS checkout_refund_order_id_fkey")

    manager.add_raw(forwards_sql)
    manager.add_raw_backwards(backwards_sql)
    return manager

"""An order's discount code is one of the store's codes: a foreign key; a deleted code leaves the order's amounts.

The order keeps what the code took off (``discount_santim``), so removing a code only forgets which one it was.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from windsurf.core.schema import add_foreign_key, on_postgres, run_sql

ID = "2026-12-03T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "checkout_order.discount_code_id -> discount_code"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="checkout", description=DESCRIPTION)

    async def forwards_sql():
        await add_foreign_key("checkout_order", "discount_code_id", "discount_code", "id", on_delete="SET NULL")

    async def backwards_sql():
        if on_postgres():
            await run_sql(
                "ALTER TABLE checkout_order DROP CONSTRAINT IF EXISTS checkout_order_discount_code_id_fkey"
            )

    manager.add_raw(forwards_sql)
    manager.add_raw_backwards(backwards_sql)
    return manager

"""An order remembers the language the buyer checked out in: their receipt and messages are written in it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T13:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "checkout_order.locale"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="checkout", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Order",
        tablename="checkout_order",
        column_name="locale",
        db_column_name="locale",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 2,
            "default": "am",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager

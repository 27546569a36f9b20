"""A buyer who gave both an email and a phone opens their library by either: the grant keys the phone too.

``phone_buyer_key`` is the keyed digest of the phone when the order had one beside an email (``buyer_key`` stays
the first contact's digest). The next migration makes the library's read-only policies match either key.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T13:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "delivery_grant.phone_buyer_key"

async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="delivery", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Grant",
        tablename="delivery_grant",
        column_name="phone_buyer_key",
        db_column_name="phone_buyer_key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager

"""What a buyer may download: one grant per paid order, the files it covers, and one-time library links.

Grants and their files are creator-owned (row-level security). The buyer's library reads grants across stores, so
on PostgreSQL ``delivery_grant`` has a second, read-only policy (see the migrations) that shows the rows whose
``buyer_key`` or ``phone_buyer_key`` is the transaction's ``windsurf.buyer_key`` setting: a keyed digest of a
contact the buyer proved they hold by opening a one-time link. ``library_link`` holds digests only; it names no creator.
"""

from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from windsurf.core.tenancy import creator_owned


@creator_owned
class Grant(Table, tablename="delivery_grant"):
    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    order_id = UUID(unique=True)  # one grant per order, however often "paid" is announced
    order_number = Varchar(length=12)
    product_id = UUID()
    product_title = Varchar(length=120)
    store_name = Varchar(length=120, default="")
    buyer_email = Varchar(length=254, null=True, default=None)
    buyer_phone = Varchar(length=16, null=True, default=None)
    locale = Varchar(length=2, default="am")  # the language the buyer checked out in: their messages use it
    buyer_key = Varchar(
        length=64, index=True
    )  # keyed digest of the buyer's contact (the library finds it by this): the email's when there is one
    phone_buyer_key = Varchar(
        length=64, null=True, default=None, index=True
    )  # the phone's digest when the buyer gave a phone beside an email: the library opens by either
    downloads = Integer(default=0)
    download_limit = Integer()
    revoked_at = Timestamptz(null=True, default=None)  # a refund ends access
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class GrantFile(Table, tablename="delivery_grant_file"):
    """A file the grant delivers, as it was when the order was paid; ``stamped_key`` once the PDF is stamped.

    ``grant_id`` references ``delivery_grant.id`` (ON DELETE CASCADE), a constraint the migration adds.
    """

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    grant_id = UUID(index=True)
    file_id = UUID()
    filename = Varchar(length=200)
    content_type = Varchar(length=100)
    storage_key = Varchar(length=300)
    stamped_key = Varchar(length=300, null=True, default=None)


class LibraryLink(Table, tablename="library_link"):
    """A one-time link to a buyer's library: the token's digest, whose purchases it opens, until when."""

    token_digest = Varchar(length=64, primary_key=True)
    buyer_key = Varchar(length=64)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)

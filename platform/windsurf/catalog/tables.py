"""Products, their downloadable files, and the leads a lead magnet captured. All creator-owned (RLS)."""

from piccolo.columns import JSONB, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from windsurf.core.tenancy import creator_owned


@creator_owned
class Product(Table, tablename="product"):
    """One product. ``(creator_id, slug)`` is unique, and ``(creator_id, visibility, position, created_at)`` lists
    a store page's products in order: indexes the migrations make (Piccolo declares one-column indexes only)."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    kind = Varchar(length=16)  # download | lead_magnet | link | coaching
    title = Varchar(length=120)
    slug = Varchar(length=80)
    description_md = Text(default="")
    description_html = Text(default="")  # rendered and sanitised once, on write
    price_santim = Integer(default=0)
    compare_at_santim = Integer(null=True, default=None)
    pwyw_min_santim = Integer(null=True, default=None)
    external_url = Varchar(length=500, default="")  # link products; a lead magnet's delivered link
    duration_minutes = Integer(null=True, default=None)  # coaching
    lead_field = Varchar(length=8, default="email")  # what a lead magnet asks for: email | phone
    cover = JSONB(null=True, default=None)  # [{"key", "width", "height"}, ...] smallest first
    visibility = Varchar(length=12, default="draft", index=True)  # draft | published | unlisted
    sales_limit = Integer(null=True, default=None)
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)  # bumped by every save of the product's fields; a stale save is refused


@creator_owned
class ProductFile(Table, tablename="product_file"):
    """A file a buyer receives, kept under a private storage key that no public route serves.

    ``product_id`` references ``product.id`` (ON DELETE CASCADE), a constraint the migration adds.
    """

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    product_id = UUID(index=True)
    storage_key = Varchar(length=300)
    filename = Varchar(length=200)
    content_type = Varchar(length=100)
    size_bytes = Integer()
    sha256 = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class Lead(Table, tablename="lead"):
    """An email or phone number a buyer left in exchange for a lead magnet. The creator owns the list, which
    outlives a deleted product: ``product_id`` is deliberately no foreign key. ``(creator_id, product_id, email)``
    and ``(creator_id, product_id, phone)`` are unique (migration indexes)."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    product_id = UUID(index=True)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=16, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

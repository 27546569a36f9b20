"""Orders, discount codes and the per-product count of sales that hold a place under a sales limit.

All creator-owned (row-level security): a buyer's checkout acts for the store's creator. Uniqueness lives in the
schema (the migration's indexes): ``(creator_id, submission_key)`` makes a double-submitted form one order,
``(provider, provider_reference)`` ties a payment to one order, ``(creator_id, code)`` names one discount code.
"""

from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from windsurf.core.tenancy import creator_owned


@creator_owned
class Order(Table, tablename="checkout_order"):
    """One purchase. ``status``: pending -> paid -> fulfilled, or expired / failed / refunded."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    number = Varchar(length=12, unique=True)  # what the buyer and the creator quote: random, never sequential
    submission_key = Varchar(length=64)
    product_id = UUID(index=True)
    product_title = Varchar(length=120)
    buyer_name = Varchar(length=100)
    buyer_email = Varchar(length=254, null=True, default=None)
    buyer_phone = Varchar(length=16, null=True, default=None)
    method = Varchar(length=16)
    list_santim = Integer()
    discount_santim = Integer(default=0)
    amount_santim = Integer()
    currency = Varchar(length=3, default="ETB")
    discount_code_id = UUID(
        null=True, default=None
    )  # references discount_code (ON DELETE SET NULL; migration)
    locale = Varchar(length=2, default="am")  # the language the buyer checked out in: their messages use it
    status = Varchar(length=12, default="pending", index=True)
    provider = Varchar(length=16, null=True, default=None)
    provider_reference = Varchar(length=64, null=True, default=None)
    # Given back or being given back (refunds requested from the provider count at once, so that two refunds at
    # the same moment can never together exceed what was paid). Reaching amount_santim makes the order refunded.
    refunded_santim = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class DiscountCode(Table, tablename="discount_code"):
    """A code a buyer types: ``percent`` (1-100) or ``fixed`` (santim) off, for one product or the whole store."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    code = Varchar(length=32)  # upper case
    kind = Varchar(length=8)  # percent | fixed
    value = Integer()
    product_id = UUID(null=True, default=None)
    max_uses = Integer(null=True, default=None)
    uses = Integer(default=0)  # orders pending or paid that used it; an expired order gives its use back
    expires_at = Timestamptz(null=True, default=None)
    active = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class Refund(Table, tablename="checkout_refund"):
    """Money given back on a paid order, in full or in part. ``status``: requested (the provider is being asked)
    -> done. ``reference`` is the one the provider and the ledger see: the same refund asked twice is one refund.
    """

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    order_id = UUID(index=True)  # references checkout_order (ON DELETE CASCADE; migration)
    reference = Varchar(length=64, unique=True)
    amount_santim = Integer()
    status = Varchar(length=12, default="requested")
    reason = Varchar(length=500)
    actor = Varchar(length=8)  # creator | staff
    created_at = Timestamptz(default=TimestamptzNow())
    done_at = Timestamptz(null=True, default=None)


@creator_owned
class ProductSales(Table, tablename="product_sales"):
    """How many orders (pending or paid) hold a place under a product's sales limit; moved by atomic updates."""

    product_id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    taken = Integer(default=0)

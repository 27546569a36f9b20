"""Analytics tables: daily rollups (what dashboards read), the day's visitor hashes, order attribution, and the
platform-wide bookkeeping of salts and ingested CDN log objects.

Dashboards only ever read ``AnalyticsDaily``: counters are added into it as events are flushed, keyed by the
Africa/Addis_Ababa date, the product ('' for the store page), the source and the device class. A visitor is
counted once a day, on the row of the first view that day (``AnalyticsVisitor`` remembers the day's hashes).
"""

from piccolo.columns import BigInt, Date, Integer, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from windsurf.core.tenancy import creator_owned


@creator_owned
class AnalyticsDaily(Table, tablename="analytics_daily"):
    """One creator's counters for one Addis Ababa day, product, source and device class (unique together)."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    day = Date()
    product = Varchar(length=36, default="")  # a product id, or '' for the store page
    source = Varchar(length=16, default="direct")
    device = Varchar(length=8, default="desktop")
    views = Integer(default=0)  # store page views
    product_views = Integer(default=0)
    visitors = Integer(default=0)  # unique visitors first seen that day on this row's page, source and device
    checkouts = Integer(default=0)
    orders = Integer(default=0)  # paid
    revenue = BigInt(default=0)  # santim, paid orders


@creator_owned
class AnalyticsVisitor(Table, tablename="analytics_visitor"):
    """The day's visitor hashes (sha256 of the day's salt, creator, address, user agent): never an address or a
    user agent. Kept two days (late CDN logs), then deleted; the rollup keeps the count."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    day = Date()
    hash = Varchar(length=64)


@creator_owned
class AnalyticsOrder(Table, tablename="analytics_order"):
    """Where an order came from (recorded at checkout start), so that its payment counts for the same source."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    order_id = UUID(unique=True)
    product = Varchar(length=36, default="")
    source = Varchar(length=16, default="direct")
    device = Varchar(length=8, default="desktop")
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class AnalyticsLogPart(Table, tablename="analytics_log_part"):
    """A creator's share of one CDN log object, counted: ingesting the same object again adds nothing."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    object_key = Varchar(length=300)
    created_at = Timestamptz(default=TimestamptzNow())


class AnalyticsSalt(Table, tablename="analytics_salt"):
    """The secret salt of one Addis Ababa day. Platform-wide, not creator-owned: it identifies nobody. Only
    today's and yesterday's exist (late CDN logs); older ones are deleted, so old hashes can never be recomputed."""

    id = UUID(primary_key=True)
    day = Date(unique=True)
    salt = Varchar(length=64)


class AnalyticsLogObject(Table, tablename="analytics_log_object"):
    """A CDN log object whose every creator's share was counted (platform-wide: a log file spans creators)."""

    id = UUID(primary_key=True)
    object_key = Varchar(length=300, unique=True)
    lines = Integer(default=0)
    counted = Integer(default=0)
    ingested_at = Timestamptz(default=TimestamptzNow())

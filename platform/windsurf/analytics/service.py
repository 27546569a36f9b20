"""Analytics operations, the only code that writes the analytics tables.

Events arrive in three ways, all ending as additions to the daily rollup (``AnalyticsDaily``):
- page views counted in memory by the serving processes (``collector``) or read from the CDN's access logs
  (``cdnlogs``), handed here as a ``ViewBatch`` per store address;
- checkout starts, recorded by the checkout service inside its own transaction (``record_checkout_start``);
- paid orders, recorded by the payments service when the one pending -> paid transition happens (``record_paid``).

Dashboards read only the rollups (``summary``, ``daily_rows``): never raw events, of which none are kept.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from windsurf.analytics.classify import SOURCES, addis_day, today
from windsurf.analytics.tables import (
    AnalyticsDaily,
    AnalyticsLogObject,
    AnalyticsLogPart,
    AnalyticsOrder,
    AnalyticsSalt,
    AnalyticsVisitor,
)
from windsurf.catalog import service as catalog
from windsurf.core.uow import Tenant, UnitOfWork, unit_of_work
from windsurf.identity import service as identity

COUNTERS = ("views", "product_views", "visitors", "checkouts", "orders", "revenue")
VISITORS_KEPT_DAYS = 2  # today's and yesterday's hashes and salts: CDN logs arrive up to an hour late

# (day, slug, source, device): slug "" is the store page
PageKey = tuple[dt.date, str, str, str]


@dataclass
class ViewBatch:
    """Views of one store address (a handle) not yet added to the rollups: counts per page, source and device,
    and the day's visitor hashes with the page they were first seen on."""

    views: dict[PageKey, int] = field(default_factory=lambda: defaultdict(int))
    visitors: dict[tuple[dt.date, str], PageKey] = field(default_factory=dict)

    def add(self, key: PageKey, visitor: str | None) -> None:
        self.views[key] += 1
        if visitor is not None:
            self.visitors.setdefault((key[0], visitor), key)

    def merge(self, other: ViewBatch) -> None:
        for key, count in other.views.items():
            self.views[key] += count
        for seen, key in other.visitors.items():
            self.visitors.setdefault(seen, key)

    def __bool__(self) -> bool:
        return bool(self.views)


# --- salts ----------------------------------------------------------------------------------------------------


async def salt_for(day: dt.date) -> str | None:
    """The secret salt of ``day`` (Addis Ababa), created on first use; None for a day whose salt is gone.

    Creating today's salt deletes those older than yesterday: a hash of an earlier day can never be recomputed.
    """
    oldest = today() - dt.timedelta(days=VISITORS_KEPT_DAYS - 1)
    if day < oldest:
        return None
    await AnalyticsSalt.insert(AnalyticsSalt(day=day, salt=secrets.token_hex(32))).on_conflict(
        target=AnalyticsSalt.day, action="DO NOTHING"
    )
    row = await AnalyticsSalt.select(AnalyticsSalt.salt).where(AnalyticsSalt.day == day).first()
    await AnalyticsSalt.delete().where(AnalyticsSalt.day < oldest)
    return str(row["salt"]) if row else None


# --- adding to the rollups -----------------------------------------------------------------------------------


@dataclass
class Increment:
    views: int = 0
    product_views: int = 0
    visitors: int = 0
    checkouts: int = 0
    orders: int = 0
    revenue: int = 0


RowKey = tuple[dt.date, str, str, str]  # (day, product id or "", source, device)


async def _add(tenant: Tenant, rows: dict[RowKey, Increment]) -> None:
    """Add counters to the rollup rows, creating them as needed: one upsert per row."""
    async with tenant.scope():
        for (day, product, source, device), inc in rows.items():
            await AnalyticsDaily.raw(
                "INSERT INTO analytics_daily (id, creator_id, day, product, source, device, views, product_views, "
                "visitors, checkouts, orders, revenue) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
                "ON CONFLICT (creator_id, day, product, source, device) DO UPDATE SET "
                "views = analytics_daily.views + excluded.views, "
                "product_views = analytics_daily.product_views + excluded.product_views, "
                "visitors = analytics_daily.visitors + excluded.visitors, "
                "checkouts = analytics_daily.checkouts + excluded.checkouts, "
                "orders = analytics_daily.orders + excluded.orders, "
                "revenue = analytics_daily.revenue + excluded.revenue",
                uuid.uuid4(),
                tenant.creator_id,
                day,
                product,
                source,
                device,
                inc.views,
                inc.product_views,
                inc.visitors,
                inc.checkouts,
                inc.orders,
                inc.revenue,
            )


async def _product_ids(tenant: Tenant) -> dict[str, str]:
    return {product.slug: str(product.id) for product in await catalog.list_products(tenant)}


async def add_views(tenant: Tenant, batch: ViewBatch) -> None:
    """Add one store's batch of views (and its new visitors) to the creator's rollups."""
    slugs = await _product_ids(tenant)
    rows: dict[RowKey, Increment] = defaultdict(Increment)

    def row_of(key: PageKey) -> tuple[RowKey, bool] | None:
        day, slug, source, device = key
        if not slug:
            return (day, "", source, device), True
        product = slugs.get(slug)
        return ((day, product, source, device), False) if product else None  # a page that no longer exists

    for key, count in batch.views.items():
        found = row_of(key)
        if found:
            row, store = found
            if store:
                rows[row].views += count
            else:
                rows[row].product_views += count
    async with tenant.scope():
        for (day, visitor), key in batch.visitors.items():
            found = row_of(key)
            if found is None:
                continue
            inserted = await AnalyticsVisitor.raw(
                "INSERT INTO analytics_visitor (id, creator_id, day, hash) VALUES ({}, {}, {}, {}) "
                "ON CONFLICT (creator_id, day, hash) DO NOTHING RETURNING id",
                uuid.uuid4(),
                tenant.creator_id,
                day,
                visitor,
            )
            if inserted:
                rows[found[0]].visitors += 1
        oldest = today() - dt.timedelta(days=VISITORS_KEPT_DAYS - 1)
        await AnalyticsVisitor.delete().where(
            (AnalyticsVisitor.creator_id == tenant.creator_id) & (AnalyticsVisitor.day < oldest)
        )
    await _add(tenant, rows)


async def add_store_views(handle: str, batch: ViewBatch, *, log_object: str | None = None) -> bool:
    """Add the batch of the store at ``handle`` in a unit of work of its own (one creator per unit).

    ``log_object``: the CDN log object the batch was read from; a second call for the same object and creator
    adds nothing. Returns False when the batch was not added (unknown handle, or already counted).
    """
    async with unit_of_work() as uow:
        account = await identity.find_by_handle(uow, handle)
        if account is None:
            return False
        tenant = await uow.act_for(account.id)
        if log_object is not None:
            async with tenant.scope():
                first = await AnalyticsLogPart.raw(
                    "INSERT INTO analytics_log_part (id, creator_id, object_key) VALUES ({}, {}, {}) "
                    "ON CONFLICT (creator_id, object_key) DO NOTHING RETURNING id",
                    uuid.uuid4(),
                    tenant.creator_id,
                    log_object,
                )
            if not first:
                return False
        await add_views(tenant, batch)
    return True


async def log_object_done(key: str) -> bool:
    return bool(await AnalyticsLogObject.exists().where(AnalyticsLogObject.object_key == key))


async def mark_log_object(uow: UnitOfWork, key: str, *, lines: int, counted: int) -> None:
    async with uow.scope():
        await AnalyticsLogObject.insert(
            AnalyticsLogObject(object_key=key, lines=lines, counted=counted)
        ).on_conflict(target=AnalyticsLogObject.object_key, action="DO NOTHING")


# --- checkouts and sales ---------------------------------------------------------------------------------------


def clean_source(value: str) -> str:
    return value if value in SOURCES else "direct"


def clean_device(value: str) -> str:
    return value if value in ("mobile", "tablet", "desktop") else "desktop"


async def record_checkout_start(
    tenant: Tenant,
    order_id: uuid.UUID,
    product_id: uuid.UUID,
    *,
    source: str,
    device: str,
    at: dt.datetime | None = None,
) -> None:
    """A buyer started checking out (a new pending order): counted, and the order's source remembered."""
    source, device = clean_source(source), clean_device(device)
    async with tenant.scope():
        await AnalyticsOrder.insert(
            AnalyticsOrder(
                creator_id=tenant.creator_id,
                order_id=order_id,
                product=str(product_id),
                source=source,
                device=device,
            )
        )
    day = addis_day(at or dt.datetime.now(dt.UTC))
    await _add(tenant, {(day, str(product_id), source, device): Increment(checkouts=1)})


async def record_paid(
    tenant: Tenant, order_id: uuid.UUID, product_id: uuid.UUID, amount_santim: int, paid_at: dt.datetime
) -> None:
    """An order was paid (called once, with the pending -> paid transition): a sale on the day it was paid, for
    the source its checkout started from."""
    async with tenant.scope():
        row = (
            await AnalyticsOrder.select(AnalyticsOrder.source, AnalyticsOrder.device)
            .where((AnalyticsOrder.creator_id == tenant.creator_id) & (AnalyticsOrder.order_id == order_id))
            .first()
        )
    source, device = (row["source"], row["device"]) if row else ("direct", "desktop")
    key = (addis_day(paid_at), str(product_id), source, device)
    await _add(tenant, {key: Increment(orders=1, revenue=amount_santim)})


# --- reading -------------------------------------------------------------------------------------------------


@dataclass
class Totals(Increment):
    """The counters summed over rows (days, products, sources)."""

    def add(self, row: dict[str, int]) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + int(row[name]))

    @property
    def conversion(self) -> float:
        """Paid orders per unique visitor (0 without visitors)."""
        return self.orders / self.visitors if self.visitors else 0.0


@dataclass
class Summary:
    start: dt.date
    end: dt.date  # inclusive
    totals: Totals
    by_day: list[tuple[dt.date, Totals]]
    by_source: dict[str, Totals]
    by_device: dict[str, Totals]
    by_product: list[tuple[str, str, Totals]]  # (product id, title, totals), busiest first


async def _rows(tenant: Tenant, start: dt.date, end: dt.date) -> list[dict[str, object]]:
    async with tenant.scope():
        rows = await (
            AnalyticsDaily.select(
                AnalyticsDaily.day,
                AnalyticsDaily.product,
                AnalyticsDaily.source,
                AnalyticsDaily.device,
                *(getattr(AnalyticsDaily, name) for name in COUNTERS),
            )
            .where(
                (AnalyticsDaily.creator_id == tenant.creator_id)
                & (AnalyticsDaily.day >= start)
                & (AnalyticsDaily.day <= end)
            )
            .order_by(AnalyticsDaily.day)
        )
    for row in rows:
        if isinstance(row["day"], str):  # SQLite
            row["day"] = dt.date.fromisoformat(row["day"])
    return list(rows)


async def summary(tenant: Tenant, start: dt.date, end: dt.date) -> Summary:
    """Every figure of the dashboard for the days ``start``..``end`` (inclusive): sums of daily rollups."""
    rows = await _rows(tenant, start, end)
    totals = Totals()
    days = {start + dt.timedelta(days=i): Totals() for i in range((end - start).days + 1)}
    sources = {source: Totals() for source in SOURCES}
    devices = {device: Totals() for device in ("mobile", "tablet", "desktop")}
    products: dict[str, Totals] = defaultdict(Totals)
    for row in rows:
        counters: dict[str, int] = {name: int(row[name]) for name in COUNTERS}  # type: ignore[call-overload]
        totals.add(counters)
        day = row["day"]
        assert isinstance(day, dt.date)
        if day in days:
            days[day].add(counters)
        sources.setdefault(str(row["source"]), Totals()).add(counters)
        devices.setdefault(str(row["device"]), Totals()).add(counters)
        if row["product"]:
            products[str(row["product"])].add(counters)
    titles = {str(product.id): product.title for product in await catalog.list_products(tenant)}
    by_product = sorted(
        ((pid, titles.get(pid, "—"), t) for pid, t in products.items()),
        key=lambda item: (-item[2].product_views, -item[2].orders, item[1]),
    )
    return Summary(start, end, totals, list(days.items()), sources, devices, by_product)


async def daily_rows(tenant: Tenant, start: dt.date, end: dt.date) -> list[dict[str, object]]:
    """The rollup rows themselves (for the CSV export), with each product's title."""
    titles = {str(product.id): product.title for product in await catalog.list_products(tenant)}
    rows = await _rows(tenant, start, end)
    for row in rows:
        row["product_title"] = titles.get(str(row["product"]), "") if row["product"] else ""
    return rows

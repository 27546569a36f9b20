"""The creator's analytics page and exports: views, visitors, checkouts and sales by day, source, device and
product, drawn as inline SVG with a hidden table per chart; CSV of the daily rollups and of the orders.

Everything is read from the daily rollups of the logged-in creator's tenant (never raw events), so another
creator's numbers are unreachable here. The range is chosen with plain links: it works with JavaScript off.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from litestar import Request, Response, Router, get

from storefront import charts
from windsurf.analytics import classify
from windsurf.analytics import service as analytics
from windsurf.checkout import service as checkout
from windsurf.core.i18n import N_
from windsurf.dependencies import RendererDep, TenantDep

Req = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "private, no-store"}
URL = "/dashboard/analytics"
RANGES = {"day": 1, "week": 7, "month": 30}
RANGE_LABELS = {"day": N_("Today"), "week": N_("Last 7 days"), "month": N_("Last 30 days")}
SOURCE_LABELS = {
    "telegram": N_("Telegram"),
    "tiktok": N_("TikTok"),
    "instagram": N_("Instagram"),
    "facebook": N_("Facebook"),
    "whatsapp": N_("WhatsApp"),
    "youtube": N_("YouTube"),
    "x": N_("X"),
    "direct": N_("Direct"),
    "other": N_("Other"),
}
DEVICE_LABELS = {"mobile": N_("Phone"), "tablet": N_("Tablet"), "desktop": N_("Computer")}
ORDERS_LIMIT = 10_000
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def chosen_range(value: str | None) -> tuple[str, dt.date, dt.date]:
    """The range asked for (an unknown value reads as the week), ending today in Addis Ababa."""
    name = value if value in RANGES else "week"
    end = classify.today()
    return name, end - dt.timedelta(days=RANGES[name] - 1), end


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0%"


@get(URL)
async def analytics_page(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    name, start, end = chosen_range(request.query_params.get("range"))
    summary = await analytics.summary(tenant, start, end)
    t = summary.totals

    def tr(message: str) -> str:
        return renderer.gettext(request, message)

    days = [totals for _, totals in summary.by_day]
    sources = [
        (tr(SOURCE_LABELS[key]), totals.views + totals.product_views)
        for key, totals in summary.by_source.items()
        if key in SOURCE_LABELS
    ]
    funnel_steps = [
        (tr(N_("Store views")), t.views),
        (tr(N_("Product views")), t.product_views),
        (tr(N_("Checkouts")), t.checkouts),
        (tr(N_("Paid orders")), t.orders),
    ]
    context = {
        "section": "analytics",
        "range": name,
        "ranges": RANGE_LABELS,
        "summary": summary,
        "t": t,
        "conversion": percent(t.orders, t.visitors),
        "source_labels": SOURCE_LABELS,
        "device_labels": DEVICE_LABELS,
        "funnel_steps": funnel_steps,
        "percent": percent,
        "line": charts.line_chart(
            "c-days",
            tr(N_("Views and sales by day")),
            [
                ("l1", tr(N_("Views")), [d.views + d.product_views for d in days]),
                ("l2", tr(N_("Paid orders")), [d.orders for d in days]),
            ],
        ),
        "bars": charts.bar_chart("c-src", tr(N_("Views by source")), sources),
        "funnel": charts.funnel("c-fn", tr(N_("From view to sale")), funnel_steps),
    }
    return renderer.render(request, "builder/analytics.html", context, headers=NO_STORE)


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will not run: text starting with = + - @ (or a tab, a CR) gets a leading quote."""
    if isinstance(value, str) and value.startswith(_CSV_TRIGGERS):
        return "'" + value
    return value


def _csv(filename: str, header: list[str], rows: list[list[object]]) -> Response[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return Response(
        ("\ufeff" + buffer.getvalue()).encode(),  # the BOM lets spreadsheet programs read Amharic as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _birr(santim: int) -> str:
    return f"{santim // 100}.{santim % 100:02d}"


@get(f"{URL}.csv")
async def analytics_csv(request: Req, tenant: TenantDep) -> Response[bytes]:
    """The daily rollups of the chosen range (``?range=``, the last 30 days by default)."""
    _, start, end = chosen_range(request.query_params.get("range", "month"))
    rows = await analytics.daily_rows(tenant, start, end)
    return _csv(
        f"analytics-{start.isoformat()}-{end.isoformat()}.csv",
        [
            "date",
            "product_id",
            "product",
            "source",
            "device",
            "store_views",
            "product_views",
            "visitors",
            "checkouts",
            "paid_orders",
            "revenue_birr",
        ],
        [
            [
                str(row["day"]),
                row["product"],
                row["product_title"],
                row["source"],
                row["device"],
                row["views"],
                row["product_views"],
                row["visitors"],
                row["checkouts"],
                row["orders"],
                _birr(int(row["revenue"])),  # type: ignore[call-overload]
            ]
            for row in rows
        ],
    )


@get("/dashboard/orders.csv")
async def orders_csv(tenant: TenantDep) -> Response[bytes]:
    orders = await checkout.list_orders(tenant, limit=ORDERS_LIMIT)
    return _csv(
        "orders.csv",
        [
            "number",
            "created_at",
            "paid_at",
            "status",
            "product",
            "buyer",
            "email",
            "phone",
            "method",
            "amount_birr",
            "discount_birr",
            "currency",
        ],
        [
            [
                o.number,
                o.created_at.isoformat(),
                o.paid_at.isoformat() if o.paid_at else "",
                o.status,
                o.product_title,
                o.buyer_name,
                o.email or "",
                o.phone or "",
                o.method,
                _birr(o.amount_santim),
                _birr(o.discount_santim),
                o.currency,
            ]
            for o in orders
        ],
    )


router = Router(path="/", route_handlers=[analytics_page, analytics_csv, orders_csv], include_in_schema=False)

"""The creator's analytics page: charts that draw known numbers (each with its table), the range links, the
budget, the CSV exports (safe against spreadsheet formulas), the share links, and another creator's numbers
out of reach over every route."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
import uuid

from storefront import charts
from tests.storefront.live import Live, buy, check_page
from windsurf.analytics import classify
from windsurf.analytics import service as analytics
from windsurf.analytics.service import ViewBatch
from windsurf.analytics.tables import AnalyticsDaily
from windsurf.catalog import service as catalog
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity import service as identity

BUDGET = 14 * 1024
ROUTES = (
    "/dashboard/analytics",
    "/dashboard/analytics?range=month",
    "/dashboard/analytics.csv",
    "/dashboard/orders.csv",
)


async def seed(shop: Live, *, title: str = "Career guide") -> tuple[dt.date, catalog.ProductView]:
    """Known numbers: three days of views (5, 0, 2 on the store page), a product viewed 4 times from TikTok,
    two checkouts and one sale of 250 birr."""
    product = await shop.product(title=title)
    today = classify.today()
    batch = ViewBatch()
    for _ in range(5):
        batch.add((today - dt.timedelta(days=2), "", "telegram", "mobile"), None)
    batch.add((today, "", "direct", "desktop"), "a" * 64)
    batch.add((today, "", "direct", "desktop"), "b" * 64)
    for _ in range(4):
        batch.add((today, product.slug, "tiktok", "mobile"), "a" * 64)
    async with tenant_for(shop.creator.id) as tenant:
        await analytics.add_views(tenant, batch)
        first, second = uuid.uuid4(), uuid.uuid4()
        await analytics.record_checkout_start(tenant, first, product.id, source="tiktok", device="mobile")
        await analytics.record_checkout_start(tenant, second, product.id, source="tiktok", device="mobile")
        await analytics.record_paid(tenant, first, product.id, 25_000, dt.datetime.now(dt.UTC))
    return today, product


def hidden_table(page: str, caption: str) -> list[list[str]]:
    match = re.search(rf'<table class="vh"><caption>{re.escape(caption)}</caption>(.*?)</table>', page, re.S)
    assert match, caption
    rows = re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)
    return [re.findall(r"<t[dh]>(.*?)</t[dh]>", row) for row in rows]


async def test_the_charts_draw_known_numbers_with_their_tables(shop: Live) -> None:
    today, _product = await seed(shop)
    page = await shop.creator.client.get("/dashboard/analytics?range=week")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    check_page(page.text)
    text = page.text
    assert "<script>" not in text.split("</head>")[1]  # charts are SVG, drawn on the server

    # Totals: 7 store views, 4 product views, 2 visitors, 2 checkouts, 1 paid order of 250 birr, 50% conversion.
    for label, value in [
        ("Views", "11"),
        ("Unique visitors", "2"),
        ("Product views", "4"),
        ("Checkouts", "2"),
        ("Paid orders", "1"),
        ("Revenue", "ETB\u00a0250.00"),
        ("Conversion", "50.0%"),
    ]:
        assert f"<p>{label}<b>{value}</b></p>" in text, label

    # The line chart: one point per day of the week, on a scale whose top is the busiest day (6 views today).
    days = hidden_table(text, "Views and sales by day")
    assert days[0] == ["Date", "Views", "Unique visitors", "Paid orders", "Revenue"]
    assert len(days) == 8 and days[-1][:4] == [today.isoformat(), "6", "2", "1"]
    assert days[-3][:2] == [(today - dt.timedelta(days=2)).isoformat(), "5"]
    views = [int(row[1]) for row in days[1:]]
    drawn = re.search(r'<polyline class="l1" points="([^"]+)"', text)
    assert drawn is not None
    expected = " ".join(f"{charts._n(x)},{charts._n(y)}" for x, y in charts.line_points(views, 6))
    assert drawn.group(1) == expected
    ys = [float(point.split(",")[1]) for point in drawn.group(1).split()]
    assert ys[-1] == charts.PAD and ys[0] == charts.LINE_HEIGHT - charts.PAD  # the top, and zero

    # Bars by source: Telegram 5, TikTok 4, Direct 2, each bar as long as its share of the longest.
    sources = {row[0]: row[1] for row in hidden_table(text, "Views by source")[1:]}
    assert (sources["Telegram"], sources["TikTok"], sources["Direct"], sources["Instagram"]) == (
        "5",
        "4",
        "2",
        "0",
    )
    bars = re.findall(
        rf'<text x="0" y="\d+">([^<]+)</text><rect x="{charts.LABEL_WIDTH}" y="\d+" width="([\d.]+)"', text
    )
    widths = dict(bars)
    full = charts.WIDTH - charts.LABEL_WIDTH - 40
    assert float(widths["Telegram"]) == full and float(widths["TikTok"]) == round(full * 4 / 5, 1)
    assert float(widths["Instagram"]) == 0

    # The funnel: store views -> product views -> checkouts -> paid, with each step's share of the first.
    funnel = hidden_table(text, "From view to sale")[1:]
    assert funnel == [
        ["Store views", "7", "100.0%"],
        ["Product views", "4", "57.1%"],
        ["Checkouts", "2", "28.6%"],
        ["Paid orders", "1", "14.3%"],
    ]
    assert "Career guide" in text and "<td>Phone</td><td>9</td>" in text

    # Today only: the day's numbers; the range links work without JavaScript.
    day = await shop.creator.client.get("/dashboard/analytics?range=day")
    assert "<p>Views<b>6</b></p>" in day.text and 'href="/dashboard/analytics?range=month"' in day.text
    odd = await shop.creator.client.get("/dashboard/analytics?range=%3Cscript%3E")
    assert odd.status_code == 200 and "<p>Views<b>11</b></p>" in odd.text  # an unknown range is the week


async def test_the_analytics_page_is_within_its_budget_and_translated(shop: Live) -> None:
    await seed(shop)
    for range_ in ("day", "week", "month"):
        page = await shop.creator.client.get(f"/dashboard/analytics?range={range_}")
        assert len(gzip.compress(page.content, compresslevel=6)) < BUDGET, range_
    amharic = await shop.creator.client.get(
        "/dashboard/analytics?range=month", headers={"Accept-Language": "am"}
    )
    assert "ልዩ ጎብኚዎች" in amharic.text and "ከዕይታ እስከ ሽያጭ" in amharic.text
    check_page(amharic.text)


async def test_csv_exports_of_the_rollups_and_the_orders_are_formula_safe(shop: Live) -> None:
    today, product = await seed(shop, title='=HYPERLINK("http://evil.example","x")')
    product_id = str(product.id)
    exported = await shop.creator.client.get("/dashboard/analytics.csv?range=week")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    product_rows = [row for row in rows if row["product_id"] == product_id]
    assert {row["product"] for row in product_rows} == {'\'=HYPERLINK("http://evil.example","x")'}
    sale = next(row for row in product_rows if row["paid_orders"] == "1")
    assert (sale["date"], sale["source"], sale["device"], sale["revenue_birr"]) == (
        today.isoformat(),
        "tiktok",
        "mobile",
        "250.00",
    )
    assert sum(int(row["store_views"]) for row in rows) == 7

    placed, _ = await buy(shop, (await shop.product(title="@cmd|' /C calc'!A0")).slug, name="-2+3")
    assert placed.status_code == 303
    orders = await shop.creator.client.get("/dashboard/orders.csv")
    assert orders.status_code == 200
    [order] = list(csv.DictReader(io.StringIO(orders.content.decode("utf-8-sig"))))
    assert order["product"] == "'@cmd|' /C calc'!A0" and order["buyer"] == "'-2+3"
    assert order["amount_birr"] == "250.00" and order["status"] == "pending"


async def test_another_creators_analytics_are_unreachable_over_every_route(shop: Live) -> None:
    _, product = await seed(shop, title="Hana's secret bestseller")
    assert (await buy(shop, product.slug))[0].status_code == 303
    other = await shop.new_creator()
    for route in ROUTES:
        mine = await shop.creator.client.get(route)
        theirs = await other.client.get(route)
        assert mine.status_code == theirs.status_code == 200, route
        assert "secret bestseller" in mine.text and "secret bestseller" not in theirs.text, route
    theirs = await other.client.get("/dashboard/analytics?range=month")
    assert "<p>Views<b>0</b></p>" in theirs.text
    anonymous = shop.new_client()
    for route in ROUTES:
        assert (await anonymous.get(route)).status_code in (303, 401), route
    # Row-level security too: a unit of work acting for the other creator sees none of the rows.
    async with unit_of_work() as uow:
        account = await identity.find_by_handle(uow, other.handle)
        assert account is not None
        tenant = await uow.act_for(account.id)
        today = classify.today()
        async with tenant.scope():
            visible = await AnalyticsDaily.select().where(AnalyticsDaily.creator_id == shop.creator.id)
        assert visible == [] or shop.settings.database_url.startswith("sqlite")
        assert (await analytics.summary(tenant, today - dt.timedelta(days=30), today)).totals.views == 0


async def test_the_share_panel_gives_a_link_per_channel(shop: Live) -> None:
    page = await shop.creator.client.get("/dashboard")
    assert page.status_code == 200
    for channel in ("telegram", "tiktok", "instagram", "facebook", "whatsapp", "youtube", "x"):
        assert f"/@{shop.creator.handle}?src={channel}</a>" in page.text, channel
    assert 'id="qr"' in page.text

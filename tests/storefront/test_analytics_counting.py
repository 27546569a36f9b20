"""Views counted on both paths (the app's fast path, the CDN's access logs), checkouts and sales, and the
Addis Ababa midnight: every count ends in the daily rollups the dashboard reads."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import uuid
from pathlib import Path

import boto3

from tests.conftest import post_form
from tests.platform.catalog.test_s3 import BUCKET as S3_BUCKET
from tests.platform.catalog.test_s3 import s3_endpoint  # noqa: F401 - the moto server fixture
from tests.storefront.live import Live, checkout_form, live, pay
from windsurf.analytics import classify
from windsurf.analytics import jobs as analytics_jobs
from windsurf.analytics import service as analytics
from windsurf.analytics.collector import ViewCounter
from windsurf.analytics.tables import AnalyticsDaily, AnalyticsSalt, AnalyticsVisitor
from windsurf.core.uow import tenant_for
from windsurf.settings import Settings

PHONE = (
    "Mozilla/5.0 (Linux; Android 13; TECNO KI5k) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0 Mobile Safari/537.36"
)
OTHER_PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Version/17.1 "
    "Mobile/15E148 Safari/604.1"
)
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


async def publish(shop: Live) -> None:
    assert (await post_form(shop.creator.client, "/dashboard/publish", {})).status_code == 303
    await shop.jobs()


async def totals(shop: Live, start: dt.date | None = None, end: dt.date | None = None) -> analytics.Summary:
    today = classify.today()
    async with tenant_for(shop.creator.id) as tenant:
        return await analytics.summary(tenant, start or today, end or today)


async def totals_since_yesterday(shop: Live) -> analytics.Summary:
    """Views logged minutes ago may fall on yesterday in Addis Ababa (just after 21:00 UTC): count both days."""
    today = classify.today()
    return await totals(shop, today - dt.timedelta(days=1), today)


def counter(shop: Live) -> ViewCounter:
    found = shop.app.state.view_counter
    assert isinstance(found, ViewCounter)
    return found


async def test_a_view_is_counted_on_the_fast_path_with_its_source_device_and_visitor(shop: Live) -> None:
    product = await shop.product()
    await publish(shop)
    handle = shop.creator.handle
    buyer = shop.new_client()
    first = await buyer.get(f"/@{handle}?src=telegram", headers={"User-Agent": PHONE})
    assert first.status_code == 200 and "set-cookie" not in first.headers
    again = await buyer.get(f"/@{handle}", headers={"User-Agent": PHONE})  # the cached-page fast path
    assert again.status_code == 200 and "set-cookie" not in again.headers
    revalidated = await buyer.get(
        f"/@{handle}", headers={"User-Agent": PHONE, "If-None-Match": again.headers["etag"]}
    )
    assert revalidated.status_code == 304  # the browser's copy: not a new view
    await buyer.head(f"/@{handle}", headers={"User-Agent": PHONE})
    await buyer.get(f"/@{handle}", headers={"User-Agent": BOT})
    await buyer.get(f"/@{product.slug}-nope", headers={"User-Agent": PHONE})  # no such store: a 404
    viewed = await buyer.get(
        f"/@{handle}/{product.slug}",
        headers={"User-Agent": OTHER_PHONE, "Referer": "https://l.instagram.com/?u=x"},
    )
    assert viewed.status_code == 200
    await buyer.get(f"/@{handle}/{product.slug}", headers={"User-Agent": DESKTOP})
    assert counter(shop).pending() == 4
    assert await counter(shop).flush() == 4
    assert counter(shop).pending() == 0

    summary = await totals(shop)
    t = summary.totals
    assert (t.views, t.product_views, t.visitors) == (2, 2, 3)
    assert summary.by_source["telegram"].views == 1 and summary.by_source["direct"].views == 1
    assert summary.by_source["instagram"].product_views == 1
    assert summary.by_device["mobile"].views == 2 and summary.by_device["desktop"].product_views == 1
    [(product_id, title, per_product)] = summary.by_product
    assert (product_id, title, per_product.product_views) == (str(product.id), product.title, 2)

    # Visitors are hashes of the day: no address, no user agent is stored anywhere.
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        hashes = await AnalyticsVisitor.select(AnalyticsVisitor.hash).where(
            AnalyticsVisitor.creator_id == shop.creator.id
        )
    assert len(hashes) == 3 and all(len(row["hash"]) == 64 for row in hashes)
    assert not any("203.0.113.9" in row["hash"] for row in hashes)


async def test_a_clean_shutdown_flushes_what_was_counted(settings: Settings) -> None:
    async with live(settings) as shop:
        await publish(shop)
        creator = shop.creator
        assert (await shop.buyer.get(f"/@{creator.handle}", headers={"User-Agent": PHONE})).status_code == 200
        assert counter(shop).pending() == 1
    summary = await totals(shop)
    assert summary.totals.views == 1 and summary.totals.visitors == 1


async def test_views_at_2359_and_0001_addis_ababa_time_land_on_two_days(shop: Live) -> None:
    await publish(shop)
    today = classify.today()
    midnight_utc = dt.datetime.combine(today, dt.time(), classify.ADDIS).astimezone(dt.UTC)
    views = ViewCounter()
    for moment in (midnight_utc - dt.timedelta(minutes=1), midnight_utc + dt.timedelta(minutes=1)):
        await views.count(
            shop.creator.handle, "", query="", referer="", user_agent=PHONE, address="196.188.1.2", at=moment
        )
    assert await views.flush() == 2
    summary = await totals(shop, today - dt.timedelta(days=1), today)
    assert [(day, d.views, d.visitors) for day, d in summary.by_day] == [
        (today - dt.timedelta(days=1), 1, 1),
        (today, 1, 1),  # the same person, a new day: a new visitor (each day has its own salt)
    ]
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        days = await AnalyticsDaily.select(AnalyticsDaily.day).where(
            AnalyticsDaily.creator_id == shop.creator.id
        )
    assert len(days) == 2


async def test_salts_are_kept_two_days_then_discarded(shop: Live) -> None:
    today = classify.today()
    assert await analytics.salt_for(today - dt.timedelta(days=2)) is None
    salt = await analytics.salt_for(today)
    assert salt and salt == await analytics.salt_for(today) and len(salt) == 64
    assert await analytics.salt_for(today - dt.timedelta(days=1)) not in (None, salt)
    kept = {row["day"] for row in await AnalyticsSalt.select(AnalyticsSalt.day)}
    assert {str(day) for day in kept} <= {str(today), str(today - dt.timedelta(days=1))}


async def test_checkout_starts_and_paid_orders_are_counted_for_their_source(shop: Live) -> None:
    product = await shop.product()
    handle = shop.creator.handle
    page = await shop.buyer.get(
        f"/checkout/{handle}/{product.slug}",
        headers={"Referer": f"{shop.server.url}/@{handle}/{product.slug}?src=tiktok", "User-Agent": PHONE},
    )
    assert page.status_code == 200 and 'name="src" value="tiktok"' in page.text
    form = await checkout_form(shop.buyer, handle, product.slug)
    placed = await shop.buyer.post(
        f"/checkout/{handle}/{product.slug}",
        data={
            "name": "Abebe Kebede",
            "email": "abebe@example.com",
            "method": "telebirr",
            **form,
            "src": "tiktok",
        },
        headers={"User-Agent": PHONE},
    )
    assert placed.status_code == 303
    started = await totals(shop)
    assert started.totals.checkouts == 1 and started.by_source["tiktok"].checkouts == 1
    assert started.totals.orders == 0
    await pay(shop, placed.headers["location"])
    paid = await totals(shop)
    assert (paid.totals.checkouts, paid.totals.orders, paid.totals.revenue) == (1, 1, 25_000)
    assert paid.by_source["tiktok"].orders == 1 and paid.by_device["mobile"].revenue == 25_000
    assert paid.by_product[0][2].orders == 1

    # A forged source is just "direct"; the form never breaks the checkout.
    form = await checkout_form(shop.buyer, handle, product.slug)
    forged = await shop.buyer.post(
        f"/checkout/{handle}/{product.slug}",
        data={"name": "Abebe", "email": "abebe@example.com", "method": "telebirr", **form, "src": "<script>"},
    )
    assert forged.status_code == 303
    assert (await totals(shop)).by_source["other"].checkouts == 1


# --- the CDN's access logs --------------------------------------------------------------------------------

FIELDS = (
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) "
    "cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken "
    "x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status "
    "fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len "
    "sc-range-start sc-range-end"
)


def log_line(
    when: dt.datetime,
    path: str,
    *,
    result: str = "Hit",
    status: str = "200",
    method: str = "GET",
    address: str = "196.188.12.34",
    user_agent: str = PHONE,
    referer: str = "-",
    query: str = "-",
) -> str:
    encoded_ua = user_agent.replace(" ", "%20").replace(";", "%3B")
    values = [
        when.strftime("%Y-%m-%d"),
        when.strftime("%H:%M:%S"),
        "JNB50-C1",
        "3204",
        address,
        method,
        "d111111abcdef8.cloudfront.net",
        path,
        status,
        referer,
        encoded_ua,
        query,
        "-",
        result,
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "stan.example",
        "https",
        "312",
        "0.001",
        "-",
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
        result,
        "HTTP/2.0",
        "-",
        "-",
        "11040",
        "0.001",
        result,
        "text/html;%20charset=utf-8",
        "3204",
        "-",
        "-",
    ]
    assert len(values) == len(FIELDS.split())
    return "\t".join(values)


def write_log(folder: Path, key: str, lines: list[str]) -> None:
    path = folder / key
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "#Version: 1.0\n#Fields: " + FIELDS + "\n" + "\n".join(lines) + "\n"
    path.write_bytes(gzip.compress(body.encode()))


async def test_views_the_cdn_served_are_counted_once_from_its_access_logs(
    settings: Settings, tmp_path: Path
) -> None:
    logs = tmp_path / "cdn-logs"
    async with live(settings, analytics_log_dir=str(logs)) as shop:
        product = await shop.product()
        await publish(shop)
        handle = shop.creator.handle
        now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
        write_log(
            logs,
            f"E2QWRUHAPOMQZL.{now:%Y-%m-%d-%H}.{uuid.uuid4().hex[:8]}.gz",
            [
                log_line(now, f"/@{handle}", query="src=telegram"),  # counted
                log_line(now, f"/@{handle}", address="196.188.99.1", referer="https://www.tiktok.com/"),
                log_line(now, f"/@{handle}/{product.slug}", result="RefreshHit", user_agent=DESKTOP),
                log_line(now, f"/@{handle}", result="Miss"),  # the app answered (and counted) it
                log_line(now, f"/@{handle}", method="HEAD"),
                log_line(now, f"/@{handle}/gone", status="404"),
                log_line(now, f"/@{handle}", user_agent=BOT),
                log_line(now, "/static/vendor/htmx-2.0.11.min.js"),
                log_line(now, "/@nobody_has_this_handle"),
            ],
        )
        context = shop.app.state.jobs
        assert await analytics_jobs.ingest_cdn_logs(context) == 3
        assert await analytics_jobs.ingest_cdn_logs(context) == 0  # already ingested: nothing twice
        summary = await totals_since_yesterday(shop)
        t = summary.totals
        assert (t.views, t.product_views, t.visitors) == (2, 1, 3)
        assert summary.by_source["telegram"].views == 1 and summary.by_source["tiktok"].views == 1
        assert summary.by_device["desktop"].product_views == 1

        # Both paths together: the app counts what it served itself, on top of the CDN's cached answers.
        assert (await shop.buyer.get(f"/@{handle}", headers={"User-Agent": PHONE})).status_code == 200
        await counter(shop).flush()
        assert (await totals_since_yesterday(shop)).totals.views == 3


async def test_cdn_logs_are_read_from_the_log_bucket(settings: Settings, s3_endpoint: str) -> None:  # noqa: F811
    """The same ingestion against an S3 bucket (moto's server on loopback), keys as CloudFront names them."""
    prefix = f"cloudfront-{uuid.uuid4().hex[:6]}"
    async with live(
        settings, analytics_log_bucket=S3_BUCKET, analytics_log_prefix=prefix, s3_endpoint_url=s3_endpoint
    ) as shop:
        await publish(shop)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=2)
        body = "#Version: 1.0\n#Fields: " + FIELDS + "\n" + log_line(now, f"/@{shop.creator.handle}") + "\n"
        key = f"{prefix}/AWSLogs/123456789012/CloudFront/E2QWRUHAPOMQZL.{now:%Y-%m-%d-%H}.c2a1e8d3.log.gz"
        client = boto3.client("s3", endpoint_url=s3_endpoint)
        await asyncio.to_thread(
            client.put_object, Bucket=S3_BUCKET, Key=key, Body=gzip.compress(body.encode())
        )
        assert await analytics_jobs.ingest_cdn_logs(shop.app.state.jobs) == 1
        assert await analytics_jobs.ingest_cdn_logs(shop.app.state.jobs) == 0
        assert (await totals_since_yesterday(shop)).totals.views == 1

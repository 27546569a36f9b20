"""Dates follow the store's calendar setting on every page the creator reads (dashboard, a product's leads, the
account, payouts, orders), and the store's QR code downloads as PNG as well as SVG."""

from __future__ import annotations

import datetime as dt
import io

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.conftest import post_form
from tests.platform.catalog.helpers import create, pdf_bytes, sign_up, upload
from tests.storefront.test_product_page import anonymous, publish
from windsurf.core.i18n import ADDIS_ABABA, ETHIOPIAN_MONTHS, format_date

ENGLISH = {"Accept-Language": "en"}


def today(ethiopian: bool) -> str:
    return format_date(dt.datetime.now(ADDIS_ABABA), "en", ethiopian=ethiopian)


async def test_dates_follow_the_calendar_setting_everywhere(client: AsyncTestClient[Litestar]) -> None:
    identity = await sign_up(client)
    product_id = await create(client, kind="lead_magnet", title="Free Proverbs Pack", price="")
    await upload(client, f"/dashboard/products/{product_id}/files", "file", "proverbs.pdf", pdf_bytes())
    await publish(client, product_id)
    async with anonymous(client) as buyer:
        left = await buyer.post(
            f"/@{identity['handle']}/free-proverbs-pack/lead",
            data={"contact": "reader@example.com"},
            headers={"Origin": "http://testserver.local"},
        )
        assert left.status_code == 200
    pages = [f"/dashboard/products/{product_id}", "/account"]

    for ethiopian in (False, True):
        settings = {"language": "en", **({"ethiopian_calendar": "on"} if ethiopian else {})}
        assert (await post_form(client, "/dashboard/settings", settings)).status_code == 303
        for url in pages:
            page = await client.get(url, headers=ENGLISH)
            assert page.status_code == 200
            assert today(ethiopian) in page.text, (url, ethiopian)
            has_ethiopian_month = any(month in page.text for month in ETHIOPIAN_MONTHS["en"])
            assert has_ethiopian_month == ethiopian, (url, ethiopian)


async def test_the_qr_code_downloads_as_png_and_svg(client: AsyncTestClient[Litestar]) -> None:
    identity = await sign_up(client)
    dashboard = await client.get("/dashboard", headers=ENGLISH)
    assert 'href="/dashboard/qr.png"' in dashboard.text and 'href="/dashboard/qr.svg"' in dashboard.text
    png = await client.get("/dashboard/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"] == f'attachment; filename="{identity["handle"]}-qr.png"'
    image = Image.open(io.BytesIO(png.content))
    assert image.format == "PNG" and image.width == image.height >= 500
    svg = await client.get("/dashboard/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    async with anonymous(client) as stranger:
        assert (await stranger.get("/dashboard/qr.png")).status_code in {302, 303, 401}

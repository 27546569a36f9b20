"""The creator's analytics page in Chromium on a phone, JavaScript on and off: within its 14 KB compressed budget,
three charts each with its hidden table, the range chosen with plain links, the CSV export downloadable."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot, sign_up_creator

pytestmark = pytest.mark.browser
BUDGET = 14 * 1024


async def test_the_analytics_page_on_a_phone(page: Page, javascript: bool) -> None:
    await page.set_viewport_size({"width": 390, "height": 844})
    await sign_up_creator(page)
    response = await page.goto("/dashboard/analytics")
    assert response is not None and response.status == 200
    assert response.headers.get("content-encoding") == "gzip"
    sizes = await response.request.sizes()
    assert sizes["responseBodySize"] < BUDGET, sizes
    charts = page.get_by_role("img")
    await expect(charts).to_have_count(3)
    await expect(page.locator("table.vh")).to_have_count(3)
    for name in ("Views and sales by day", "Views by source", "From view to sale"):
        await expect(page.get_by_role("table", name=name)).to_have_count(1)
    await page.get_by_role("link", name="Last 30 days").click()
    await expect(page).to_have_url(re.compile(r"/dashboard/analytics\?range=month$"))
    await expect(page.locator('strong[aria-current="page"]')).to_have_text("Last 30 days")
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Download daily figures (CSV)").click()
    assert (await download.value).suggested_filename.startswith("analytics-")
    await screenshot(page, f"analytics-{'js' if javascript else 'nojs'}")

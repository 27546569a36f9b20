"""A buyer on the demo store, with JavaScript off (Opera Mini, data savers) and on: open the store, open a
product, reach its checkout; take a lead magnet; join the list in the store's capture block."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import htmx_requests

pytestmark = pytest.mark.browser

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def buyer_email() -> str:
    return f"buyer.{uuid.uuid4().hex[:8]}@example.com"


async def test_buyer_opens_a_product_and_reaches_its_checkout(page: Page) -> None:
    await page.goto("/@demo?lang=en")  # a buyer who chose English (the store itself is in Amharic)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Selam Bekele")
    await expect(page.locator("a.pc")).to_have_count(24)

    await page.locator("a.pc", has_text="Amharic for Beginners Workbook").click()

    await expect(page).to_have_url(re.compile(r"/@demo/amharic-beginners-workbook$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Amharic for Beginners Workbook")
    await expect(page.locator(".price")).to_contain_text("ETB 350.00")
    buy = page.get_by_role("link", name="Buy now")
    await expect(buy).to_be_visible()
    await expect(buy).to_have_attribute("href", "/checkout/demo/amharic-beginners-workbook")
    await expect(page.get_by_role("link", name=re.compile("More from Selam Bekele"))).to_have_attribute(
        "href", "/@demo"
    )


async def test_buyer_gets_a_lead_magnet_for_an_email(page: Page) -> None:
    await page.goto("/@demo?lang=en")  # a buyer who chose English (the store itself is in Amharic)
    await page.locator("a.pc", has_text="Free: 30 Amharic Proverbs Wallpapers").click()
    await expect(page).to_have_url(re.compile(r"/@demo/amharic-proverbs-wallpapers$"))
    await expect(page.locator(".price")).to_have_text("Free")
    await expect(page.get_by_role("link", name="Buy now")).to_have_count(0)

    await page.get_by_label("Your email").fill(buyer_email())
    await page.get_by_role("button", name="Get it free").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Thank you! Here is your free download.")
    download_link = page.get_by_role("link", name=re.compile(r"^Download "))
    await expect(download_link).to_have_count(1)
    async with page.expect_download() as started:
        await download_link.click()
    download = await started.value
    assert download.suggested_filename == "amharic-proverbs-wallpapers.pdf"
    assert (await download.path()).read_bytes().startswith(b"%PDF")


async def test_buyer_joins_the_list_in_the_store_capture_block(page: Page, javascript: bool) -> None:
    await page.goto("/@demo?lang=en")  # a buyer who chose English (the store itself is in Amharic)
    await page.evaluate("window.sameWindow = true")
    sent = htmx_requests(page)
    capture = page.locator("form.cp")
    await expect(capture.get_by_role("heading", level=2)).to_contain_text("Get my free design guide")

    await capture.get_by_label("Your email address").fill(buyer_email())
    await capture.get_by_role("button", name="Send").click()

    await expect(page.get_by_role("status")).to_have_text("Thank you! You are on the list.")
    if javascript:  # htmx swapped the form for the thanks, in the same window
        assert await page.evaluate("window.sameWindow") is True
        assert [request.url.rsplit("/", 2)[-2:] for request in sent] == [["subscribe", "demo"]]
        await expect(page).to_have_url(re.compile(r"/@demo$"))
    else:
        assert sent == []

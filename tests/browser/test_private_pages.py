"""Nothing private survives logging out on a shared phone: Back after logout shows no dashboard, no leads.

With JavaScript on, htmx keeps a history cache in sessionStorage that Back restores without asking the server;
private pages keep themselves out of it, send ``Cache-Control: no-store`` (so neither the HTTP cache nor the
back/forward cache keeps them), and logging out clears what the browser kept (``Clear-Site-Data``).
"""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import sign_up_creator

pytestmark = pytest.mark.browser

SECRET_PRODUCT = "Private draft: salary negotiation notes"
SETTLED = "!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
HTMX_CACHE = "sessionStorage.getItem('htmx-history-cache') || ''"


async def settle(page: Page) -> None:
    """Wait until htmx has finished swapping (no element still carries its request or settling classes)."""
    await page.wait_for_load_state()
    # Polled from here: the pages' CSP forbids the eval that page.wait_for_function would need.
    for _ in range(100):
        if await page.evaluate(SETTLED):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("htmx never settled")


async def test_back_after_logout_shows_nothing_private(page: Page, javascript: bool) -> None:
    handle = await sign_up_creator(page, "Hana Tesfaye")
    dashboard = page.url
    await expect(page.locator(f'a[href$="/@{handle}"]').first).to_be_visible()

    # A lead magnet: its page lists the leads (buyers' emails).
    await page.get_by_role("navigation").get_by_role("link", name="Products").click()
    await page.get_by_role("link", name="New product", exact=True).click()
    new = page.locator('form[action="/dashboard/products/new"]')
    await new.get_by_role("radio", name=re.compile("^Lead magnet")).check()
    await new.get_by_label("Title").fill(SECRET_PRODUCT)
    await new.get_by_role("button", name="Create product").click()
    await expect(page).to_have_url(re.compile(r"/dashboard/products/[0-9a-f-]{36}\?done=created$"))
    await expect(page.get_by_role("heading", name=re.compile(r"^Leads"))).to_be_visible()
    leads_page = page.url
    if javascript:
        await settle(page)
        # Visiting private pages put none of them into htmx's history cache.
        assert SECRET_PRODUCT not in await page.evaluate(HTMX_CACHE)
        assert handle not in await page.evaluate(HTMX_CACHE)

    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(re.compile(r"/login\?logged_out=1$"))
    if javascript:
        await settle(page)
        assert await page.evaluate(HTMX_CACHE) == ""

    for expected_url in (leads_page, dashboard):
        await page.go_back()
        await expect(page.locator('form[action="/login"]')).to_be_visible()
        body = await page.locator("body").inner_text()
        assert SECRET_PRODUCT not in body, f"back to {expected_url} showed the product"
        assert handle not in body, f"back to {expected_url} showed the store"
        assert "Log out" not in body

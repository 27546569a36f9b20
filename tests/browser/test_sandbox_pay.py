"""The sandbox gateway's hosted payment page in a real browser: a buyer pays with JavaScript on and off."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer, htmx_requests
from tests.conftest import SECRET
from windsurf.settings import Settings

pytestmark = pytest.mark.browser


async def test_a_buyer_pays_on_the_hosted_page(page: Page, live_server: LiveServer, javascript: bool) -> None:
    reference = f"ord-{uuid.uuid4().hex[:12]}"
    key = Settings.from_env({"WINDSURF_SECRET_KEY": SECRET}).effective_sandbox_secret
    async with httpx.AsyncClient(base_url=live_server.url) as merchant:
        created = await merchant.post(
            "/sandbox-pay/api/payments",
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            json={
                "reference": reference,
                "amount": 25000,
                "currency": "ETB",
                "description": "Coaching session",
                "return_url": f"{live_server.url}/health/live",
                "notify_url": f"{live_server.url}/webhooks/sandbox",
            },
        )
        assert created.status_code == 201, created.text
        boosted = htmx_requests(page)

        await page.goto(f"/sandbox-pay/pay/{reference}")
        await expect(page.get_by_role("heading", level=1, name="Coaching session")).to_be_visible()
        await expect(page.get_by_text("ETB\u00a0250.00")).to_be_visible()
        await page.get_by_label("Notification to the shop").select_option("drop")
        await page.get_by_role("button", name="Pay", exact=True).click()
        await expect(page).to_have_url(re.compile(r"/health/live$"))

        status = await merchant.get(
            f"/sandbox-pay/api/payments/{reference}", headers={"Authorization": f"Bearer {key}"}
        )
        assert status.json()["status"] == "paid"
        assert boosted == [], "the hosted page is a plain form, with or without JavaScript"

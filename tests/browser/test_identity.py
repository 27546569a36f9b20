"""A creator's identity journey in a real browser, JavaScript on (htmx boosts it) and off (plain HTML)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Page, expect

import storefront
from tests.browser.conftest import htmx_requests
from tests.helpers import verification_path
from windsurf.core.i18n import translations_for
from windsurf.demo import DEMO_EMAIL

pytestmark = pytest.mark.browser

WRONG_LOGIN = (
    "That email and password do not match an account. "
    "If you signed up recently, first open the link we emailed you."
)


def amharic(message: str) -> str:
    """The Amharic the page must show, from the catalog the server reads (the msgid while untranslated)."""
    return str(translations_for(storefront.LOCALES_DIR, "am").gettext(message))


async def test_sign_up_log_out_and_log_in_again(page: Page, javascript: bool) -> None:
    suffix = uuid.uuid4().hex[:8]
    email, password = f"hana.{suffix}@example.com", "correct horse battery"
    boosted = htmx_requests(page)

    await page.goto("/signup")
    form = page.locator('form[action="/signup/email"]')
    await form.locator('input[name="display_name"]').fill("Hana Tesfaye")
    await form.locator('input[name="handle"]').fill(f"hana_{suffix}")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password").fill(password)
    await form.get_by_role("button", name="Create my store").click()

    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await expect(page.get_by_role("heading", level=1, name="My store")).to_be_visible()
    await expect(page.locator(f'a[href$="/@hana_{suffix}"]').first).to_be_visible()
    account = await (await page.request.get("/api/v1/identity/me")).json()

    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(re.compile(r"/login\?logged_out=1$"))
    await expect(page.get_by_role("status")).to_have_text("You have logged out.")

    login = page.locator('form[action="/login"]')
    for attempt in ("before the link", "after it"):
        await login.get_by_label("Email").fill(email)
        await login.get_by_label("Password").fill(password)
        await login.get_by_role("button", name="Log in").click()
        if attempt == "before the link":  # an address nobody has proven does not log in yet
            await expect(page.locator("#f-e-email")).to_have_text(WRONG_LOGIN)
            await page.goto(verification_path(account["id"], email))  # the emailed link
            await expect(page.get_by_role("status")).to_contain_text("is verified")
            await page.goto("/login")
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await expect(page.get_by_role("heading", level=1, name="My store")).to_be_visible()

    posted = {request.url.split("?")[0].removeprefix(page.url.split("/dashboard")[0]) for request in boosted}
    if javascript:
        assert {"/signup/email", "/logout", "/login"} <= posted, "htmx should have sent every form"
    else:
        assert boosted == [], "with JavaScript off every step must be a plain HTML form post"


async def test_wrong_password_shows_the_message_at_the_field(page: Page) -> None:
    await page.goto("/login")
    login = page.locator('form[action="/login"]')
    await login.get_by_label("Email").fill(DEMO_EMAIL)
    await login.get_by_label("Password").fill("not the password")
    await login.get_by_role("button", name="Log in").click()

    message = page.locator("#f-e-email")
    await expect(message).to_have_text(WRONG_LOGIN)
    await expect(login.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    await expect(login.get_by_label("Email")).to_have_attribute("aria-describedby", "f-e-email")
    await expect(login.get_by_label("Email")).to_have_value(DEMO_EMAIL)
    await expect(login.get_by_label("Password")).to_have_value("")
    await expect(page).to_have_url(re.compile(r"/login$"))


async def test_language_switch_to_amharic_and_back(page: Page) -> None:
    await page.goto("/login")
    await expect(page.locator("html")).to_have_attribute("lang", "en")

    await page.get_by_role("link", name="አማርኛ").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await expect(page.get_by_role("link", name="English")).to_be_visible()
    await expect(page.get_by_role("heading", level=1)).to_have_text(amharic("Log in"))
    await expect(page.locator("html")).to_have_attribute("lang", "am")

    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("link", name="አማርኛ")).to_be_visible()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    # The choice is a cookie, so it holds on the next page too.
    await page.goto("/signup")
    await expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize("javascript", [True], ids=["js"])
async def test_htmx_boosts_navigation_without_a_full_page_load(page: Page) -> None:
    await page.goto("/login")
    # A full page load would wipe this marker; an htmx swap keeps the same window.
    await page.evaluate("window.boostMarker = 'still the same window'")
    boosted = htmx_requests(page)

    await page.get_by_role("link", name="Create your store").click()

    await expect(page).to_have_url(re.compile(r"/signup$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Create your store")
    assert await page.evaluate("window.boostMarker") == "still the same window"
    assert [request.url.removeprefix(page.url.removesuffix("/signup")) for request in boosted] == ["/signup"]
    assert boosted[0].headers.get("hx-boosted") == "true"


@pytest.mark.parametrize("javascript", [False], ids=["nojs"])
async def test_every_sign_up_label_names_a_field_of_its_own_form(page: Page) -> None:
    await page.goto("/signup")
    for action in ("/signup/phone", "/signup/email"):
        form = page.locator(f'form[action="{action}"]')
        for label in ("Your name", "Your store link"):
            await expect(form.get_by_label(label)).to_have_count(1, timeout=1000)

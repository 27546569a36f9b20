"""Forms that never lose what was typed, in Chromium with JavaScript on and off: a published product joins the
store's draft and its page links to publishing the store; one save for a product page; a stale save from a
second tab is refused with both values shown; after an error the summary has the focus and the address bar
answers GET with the form; a wrong SMS code keeps the phone; leaving with unsaved changes asks first (JS on).
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import BrowserContext, Dialog, Page, expect

from tests.browser.conftest import sign_up_creator

pytestmark = pytest.mark.browser


async def settled(page: Page) -> None:
    """htmx wires up swapped-in content when the swap settles; act on a page only after that."""
    await expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


async def create_link(page: Page, title: str) -> str:
    await page.goto("/dashboard/products/new")
    form = page.locator('form[action="/dashboard/products/new"]')
    await form.locator('input[name="kind"][value="link"]').check()
    await form.locator('input[name="title"]').fill(title)
    await form.locator('input[name="external_url"]').fill("https://example.com/episode")
    await form.get_by_role("button", name="Create product").click()
    await expect(page).to_have_url(re.compile(r"/dashboard/products/[0-9a-f-]{36}\?done=created$"))
    await settled(page)
    return page.url.split("/")[-1].split("?")[0]


def details(page: Page, product_id: str) -> object:
    return page.locator(f'form[action="/dashboard/products/{product_id}"]')


async def test_publishing_a_product_puts_it_in_the_draft_and_links_to_publishing_the_store(
    page: Page, context: BrowserContext
) -> None:
    handle = await sign_up_creator(page)
    product_id = await create_link(page, "Episode one")
    form = page.locator(f'form[action="/dashboard/products/{product_id}"]')
    # One save for the page: the description typed and the visibility chosen go together.
    await form.locator('textarea[name="description"]').fill("Notes for the first episode.")
    await form.locator('select[name="visibility"]').select_option("published")
    await form.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_text("publish your store to show it to buyers")).to_be_visible()
    await expect(form.locator('textarea[name="description"]')).to_have_value("Notes for the first episode.")
    await expect(page.locator(".badge.published")).to_be_visible()

    await settled(page)
    await page.get_by_role("link", name="Publish your store").click()
    await expect(page).to_have_url(re.compile(r"/dashboard#status$"))
    await expect(page.locator("#blocks li.blk", has_text="Episode one")).to_have_count(1)
    await settled(page)
    await page.locator("#status").get_by_role("button", name="Publish").click()
    await expect(page.locator("#status .badge")).to_have_text("Published")

    buyer = await context.new_page()
    for _ in range(10):  # the buyer's page is rendered by a job once the publish commits
        await buyer.goto(f"/@{handle}")
        if await buyer.get_by_text("Episode one").count():
            break
        await buyer.wait_for_timeout(500)
    await expect(buyer.get_by_text("Episode one").first).to_be_visible()
    await page.bring_to_front()
    await page.goto(f"/dashboard/products/{product_id}")
    await expect(page.get_by_text("On your store: buyers see it.")).to_be_visible()


async def test_a_save_from_a_stale_tab_is_refused_and_keeps_what_was_typed(
    page: Page, context: BrowserContext
) -> None:
    await sign_up_creator(page)
    product_id = await create_link(page, "Episode two")
    other = await context.new_page()
    await other.goto(f"/dashboard/products/{product_id}")

    await page.bring_to_front()
    form = page.locator(f'form[action="/dashboard/products/{product_id}"]')
    await form.locator('input[name="title"]').fill("Saved in the first tab")
    await form.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_text("Your changes are saved.")).to_be_visible()

    await other.bring_to_front()
    await settled(other)
    stale = other.locator(f'form[action="/dashboard/products/{product_id}"]')
    await stale.locator('input[name="title"]').fill("Typed in the second tab")
    await stale.get_by_role("button", name="Save changes").click()
    await expect(other.get_by_text("This was changed elsewhere")).to_be_visible()
    await expect(other.locator("#newer")).to_contain_text("Saved in the first tab")
    form_again = other.locator(f'form[action="/dashboard/products/{product_id}"]')
    await expect(form_again.locator('input[name="title"]')).to_have_value("Typed in the second tab")
    # The summary has the focus, JavaScript on or off.
    await expect(other.locator(".alert[role=alert]")).to_be_focused()

    await settled(other)
    other.on("dialog", lambda dialog: dialog.accept())
    await form_again.get_by_role("button", name="Save changes").click()
    await expect(other.get_by_text("Your changes are saved.")).to_be_visible()
    await expect(other.get_by_role("heading", level=1)).to_have_text("Typed in the second tab")


async def test_after_an_error_the_summary_has_the_focus_and_the_address_answers_get(page: Page) -> None:
    await sign_up_creator(page)
    await page.goto("/dashboard/products/new")
    await settled(page)
    form = page.locator('form[action="/dashboard/products/new"]')
    await form.locator('input[name="price"]').fill("not a price")
    await form.get_by_role("button", name="Create product").click()
    summary = page.locator(".alert[role=alert]")
    await expect(summary).to_contain_text("Give your product a title.")
    await expect(summary).to_be_focused()
    await expect(page.locator('input[name="price"]')).to_have_value("not a price")

    # Whatever the address bar shows now (the page's own address with JS, the form's action without), asking
    # for it again answers with the form, never "That action is not allowed here".
    assert page.url.endswith("/dashboard/products/new")
    await page.goto(page.url)
    await expect(page.get_by_role("heading", level=1)).to_have_text("New product")
    await expect(page.get_by_text("That action is not allowed here")).to_have_count(0)
    for address in ("/dashboard/profile", "/dashboard/publish", "/signup/email"):
        await page.goto(address)
        await expect(page.get_by_text("That action is not allowed here")).to_have_count(0)
        assert "/dashboard" in page.url


async def test_a_wrong_sms_code_keeps_the_phone_number(page: Page) -> None:
    phone = "+2519" + str(uuid.uuid4().int)[:8]
    await page.goto(f"/verify?phone={phone.replace('+', '%2B')}&purpose=signup")
    await settled(page)
    await page.get_by_label("Code").fill("000000")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator(".alert[role=alert]")).to_be_visible()
    await expect(page.locator(".alert[role=alert]")).to_be_focused()
    await expect(page.get_by_text(phone)).to_be_visible()
    await page.goto(page.url)  # a reload of the address bar after the error
    await expect(page.get_by_text(phone)).to_be_visible()
    await expect(page.locator('input[name="phone"]')).to_have_value(phone)


async def test_leaving_with_unsaved_changes_asks_first(page: Page, javascript: bool) -> None:
    await sign_up_creator(page)
    product_id = await create_link(page, "Episode three")
    form = page.locator(f'form[action="/dashboard/products/{product_id}"]')
    await form.locator('textarea[name="description"]').fill("Typed but not saved")

    asked: list[str] = []

    async def dismiss(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", dismiss)
    await page.get_by_role("navigation").get_by_role("link", name="Products").click()
    if not javascript:
        # Nothing can ask without a script: the link goes on at once, as every link must without JavaScript.
        await expect(page).to_have_url(re.compile(r"/dashboard/products$"))
        assert asked == []
        return
    for _ in range(50):
        if asked:
            break
        await page.wait_for_timeout(100)
    assert asked and "not saved" in asked[0]
    await expect(page).to_have_url(re.compile(rf"/dashboard/products/{product_id}"))
    await expect(form.locator('textarea[name="description"]')).to_have_value("Typed but not saved")

    # Saving clears the warning: the next navigation goes straight on.
    await form.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_text("Your changes are saved.")).to_be_visible()
    await settled(page)
    count = len(asked)
    await page.get_by_role("navigation").get_by_role("link", name="Products").click()
    await expect(page).to_have_url(re.compile(r"/dashboard/products$"))
    assert len(asked) == count


async def test_the_language_switch_works_on_an_error_page(page: Page) -> None:
    answer = await page.goto("/@nobody_has_this/nothing")
    assert answer is not None and answer.status == 404
    await expect(page.get_by_role("link", name="Log in")).to_have_count(0)
    await page.get_by_role("link", name="አማርኛ").click()
    await expect(page.locator("html")).to_have_attribute("lang", "am")
    await expect(page).to_have_url(re.compile(r"/@nobody_has_this/nothing$"))
    await expect(page.get_by_role("link", name="English")).to_be_visible()
    await expect(page.get_by_role("heading", level=1)).to_have_count(1)

"""A new creator builds a store on a phone: a product, the profile, blocks added, moved and removed, publish.

With JavaScript off every step is a plain form post answered by a redirect; with it on the store builder's
forms are htmx fragments (HX-Request with an HX-Target, the section swapped in place, no page load) and the
rest of the dashboard is boosted. Either way a buyer sees nothing of the draft until the creator publishes,
and sees the change at once when they do (a new page-cache version, no purge). Screenshots of the builder
and of the store land in test-artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Locator, Page, Request, expect

from tests.browser.conftest import htmx_requests, screenshot, sign_up_creator
from tests.browser.measure import PHONE

pytestmark = pytest.mark.browser

PRODUCT = "Career Coaching Call"
LINK = "My Telegram channel"
CAPTURE = "Get my CV checklist"
FIRST_BIO = "Career coaching in Addis Ababa."
SECOND_BIO = "Career coaching in Addis Ababa, now on Telegram too."


# Elements that stick out of a phone's width (what makes a page scroll sideways or zoom out), outermost first.
OVERFLOWING = """[...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .filter(e => !e.parentElement.closest('*') || e.parentElement.getBoundingClientRect().right
                 <= document.documentElement.clientWidth + 0.5)
    .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')}`
              + ` ${Math.round(e.getBoundingClientRect().right)}px`)"""


async def click(page: Page, target: Locator) -> None:
    """Click once htmx has settled: it wires up swapped-in forms only when the swap settles (~20 ms later),
    and a click on a form it has not wired up yet is a plain post and a full page load. The tab comes to
    the front first: the buyer's tab covers it at times, and a background tab's animation frames (which
    Playwright waits for) are throttled to about one a second."""
    await page.bring_to_front()
    await expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)
    await target.click()


def block(page: Page, text: str) -> Locator:
    return page.locator("#blocks li.blk", has_text=text)


async def add_block(page: Page, summary: str, kind: str) -> Locator:
    await click(page, page.locator("#blocks summary", has_text=summary))
    return page.locator(f'#blocks form:has(input[name="type"][value="{kind}"])')


async def buyer_sees(buyer: Page, handle: str, name: str, bio: str, blocks: list[str]) -> None:
    await buyer.bring_to_front()
    # Buyers' pages are rendered by a job once a change commits (the in-process worker polls every second): a
    # buyer who comes at once may get the page as it was, and sees the change on reloading, as a person would.
    for _ in range(10):
        await buyer.goto(f"/@{handle}")
        headings = await buyer.get_by_role("heading", level=1).all_inner_texts()
        bios = await buyer.locator(".bi").all_inner_texts()
        if (headings, bios) == ([name], [bio]) and await buyer.locator("ul.bl > li").count() == len(blocks):
            break
        await buyer.wait_for_timeout(500)
    await expect(buyer.get_by_role("heading", level=1)).to_have_text(name)
    await expect(buyer.locator(".bi")).to_have_text(bio)
    items = buyer.locator("ul.bl > li")
    await expect(items).to_have_count(len(blocks))
    for index, text in enumerate(blocks):
        await expect(items.nth(index)).to_contain_text(text)


def path_of(request: Request) -> str:
    return "/" + request.url.split("/", 3)[3]


async def test_creator_builds_and_publishes_a_store_on_a_phone(
    page: Page, context: BrowserContext, javascript: bool
) -> None:
    await page.set_viewport_size(PHONE["viewport"])
    handle = await sign_up_creator(page, "Hana Tesfaye")
    await page.evaluate("window.sameWindow = 'yes'")  # a full page load would lose it
    sent = htmx_requests(page)

    # A product: choose its kind, fill it in, save the description, publish it.
    await click(page, page.get_by_role("navigation").get_by_role("link", name="Products"))
    await click(page, page.get_by_role("link", name="New product", exact=True))
    new = page.locator('form[action="/dashboard/products/new"]')
    await new.get_by_role("radio", name=re.compile("^Coaching session")).check()
    await new.get_by_label("Title").fill(PRODUCT)
    await new.get_by_label("Price in birr").fill("500")
    await new.get_by_label("Duration in minutes").fill("45")
    await click(page, new.get_by_role("button", name="Create product"))
    await expect(page).to_have_url(re.compile(r"/dashboard/products/[0-9a-f-]{36}\?done=created$"))
    await expect(page.get_by_role("status")).to_have_text(
        "Product created. Add the details, then publish it."
    )
    await page.get_by_label("Description").fill("One **45-minute** call about your CV and interviews.")
    await click(page, page.get_by_role("button", name="Save changes"))
    await expect(page.get_by_role("status")).to_have_text("Your changes are saved.")
    await page.get_by_label("Who can see this product?").select_option("published")
    await click(page, page.get_by_role("button", name="Save changes"))
    await expect(page.get_by_role("status")).to_have_text(
        "Published. It is now in your store's draft: publish your store to show it to buyers."
    )
    if javascript:  # the same page either way; one picture is enough
        await screenshot(page, "builder-product-phone")

    # The store: name and bio, then a product, a link and a sign-up form, then publish.
    await click(page, page.get_by_role("navigation").get_by_role("link", name="My store"))
    await expect(page.get_by_role("heading", level=1, name="My store")).to_be_visible()
    profile = page.locator("#profile form")
    await profile.get_by_label("Store name").fill("Hana's Career Desk")
    await profile.get_by_label("Bio").fill(FIRST_BIO)
    await click(page, profile.get_by_role("button", name="Save profile"))
    await expect(page.locator("#status")).to_contain_text("Not published yet")
    await expect(page.locator("#preview .bi")).to_have_text(FIRST_BIO)

    # Publishing the product put it on the store's draft already.
    await expect(block(page, PRODUCT)).to_be_visible()
    form = await add_block(page, "Add a link", "link")
    await form.get_by_label("Title").fill(LINK)
    await form.get_by_label("Link").fill("https://t.me/hana_career")
    await click(page, form.get_by_role("button", name="Add link"))
    await expect(block(page, LINK)).to_be_visible()
    form = await add_block(page, "Add a sign-up form", "capture")
    await form.get_by_label("Heading").fill(CAPTURE)
    await click(page, form.get_by_role("button", name="Add sign-up form"))
    await expect(page.locator("#blocks li.blk strong")).to_have_text([PRODUCT, LINK, CAPTURE])
    # The builder's own CSS came along, also by a boosted navigation from another dashboard page.
    await expect(page.locator("#blocks li.blk").first).to_have_css("list-style-type", "none")

    await click(page, page.locator("#status").get_by_role("button", name="Publish"))
    await expect(page.locator("#status .badge")).to_have_text("Published")
    await expect(page.locator("#status").get_by_role("button", name="Publish")).to_be_disabled()

    buyer = await context.new_page()
    await buyer.set_viewport_size(PHONE["viewport"])
    await buyer_sees(buyer, handle, "Hana's Career Desk", FIRST_BIO, [PRODUCT, LINK, CAPTURE])
    await buyer.locator("a.pc", has_text=PRODUCT).click()
    await expect(buyer.get_by_role("link", name="Book now")).to_have_attribute(
        "href", re.compile(rf"^/checkout/{handle}/[a-z0-9-]+$")
    )

    # Reorder (up, then down), remove a block, edit the bio: a draft the buyer must not see yet.
    await click(page, block(page, LINK).get_by_role("button", name="Move up"))
    await expect(page.locator("#blocks li.blk strong")).to_have_text([LINK, PRODUCT, CAPTURE])
    await click(page, block(page, PRODUCT).get_by_role("button", name="Move down"))
    await expect(page.locator("#blocks li.blk strong")).to_have_text([LINK, CAPTURE, PRODUCT])
    await click(page, block(page, CAPTURE).get_by_role("button", name="Remove"))
    await expect(page.locator("#blocks li.blk strong")).to_have_text([LINK, PRODUCT])
    await page.locator("#profile form").get_by_label("Bio").fill(SECOND_BIO)
    await click(page, page.locator("#profile form").get_by_role("button", name="Save profile"))
    await expect(page.locator("#status .badge")).to_have_text("Unpublished changes")
    await expect(page.locator("#preview ul.bl > li")).to_have_count(2)
    await expect(page.locator("#preview .bi")).to_have_text(SECOND_BIO)

    await buyer_sees(buyer, handle, "Hana's Career Desk", FIRST_BIO, [PRODUCT, LINK, CAPTURE])

    await click(page, page.locator("#status").get_by_role("button", name="Publish"))
    await expect(page.locator("#status .badge")).to_have_text("Published")
    await buyer_sees(buyer, handle, "Hana's Career Desk", SECOND_BIO, [LINK, PRODUCT])

    # Nothing on the phone is wider than the phone.
    for shown in (page, buyer):
        width = await shown.evaluate("document.documentElement.scrollWidth")
        assert width == PHONE["viewport"]["width"], await shown.evaluate(OVERFLOWING)
    if javascript:  # the builder's own picture is the test's last screenshot (conftest)
        await screenshot(buyer, "store-new-creator-phone")

    if not javascript:
        assert sent == [], "with JavaScript off every step must be a plain HTML form post"
        return
    assert await page.evaluate("window.sameWindow") == "yes", "the builder was reloaded"
    fragments = [request for request in sent if request.headers.get("hx-boosted") != "true"]
    paths = [path_of(request) for request in fragments]
    link_id, product_id = await block_id(page, LINK), await block_id(page, PRODUCT)
    # The product block is not among them: publishing the product put it on the draft.
    assert paths[:6] == [
        "/dashboard/profile",
        "/dashboard/blocks",
        "/dashboard/blocks",
        "/dashboard/publish",
        f"/dashboard/blocks/{link_id}/move",
        f"/dashboard/blocks/{product_id}/move",
    ], paths
    assert re.fullmatch(r"/dashboard/blocks/[0-9a-f]+/delete", paths[6]), paths
    assert paths[7:] == ["/dashboard/profile", "/dashboard/publish"], paths
    targets = {path_of(request): request.headers.get("hx-target") for request in fragments}
    assert targets["/dashboard/profile"] == "profile"
    assert targets["/dashboard/blocks"] == "blocks"
    assert targets["/dashboard/publish"] == "status"
    # The dashboard's other pages and forms went through htmx too (boosted), never a page load.
    boosted = {
        path_of(request).split("?")[0] for request in sent if request.headers.get("hx-boosted") == "true"
    }
    assert {"/dashboard/products", "/dashboard/products/new", "/dashboard"} <= boosted


async def block_id(page: Page, text: str) -> str:
    return (await block(page, text).get_attribute("id") or "").removeprefix("b-")

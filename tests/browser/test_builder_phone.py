"""The builder looks finished on a 390 px phone, with JavaScript on and off, measured from the element boxes
Chromium lays out: titles in lists wrap instead of being cut to a few characters, the visibility control never
overlaps the badge, disabled buttons look disabled, the sticky status bar stays within about 56 px and covers no
section it scrolls to, "Remove the cover" sits inside its card, and the new-product form shows only the
chosen kind's fields."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import LiveServer, screenshot, sign_up_creator
from tests.browser.measure import PHONE

pytestmark = pytest.mark.browser

LONG_TITLE = "Addis Ababa coffee ceremony: a complete guide for beginners"
LONG_LINK = "Follow my Telegram channel for weekly design lessons"
STATUS_BAR_MAX_PX = 56
CUT = "el => el.scrollWidth > el.clientWidth + 1 || getComputedStyle(el).textOverflow === 'ellipsis'"


@pytest.fixture
async def phone(browser: Browser, live_server: LiveServer, javascript: bool) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(
        base_url=live_server.url, java_script_enabled=javascript, locale="en-US", **PHONE
    )
    context.set_default_timeout(10_000)
    yield context
    await context.close()


async def box(locator: Locator) -> dict[str, float]:
    measured = await locator.bounding_box()
    assert measured is not None, f"{locator} is not shown"
    return measured


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["x"] >= outer["x"]
        and inner["y"] >= outer["y"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


async def new_product(page: Page, kind_label: str, title: str, **fields: str) -> None:
    await page.goto("/dashboard/products/new")
    await page.get_by_role("radio", name=kind_label).check()
    await page.locator('input[name="title"]').fill(title)
    for name, value in fields.items():
        await page.locator(f'input[name="{name}"]').fill(value)
    await page.get_by_role("button", name="Create product").click()
    await expect(page.locator("h1")).to_have_text(title)


async def test_the_new_product_form_shows_only_the_chosen_kinds_fields(phone: BrowserContext) -> None:
    page = await phone.new_page()
    await sign_up_creator(page)
    await page.goto("/dashboard/products/new")
    expected = {
        "Coaching session": {"price", "duration_minutes"},
        "External link": {"price", "external_url"},
        "Lead magnet": set(),
        "Digital download": {"price"},
    }
    for label, shown in expected.items():
        await page.get_by_role("radio", name=label).check()
        for name in ("price", "external_url", "duration_minutes"):
            field = page.locator(f'input[name="{name}"]')
            await (expect(field).to_be_visible() if name in shown else expect(field).to_be_hidden())
    # A price typed before switching to a free lead magnet is hidden, and not held against the form.
    await page.get_by_role("radio", name="Digital download").check()
    await page.locator('input[name="price"]').fill("150")
    await page.get_by_role("radio", name="Lead magnet").check()
    await page.locator('input[name="title"]').fill("Free proverbs pack")
    await page.get_by_role("button", name="Create product").click()
    await expect(page.locator("h1")).to_have_text("Free proverbs pack")
    await screenshot(page, "new-product-kinds")


async def test_lists_wrap_titles_and_controls_do_not_overlap(phone: BrowserContext, javascript: bool) -> None:
    page = await phone.new_page()
    await sign_up_creator(page)
    await new_product(page, "Digital download", LONG_TITLE, price="150")
    await new_product(page, "Digital download", "Second guide", price="90")
    await page.goto("/dashboard/products")
    rows = page.locator("li.prow")
    await expect(rows).to_have_count(2)
    title = rows.first.locator(".meta a")
    await expect(title).to_have_text(LONG_TITLE)
    assert not await title.evaluate(CUT), "the product title is cut"
    for row in (rows.first, rows.last):
        badge = await box(row.locator(".badge"))
        for control in ("select", "button:visible"):
            for element in await row.locator(control).all():
                assert not overlap(badge, await box(element)), f"{control} overlaps the badge"
        assert inside(await box(row.locator(".acts")), await box(row))
    # The first row cannot move up: its button says so by looking disabled.
    up = rows.first.get_by_role("button", name="Move up")
    await expect(up).to_be_disabled()
    opacity = float(await up.evaluate("el => getComputedStyle(el).opacity"))
    enabled = float(
        await rows.last.get_by_role("button", name="Move up").evaluate("el => getComputedStyle(el).opacity")
    )
    assert opacity <= 0.6 < enabled
    await screenshot(page, f"products-list-{'js' if javascript else 'nojs'}")

    # Blocks in the store builder wrap their titles too.
    await page.goto("/dashboard")
    await page.locator("#blocks summary", has_text="Add a link").click()
    form = page.locator('#blocks form:has(input[name="type"][value="link"])')
    await form.locator('input[name="title"]').fill(LONG_LINK)
    await form.locator('input[name="url"]').fill("https://t.me/hana_designs")
    await form.get_by_role("button", name="Add link").click()
    strong = page.locator("#blocks li.blk strong", has_text="Follow my Telegram")
    await expect(strong).to_have_text(LONG_LINK)
    assert not await strong.evaluate(CUT), "the block title is cut"


async def test_status_bar_is_small_and_covers_no_section(phone: BrowserContext, javascript: bool) -> None:
    page = await phone.new_page()
    await sign_up_creator(page)
    bar = page.locator("#status")
    assert (await box(bar))["height"] <= STATUS_BAR_MAX_PX
    publish = bar.get_by_role("button", name="Publish")
    await expect(publish).to_be_enabled()
    for section in ("profile", "avatar", "banner", "blocks", "theme", "socials", "settings"):
        # Where a saved form without JavaScript returns to (/dashboard#section), and where a link jumps.
        await page.goto(f"/dashboard#{section}")
        heading = page.locator(f"#{section} h2")
        await expect(heading).to_be_visible()
        bar_box, heading_box = await box(bar), await box(heading)
        assert bar_box["height"] <= STATUS_BAR_MAX_PX, section
        assert heading_box["y"] >= bar_box["y"] + bar_box["height"], f"the status bar covers #{section}"
    # An error: the profile refused with a message; the field and its message are not under the bar.
    await page.goto("/dashboard#profile")
    await page.locator("#f-handle").fill("x")
    await page.get_by_role("button", name="Save profile").click()
    error = page.locator("#profile .error").first
    await expect(error).to_be_visible()
    await error.scroll_into_view_if_needed()
    await page.locator("#f-handle").focus()
    bar_box = await box(bar)
    for element in (page.locator("#f-handle"), error):
        element_box = await box(element)
        if element_box["y"] < bar_box["y"] + bar_box["height"]:
            assert not overlap(bar_box, element_box), "the status bar covers the field or its message"
    await screenshot(page, f"status-bar-{'js' if javascript else 'nojs'}")


def png(width: int = 800, height: int = 600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (11, 122, 83)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_remove_the_cover_sits_inside_its_card(phone: BrowserContext) -> None:
    page = await phone.new_page()
    await sign_up_creator(page)
    await new_product(page, "Digital download", "Coffee guide", price="150")
    files: Any = [{"name": "cover.png", "mimeType": "image/png", "buffer": png()}]
    await page.locator("#f-cover").set_input_files(files)
    await page.get_by_role("button", name="Upload cover").click()
    remove = page.get_by_role("button", name="Remove the cover")
    await expect(remove).to_be_visible()
    assert inside(await box(remove), await box(page.locator("#cover")))
    await remove.click()
    await expect(page.get_by_role("button", name="Remove the cover")).to_have_count(0)

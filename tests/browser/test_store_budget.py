"""Issue 3's budgets for the store page, measured in Chromium on the demo store (24 published products).

What the browser really fetched, as DevTools counts "transferred" (headers plus the compressed body), on a
phone (``measure.PHONE``: 390x844 CSS pixels at 3x) under Chrome's "Slow 4G" preset:

- the HTML, critical CSS inlined, <= 12,000 bytes: it arrives in the first TCP round trip;
- the whole first visit <= 60,000 bytes with JavaScript on: HTML, htmx and the above-the-fold images.
  "Above the fold" is what Chromium itself decides to fetch on first load with ``loading="lazy"`` in that
  viewport. Chromium starts lazy images that are within a distance of the viewport that grows as the
  connection gets slower (1,250 px on 4G, 2,500 px on 3G; Slow 4G's 562 ms round trip counts as 3G), so
  under Slow 4G it fetches every cover of the demo page (3,300 px tall) and the budget holds with all of them;
- a return visit <= 2,000 bytes: the HTML revalidates to a 304 and everything else comes from the cache.

``test_covers_below_the_fold_wait_for_the_scroll`` checks the lazy loading itself on a 4G connection, where
Chromium's distance leaves the bottom of the page out. Timing is recorded (test-artifacts/browser/
store-slow4g.json and bench/RESULTS.md), never asserted beyond "there is a paint, after one round trip".
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, expect

import storefront
from tests.browser.conftest import ARTIFACTS, LiveServer, screenshot
from tests.browser.measure import (
    PHONE,
    THROTTLES,
    PageLoad,
    measure_page,
    measure_repeat_visit,
    write_measurements,
)

pytestmark = pytest.mark.browser

STORE = "/@demo"
HTML_BUDGET = 12_000  # every layout: tests/storefront/test_store_page.py renders each with 24 products
FIRST_VISIT_BUDGET = 60_000  # the "60 KB", read as the stricter 60,000 bytes
REPEAT_VISIT_BUDGET = 2_000
DEMO_PRODUCTS = 24


def of_type(load: PageLoad, kind: str) -> list[str]:
    return [resource.url for resource in load.resources if resource.type == kind]


def summary(load: PageLoad) -> str:
    """What a failing budget prints: every resource and its bytes."""
    rows = [
        f"{r.transferred_bytes:>7} {r.wire_status or r.status} {r.type:<9} {r.url}" for r in load.resources
    ]
    return f"total {load.total_transferred_bytes} B\n" + "\n".join(rows)


async def test_store_page_budgets_on_a_phone_under_slow_4g(browser: Browser, live_server: LiveServer) -> None:
    url = f"{live_server.url}{STORE}"
    # One after the other: side by side, the loads compete for the CPU and the paint times mean less.
    js_first, js_repeat = await measure_repeat_visit(browser, url, js=True, device=PHONE)
    nojs_first, nojs_repeat = await measure_repeat_visit(browser, url, js=False, device=PHONE)
    # The demo store's own language: Ethiopic script is three bytes a letter before compression.
    amharic = await measure_page(browser, url, js=False, throttle=None, locale="am", device=PHONE)
    write_measurements(
        ARTIFACTS / "store-slow4g.json",
        {
            "first_visit_js": js_first,
            "repeat_visit_js": js_repeat,
            "first_visit_nojs": nojs_first,
            "repeat_visit_nojs": nojs_repeat,
            "first_visit_nojs_amharic_unthrottled": amharic,
        },
    )
    htmx = f"{live_server.url}{storefront.HTMX_PATH}"

    for load in (js_first, nojs_first, amharic):
        page = load.document
        assert page.status == 200 and page.content_encoding == "gzip", summary(load)
        assert 1000 < load.html_transferred_bytes <= HTML_BUDGET, summary(load)
        # Nothing failed or was missing (a /favicon.ico 404 page alone used to cost 4.3 KB).
        assert [r.url for r in load.resources if r.failed or r.status >= 400] == [], summary(load)
        assert of_type(load, "Font") == [], "system fonts only: no web font may be fetched"
        assert of_type(load, "Stylesheet") == [], "the CSS is inlined"
        images = of_type(load, "Image")
        assert images and all("/media/public/" in image and image.endswith(".webp") for image in images)

    # With JavaScript on, htmx is the one and only script; with it off, no script is fetched at all.
    assert of_type(js_first, "Script") == [htmx], summary(js_first)
    assert of_type(nojs_first, "Script") == []
    assert js_first.total_transferred_bytes <= FIRST_VISIT_BUDGET, summary(js_first)
    assert nojs_first.total_transferred_bytes <= js_first.total_transferred_bytes
    # Slow 4G counts as 3G for lazy loading, so Chromium fetched the avatar and every cover: the budget above
    # holds even then. (On 4G it leaves the bottom covers for the scroll; see the next test.)
    assert len(of_type(js_first, "Image")) == DEMO_PRODUCTS + 1, summary(js_first)

    for first, repeat in ((js_first, js_repeat), (nojs_first, nojs_repeat)):
        assert repeat.document.wire_status == 304, summary(repeat)
        assert repeat.total_transferred_bytes <= REPEAT_VISIT_BUDGET, summary(repeat)
        others = [r for r in repeat.resources if r.type != "Document"]
        assert {r.url for r in others} == {r.url for r in first.resources if r.type != "Document"}
        assert all(r.from_cache and r.transferred_bytes == 0 for r in others), summary(repeat)

    # Sanity, not speed: a paint happened, and not before the first emulated round trip.
    for load in (js_first, js_repeat, nojs_first, nojs_repeat):
        assert load.throttle == "slow4g"
        assert load.fcp_ms is not None and load.fcp_ms >= THROTTLES["slow4g"].latency_ms, summary(load)


IMAGES_JS = """[...document.images].map(img => ({
    urls: [img.getAttribute('src'), ...(img.getAttribute('srcset') || '').split(',')
           .map(candidate => candidate.trim().split(' ')[0])].filter(Boolean)
           .map(url => new URL(url, location.href).href),
    loading: img.getAttribute('loading') || 'eager',
    width: img.getAttribute('width'),
    height: img.getAttribute('height'),
    top: img.getBoundingClientRect().top + scrollY,
}))"""


async def test_covers_below_the_fold_wait_for_the_scroll(browser: Browser, live_server: LiveServer) -> None:
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    try:
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        # 4G: Chromium loads lazy images within 1,250 px of the viewport (2,500 px on 3G and slower).
        await cdp.send("Network.emulateNetworkConditions", THROTTLES["fast4g"].cdp_params())
        fetched: list[str] = []
        page.on(
            "request",
            lambda request: fetched.append(request.url) if request.resource_type == "image" else None,
        )
        await page.goto(STORE)
        await page.wait_for_load_state("networkidle")

        # Nothing is wider than the phone (a wider page is zoomed out, and its "fold" moves down with it).
        assert await page.evaluate("document.documentElement.scrollWidth") == PHONE["viewport"]["width"]
        images: list[dict[str, Any]] = await page.evaluate(IMAGES_JS)
        fold = PHONE["viewport"]["height"]
        assert len(images) == DEMO_PRODUCTS + 1
        for image in images:
            assert image["width"] and image["height"], f"no width/height: {image['urls'][0]}"
        waiting = [image for image in images if not set(image["urls"]) & set(fetched)]
        above = [image for image in images if image["top"] < fold]
        assert above and all(image not in waiting for image in above), "a visible image was not fetched"
        assert waiting, "every cover was fetched on first load: nothing was lazy"
        assert all(image["loading"] == "lazy" and image["top"] > fold for image in waiting)
        # The first covers are eager (no lazy-load delay for what a phone shows at once).
        assert [image["loading"] for image in images[:4]] == ["eager"] * 4
        await screenshot(page, "store-phone-first-load")

        # The buyer scrolls: the waiting covers load.
        await page.locator("img").last.scroll_into_view_if_needed()
        for index in range(len(images)):
            await expect(page.locator("img").nth(index)).to_have_js_property("complete", True)
        assert all(set(image["urls"]) & set(fetched) for image in images)
        assert await page.evaluate("[...document.images].every(img => img.naturalWidth > 0)")
    finally:
        await context.close()

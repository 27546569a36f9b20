"""The transfer and paint measurement the store-page budgets will use, exercised on the login page.

Asserts what the measurement must get right (which resources load, that bytes are counted, that throttling and
the cache take effect), never how fast anything is. The numbers land in
test-artifacts/browser/login-slow4g.json and are recorded in bench/RESULTS.md.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

import storefront
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.measure import THROTTLES, PageLoad, measure_page, measure_repeat_visit, write_measurements

pytestmark = pytest.mark.browser


def scripts(load: PageLoad) -> list[str]:
    return [resource.url for resource in load.resources if resource.type == "Script"]


async def test_login_page_under_slow_4g(browser: Browser, live_server: LiveServer) -> None:
    url = f"{live_server.url}/login"
    with_js = await measure_page(browser, url, js=True, throttle="slow4g")
    without_js = await measure_page(browser, url, js=False, throttle="slow4g")
    first, repeat = await measure_repeat_visit(browser, url, js=True, throttle="slow4g")
    write_measurements(
        ARTIFACTS / "login-slow4g.json",
        {"first_visit_js": with_js, "first_visit_nojs": without_js, "repeat_visit_js": repeat},
    )

    htmx = f"{live_server.url}{storefront.HTMX_PATH}"
    for load in (with_js, without_js, first):
        assert load.document.status == 200
        # Headers alone are a few hundred bytes; the login page's HTML is kilobytes.
        assert load.html_transferred_bytes > 1000
        assert load.total_transferred_bytes == sum(resource.transferred_bytes for resource in load.resources)
        # Nothing can paint before the document's first emulated round trip: proof the throttle was on.
        assert load.fcp_ms is not None and load.fcp_ms >= THROTTLES["slow4g"].latency_ms
    assert scripts(with_js) == [htmx]
    assert next(r for r in with_js.resources if r.url == htmx).transferred_bytes > 10_000
    assert scripts(without_js) == [], "a JavaScript-off buyer must not download htmx"

    # The versioned htmx file is immutable: a returning buyer gets it from the cache, no bytes on the wire.
    cached_htmx = next(resource for resource in repeat.resources if resource.url == htmx)
    assert cached_htmx.from_cache and cached_htmx.transferred_bytes == 0
    assert repeat.total_transferred_bytes < first.total_transferred_bytes

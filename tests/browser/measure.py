"""What a page costs a buyer on a slow phone network: bytes on the wire and first contentful paint.

The store-page budget tests use this: ``await measure_page(browser, url)`` loads ``url`` in a fresh browser
context (empty cache, no cookies) under Chrome's "Slow 4G" preset and reports, per resource, the bytes the
network really carried (CDP ``Network.loadingFinished.encodedDataLength``: compressed body plus headers, what
DevTools calls "transferred"), and the page's first contentful paint from
``performance.getEntriesByType('paint')``. ``await measure_repeat_visit(browser, url)`` loads it twice in one
context, the second time in a new tab as a returning buyer would, to show what revalidates (304) and what
comes from the cache (0 bytes).

Numbers are recorded (bench/RESULTS.md, test-artifacts/), never compared with timers in tests: FCP under
emulated throttling is deterministic enough to read, not to assert on.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, CDPSession, Page


@dataclass(frozen=True)
class Throttle:
    """Network.emulateNetworkConditions values as DevTools sends them (bytes per second, milliseconds)."""

    latency_ms: float
    download_bytes_per_s: float
    upload_bytes_per_s: float

    def cdp_params(self) -> dict[str, Any]:
        return {
            "offline": False,
            "latency": self.latency_ms,
            "downloadThroughput": self.download_bytes_per_s,
            "uploadThroughput": self.upload_bytes_per_s,
        }


# Chrome DevTools presets (see /work/shared/notes/web-performance.md); "slow4g" is the buyer we design for.
THROTTLES = {
    "slow3g": Throttle(latency_ms=2000, download_bytes_per_s=50_000, upload_bytes_per_s=50_000),
    "slow4g": Throttle(latency_ms=562.5, download_bytes_per_s=180_000, upload_bytes_per_s=84_375),
    "fast4g": Throttle(latency_ms=165, download_bytes_per_s=1_012_500, upload_bytes_per_s=168_750),
}
SETTLE_TIMEOUT_S = 30.0

# The phone the store-page budgets are measured on: 390x844 CSS pixels at 3 device pixels per CSS pixel (an
# iPhone 12 to 15; a mid-range Android is 360-412 wide at 2-3x). Lazy-loading decisions depend on it.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


@dataclass
class Resource:
    url: str
    type: str  # CDP resource type: Document, Script, Stylesheet, Image, Fetch, ...
    status: int = 0  # as the page saw it: a revalidated response (304 on the wire) reads as its cached 200
    wire_status: int = 0  # the status line that crossed the network (0: none did, e.g. a memory-cache hit)
    mime_type: str = ""
    content_encoding: str = ""
    transferred_bytes: int = 0  # encodedDataLength: headers + body as received (compressed if it was)
    from_cache: bool = False  # answered by the disk or memory cache without a network round trip
    failed: bool = False
    finished: bool = False


@dataclass
class PageLoad:
    url: str
    javascript: bool
    throttle: str | None
    html_transferred_bytes: int
    total_transferred_bytes: int
    fcp_ms: float | None
    resources: list[Resource] = field(default_factory=list)

    @property
    def document(self) -> Resource:
        return next(resource for resource in self.resources if resource.type == "Document")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _NetworkLog:
    """Collects CDP Network events of one page, keyed by request id."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}

    def attach(self, cdp: CDPSession) -> None:
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.responseReceivedExtraInfo", self._wire_response)
        cdp.on("Network.requestServedFromCache", self._served_from_cache)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)

    def _sent(self, event: dict[str, Any]) -> None:
        # A redirect reuses the request id: the last URL is the one whose bytes we count.
        resource = self.resources.setdefault(event["requestId"], Resource(url="", type=""))
        resource.url = event["request"]["url"]
        resource.type = event.get("type", "Other")

    def _response(self, event: dict[str, Any]) -> None:
        resource = self.resources.get(event["requestId"])
        if resource is None:
            return
        response = event["response"]
        headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
        resource.status = int(response.get("status", 0))
        resource.mime_type = response.get("mimeType", "")
        resource.content_encoding = headers.get("content-encoding", "")
        resource.from_cache = resource.from_cache or bool(
            response.get("fromDiskCache") or response.get("fromPrefetchCache")
        )

    def _wire_response(self, event: dict[str, Any]) -> None:
        # May arrive before responseReceived, but always after requestWillBeSent.
        resource = self.resources.get(event["requestId"])
        if resource is not None:
            resource.wire_status = int(event.get("statusCode", 0))

    def _served_from_cache(self, event: dict[str, Any]) -> None:
        if event["requestId"] in self.resources:
            self.resources[event["requestId"]].from_cache = True

    def _finished(self, event: dict[str, Any]) -> None:
        resource = self.resources.get(event["requestId"])
        if resource is not None:
            resource.transferred_bytes = int(event.get("encodedDataLength", 0))
            resource.finished = True

    def _failed(self, event: dict[str, Any]) -> None:
        resource = self.resources.get(event["requestId"])
        if resource is not None:
            resource.failed = resource.finished = True

    def pending(self) -> bool:
        return any(not resource.finished for resource in self.resources.values())


async def _first_contentful_paint(page: Page) -> float | None:
    """FCP in ms since navigation start; the paint entry appears a frame after the paint, so poll briefly.

    ``page.evaluate`` runs in Playwright's own world, so this works with the page's JavaScript turned off too.
    """
    for _ in range(100):
        fcp = await page.evaluate(
            "(performance.getEntriesByName('first-contentful-paint', 'paint')[0] || {}).startTime ?? null"
        )
        if fcp is not None:
            return round(float(fcp), 1)
        await asyncio.sleep(0.05)
    return None


async def _load(context: BrowserContext, url: str, throttle: str | None, javascript: bool) -> PageLoad:
    page = await context.new_page()
    try:
        cdp = await context.new_cdp_session(page)
        log = _NetworkLog()
        log.attach(cdp)
        await cdp.send("Network.enable")
        if throttle is not None:
            await cdp.send("Network.emulateNetworkConditions", THROTTLES[throttle].cdp_params())
        await page.goto(url, wait_until="load", timeout=SETTLE_TIMEOUT_S * 1000)
        fcp = await _first_contentful_paint(page)
        # Chromium may ask for /favicon.ico after the load event; wait for quiet so a late request counts.
        await page.wait_for_load_state("networkidle", timeout=SETTLE_TIMEOUT_S * 1000)
        # Deferred scripts and late images may still be arriving after the load event under throttling.
        for _ in range(int(SETTLE_TIMEOUT_S / 0.05)):
            if not log.pending():
                break
            await asyncio.sleep(0.05)
        await cdp.detach()
    finally:
        await page.close()
    resources = list(log.resources.values())
    documents = [resource for resource in resources if resource.type == "Document"]
    return PageLoad(
        url=url,
        javascript=javascript,
        throttle=throttle,
        html_transferred_bytes=documents[0].transferred_bytes if documents else 0,
        total_transferred_bytes=sum(resource.transferred_bytes for resource in resources),
        fcp_ms=fcp,
        resources=resources,
    )


async def measure_page(
    browser: Browser,
    url: str,
    *,
    js: bool = True,
    throttle: str | None = "slow4g",
    locale: str = "en-US",
    device: dict[str, Any] | None = None,
) -> PageLoad:
    """A first visit: a fresh context, so nothing is cached and no cookie is sent.

    ``device`` is passed to ``browser.new_context`` (e.g. ``PHONE``); by default a 1280x720 desktop window.
    """
    context = await browser.new_context(java_script_enabled=js, locale=locale, **(device or {}))
    try:
        return await _load(context, url, throttle, js)
    finally:
        await context.close()


async def measure_repeat_visit(
    browser: Browser,
    url: str,
    *,
    js: bool = True,
    throttle: str | None = "slow4g",
    locale: str = "en-US",
    device: dict[str, Any] | None = None,
) -> tuple[PageLoad, PageLoad]:
    """The first visit and a return visit in a new tab of the same context (same HTTP cache and cookies)."""
    context = await browser.new_context(java_script_enabled=js, locale=locale, **(device or {}))
    try:
        first = await _load(context, url, throttle, js)
        repeat = await _load(context, url, throttle, js)
        return first, repeat
    finally:
        await context.close()


def write_measurements(path: Path, measurements: dict[str, PageLoad]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {name: load.as_dict() for name, load in measurements.items()}
    path.write_text(json.dumps(payload, indent=2) + "\n")

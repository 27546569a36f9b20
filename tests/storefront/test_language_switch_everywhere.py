"""Every public page carries the language switch, and the switch works: following it answers 303 back to the page
with the language cookie set, and the page then comes in the chosen language.

The public pages are found from the application's route table, so a new public GET route fails this test until it
is listed here with a real address (or named as not a page, with the reason).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar

from tests.conftest import post_form
from tests.storefront.live import PDF, Live, buy, pay, pay_link
from windsurf.catalog import inputs
from windsurf.catalog import service as catalog
from windsurf.core import i18n, storage
from windsurf.core.uow import tenant_for

# Route prefixes that are not public pages, each with its reason.
NOT_PUBLIC_PAGES = {
    "/health/": "probes for the orchestrator, plain text",
    "/metrics": "Prometheus text for the operators",
    "/api/": "JSON for the app, no HTML",
    "/schema": "the OpenAPI document",
    "/static/": "files",
    "/media/": "images",
    "/manifest.webmanifest": "JSON for the installed app",
    "/dashboard": "the creator's builder (its own layout carries the switch)",
    "/account": "the creator's account (builder layout)",
    "/staff/": "staff pages (their own layout carries the switch)",
    "/sandbox-pay/api/": "the sandbox gateway's JSON",
    "/language": "the switch itself",
}
FILE_ROUTES = {
    "/{segment:str}/{slug:str}/files/{file_id:uuid}": "a lead magnet's file",
}


# Addresses that name nothing on purpose: the pages a mistyped link or a stale token lands on.
EXPECTED_MISSING = {"/@nobody-has-this-handle", "/checkout/order/not-a-token", "/download/not-a-token"}
EXPECTED_MISSING |= {"/unsubscribe/not-a-token"}


def public_get_routes(app: Litestar) -> set[str]:
    found: set[str] = set()
    for route in app.routes:
        if "GET" not in (getattr(route, "methods", None) or set()):
            continue
        if route.path.startswith(tuple(NOT_PUBLIC_PAGES)) or route.path in FILE_ROUTES:
            continue
        found.add(route.path)
    return found


class Switches(HTMLParser):
    """The language links of a page: the anchors that name the language they lead to."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("hreflang") and values.get("href"):
            self.links.append((str(values["hreflang"]), str(values["href"])))


def switches(text: str) -> list[tuple[str, str]]:
    parser = Switches()
    parser.feed(text)
    return parser.links


def page_language(text: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', text)
    assert match, text[:200]
    return match.group(1)


async def check_switch(client: httpx.AsyncClient, url: str, *, method: str = "GET", **kwargs: object) -> None:
    """Load the page, find its language switch, follow it, and see the page come back in that language."""
    response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
    landed = url
    while response.status_code in {302, 303} and response.headers["location"].startswith("/"):
        landed = response.headers["location"]
        response = await client.get(landed)
    assert response.status_code in {200, 400, 403, 404, 410, 422}, (url, response.status_code)
    assert response.status_code != 404 or url in EXPECTED_MISSING, url
    assert "text/html" in response.headers.get("content-type", ""), url
    links = switches(response.text)
    assert len(links) == 1, f"{url}: expected one language switch, found {links}"
    wanted, href = links[0]
    assert wanted != page_language(response.text), url
    target = href.replace("&amp;", "&")
    if target.startswith("?"):
        target = urlsplit(landed).path + target
    switched = await client.get(target)
    assert switched.status_code == 303, (url, target, switched.status_code)
    assert f"{i18n.LANGUAGE_COOKIE}={wanted}" in switched.headers.get("set-cookie", ""), url
    back = switched.headers["location"]
    assert urlsplit(back).path == urlsplit(landed).path, (url, back)  # back to the page, in its language
    again = await client.get(back)
    while again.status_code in {302, 303} and again.headers["location"].startswith("/"):
        again = await client.get(again.headers["location"])
    assert again.status_code in {200, 400, 404}, (url, back, again.status_code)
    assert page_language(again.text) == wanted, url


# One database is enough: the pages are the same markup on both.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_public_page_carries_a_working_language_switch(shop: Live) -> None:
    creator, buyer, handle = shop.creator.client, shop.buyer, shop.creator.handle
    download = await shop.product()
    async with tenant_for(shop.creator.id) as tenant:
        magnet = await catalog.create_product(
            tenant, inputs.new_product_form("lead_magnet", {"title": "Free Guide", "price": ""})
        )
        files = storage.build_storage(shop.settings)
        await catalog.add_file(tenant, magnet.id, files, PDF, "guide.pdf", max_bytes=10_000_000)
        await catalog.set_visibility(tenant, magnet.id, "published")
    assert (await post_form(creator, "/dashboard/publish", {})).status_code == 303
    await shop.jobs()
    sold, _ = await buy(shop, download.slug)
    order_url = sold.headers["location"]
    gateway = urlsplit(pay_link((await buyer.get(order_url)).text)).path
    await pay(shop, order_url)

    addresses = {
        "/": ["/"],
        "/signup": ["/signup"],
        "/signup/email": ["/signup/email"],
        "/signup/phone": ["/signup/phone"],
        "/verify": ["/verify"],
        "/verify-email": ["/verify-email?token=not-a-token"],
        "/login": ["/login"],
        "/login/phone": ["/login/phone"],
        "/password-reset": ["/password-reset"],
        "/password-reset/confirm": ["/password-reset/confirm?token=not-a-token"],
        "/{segment:str}": [f"/@{handle}", "/@nobody-has-this-handle"],
        "/{segment:str}/{slug:str}": [f"/@{handle}/{download.slug}", f"/@{handle}/free-guide"],
        "/{segment:str}/{slug:str}/lead": [f"/@{handle}/free-guide/lead"],
        "/checkout/{handle:str}/{slug:str}": [f"/checkout/{handle}/{download.slug}"],
        "/checkout/order/{token:str}": [order_url, "/checkout/order/not-a-token"],
        "/sandbox-pay/pay/{reference:str}": [gateway],
        "/download/{token:str}": ["/download/not-a-token"],
        "/library": ["/library"],
        "/library/open/{token:str}": ["/library/open/not-a-token"],
        "/unsubscribe/{token:str}": ["/unsubscribe/not-a-token"],
    }
    assert public_get_routes(shop.app) == set(addresses), "list every public GET route here"

    for urls in addresses.values():
        for url in urls:
            await check_switch(buyer, url, headers={"Accept-Language": "en"})

    # The free download's thank-you page answers the capture form's POST.
    origin = {"Origin": shop.settings.public_url}
    await check_switch(
        buyer, f"/@{handle}/free-guide/lead", method="POST", data={"contact": "r@example.com"}, headers=origin
    )

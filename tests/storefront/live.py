"""The application served on a loopback port, for the purchase tests.

The sandbox adapter reaches the app's own gateway over real HTTP, and the gateway's outbox posts its signed
notifications to the app's /webhooks/sandbox over HTTP too (the pattern of tests/platform/payments/test_money_path).
A buyer and a logged-in creator each browse with their own client (their own cookies), as two browsers would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
from litestar import Litestar

from tests.conftest import drain_jobs, serve
from tests.platform.payments.loopback import LoopbackServer, Recorded, Reply
from tests.storefront.store_helpers import sign_up
from windsurf.app import create_app
from windsurf.catalog import inputs
from windsurf.catalog import service as catalog
from windsurf.checkout.tables import Order
from windsurf.core import storage
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity import service as identity
from windsurf.settings import Settings

REFRESH = '<meta http-equiv="refresh" content="5">'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Creator:
    client: httpx.AsyncClient
    handle: str
    id: uuid.UUID


@dataclass
class Live:
    settings: Settings
    app: Litestar
    server: LoopbackServer
    buyer: httpx.AsyncClient
    creator: Creator
    clients: list[httpx.AsyncClient]

    def new_client(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=("203.0.113.9", 50001)),
            base_url=self.server.url,
            follow_redirects=False,
        )
        self.clients.append(client)
        return client

    async def new_creator(self) -> Creator:
        client = self.new_client()
        handle = await sign_up(client)
        async with unit_of_work() as uow:
            account = await identity.find_by_handle(uow, handle)
        assert account is not None
        return Creator(client, handle, account.id)

    async def product(self, creator: Creator | None = None, **fields: str) -> catalog.ProductView:
        """A published download with one PDF file, made through the catalog service."""
        owner = creator or self.creator
        values = {"title": f"Injera at home {uuid.uuid4().hex[:4]}", "price": "250", **fields}
        async with tenant_for(owner.id) as tenant:
            product = await catalog.create_product(tenant, inputs.new_product_form("download", values))
            await catalog.add_file(
                tenant,
                product.id,
                storage.build_storage(self.settings),
                PDF,
                "guide.pdf",
                max_bytes=10_000_000,
            )
            await catalog.set_visibility(tenant, product.id, "published")
            return await catalog.get_product(tenant, product.id)

    async def jobs(self) -> None:
        """Run the outbox until it is empty (a notification queues the buyer's links, and so on)."""
        await drain_jobs(self.app)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} in the page"
    return html.unescape(match.group(1))


async def checkout_form(client: httpx.AsyncClient, handle: str, slug: str) -> dict[str, str]:
    """Load the checkout page as a browser would: its one-time key and the CSRF token."""
    page = await client.get(f"/checkout/{handle}/{slug}")
    assert page.status_code == 200, page.text
    return {
        "submission_key": hidden(page.text, "submission_key"),
        "_csrf_token": hidden(page.text, "_csrf_token"),
    }


async def _relay(holder: dict[str, httpx.AsyncClient], request: Recorded) -> Reply:
    response = await holder["client"].request(
        request.method,
        request.path,
        params=request.query,
        content=request.body,
        headers={k: v for k, v in request.headers.items() if k not in {"host", "content-length"}},
    )
    return Reply(
        response.status_code, response.content, {"Content-Type": response.headers.get("content-type", "")}
    )


@contextlib.asynccontextmanager
async def live(settings: Settings, **overrides: Any) -> AsyncIterator[Live]:
    holder: dict[str, httpx.AsyncClient] = {}

    async def relay(request: Recorded) -> Reply:
        return await _relay(holder, request)

    async with LoopbackServer(relay) as server:
        values: dict[str, Any] = {"public_url": server.url, "payment_retry_backoff_seconds": 0.001}
        configured = dataclasses.replace(settings, **(values | overrides))
        app = create_app(configured)
        async with serve(app, base_url=server.url) as client:
            holder["client"] = client
            # The relay's client is the app's own; the buyer browses with a client (cookies) of their own.
            platform = Live(configured, app, server, client, None, [])  # type: ignore[arg-type]
            try:
                platform.buyer = platform.new_client()
                platform.creator = await platform.new_creator()
                yield platform
            finally:
                for extra in platform.clients:
                    await extra.aclose()


async def buy(
    shop: Live, slug: str, *, client: httpx.AsyncClient | None = None, **fields: str
) -> tuple[httpx.Response, dict[str, str]]:
    buyer = client or shop.buyer
    form = await checkout_form(buyer, shop.creator.handle, slug)
    data = {"name": "Abebe Kebede", "email": "abebe@example.com", "method": "telebirr", **form, **fields}
    return await buyer.post(f"/checkout/{shop.creator.handle}/{slug}", data=data), data


async def orders_of(shop: Live, product_id: uuid.UUID) -> list[dict[str, object]]:
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        return list(await Order.select().where(Order.product_id == product_id))


def pay_link(page: str) -> str:
    match = re.search(r'<a class="btn full" href="([^"]+/sandbox-pay/pay/[^"]+)"', page)  # in either language
    assert match, page
    return match.group(1)


async def pay(shop: Live, order_url: str) -> httpx.Response:
    """From the order page to the gateway's hosted page, press Pay, and let the notification arrive."""
    page = await shop.buyer.get(order_url)
    gateway = urlsplit(pay_link(page.text))
    hosted = await shop.buyer.get(gateway.path)
    assert hosted.status_code == 200
    paid = await shop.buyer.post(
        gateway.path, data={"action": "pay", "_csrf_token": hidden(hosted.text, "_csrf_token")}
    )
    assert paid.status_code == 303 and urlsplit(paid.headers["location"]).path == urlsplit(order_url).path
    await shop.jobs()
    return await shop.buyer.get(order_url)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.ids: list[str] = []
        self.problems: list[str] = []
        self.in_main = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if "id" in names:
            self.ids.append(str(names["id"]))
        if tag == "main":
            self.in_main = True
        if self.in_main:
            self.problems += [f"<{tag} {name}>: use data-{name}" for name in names if name.startswith("hx-")]
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.open[-1] if self.open else ''}>")
            return
        self.open.pop()
        if tag == "main":
            self.in_main = False


def check_page(text: str) -> None:
    """Well-formed enough to be valid: every element closed in order, ids unique, htmx only as data-hx-*."""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    duplicates = {i for i in checker.ids if checker.ids.count(i) > 1}
    assert not checker.problems and not checker.open and not duplicates, (
        checker.problems,
        checker.open,
        duplicates,
    )
    assert text.startswith("<!doctype html>")

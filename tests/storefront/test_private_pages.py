"""Private pages over HTTP: no cache may keep them, htmx's history cache included, and logging out clears
what the browser kept. (tests/browser/test_private_pages.py presses Back in a real browser.)"""

from __future__ import annotations

from tests.conftest import post_form
from tests.storefront.store_helpers import Client, htmx_post, sign_up

NO_HISTORY = 'data-hx-history="false"'


async def test_creator_pages_fragments_and_api_are_not_stored(client: Client) -> None:
    await sign_up(client)
    for path in ("/dashboard", "/dashboard/products", "/dashboard/products/new", "/account"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert "no-store" in page.headers["cache-control"], path
        assert NO_HISTORY in page.text, path
    fragment = await htmx_post(
        client, "/dashboard/blocks", {"type": "link", "title": "T", "url": "https://e.et"}
    )
    assert fragment.status_code == 200
    assert "no-store" in fragment.headers["cache-control"]
    me = await client.get("/api/v1/identity/me")
    assert me.status_code == 200 and "no-store" in me.headers["cache-control"]


async def test_public_pages_stay_in_the_history_cache(client: Client) -> None:
    page = await client.get("/login")
    assert page.status_code == 200
    assert NO_HISTORY not in page.text
    assert "no-store" not in page.headers.get("cache-control", "")


async def test_logout_clears_the_browser_cache_and_storage(client: Client) -> None:
    await sign_up(client)
    response = await post_form(client, "/logout", {})
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    assert (await client.get("/dashboard")).status_code == 303

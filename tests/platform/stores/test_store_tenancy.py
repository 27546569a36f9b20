"""No builder endpoint touches another creator's store: B gets 404 for A's blocks and changes nothing."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import post_form
from tests.storefront.store_helpers import dashboard_block_ids, htmx_post, sign_up


async def test_another_creators_blocks_are_404_and_untouched(client: AsyncTestClient[Litestar]) -> None:
    cookie = "windsurf-session"

    def act_as(session: str) -> None:
        client.cookies.set(cookie, session)

    handle_a = await sign_up(client, name="Creator A")
    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "A's link", "url": "https://a.example"}
    )
    await post_form(
        client, "/dashboard/blocks", {"type": "capture", "heading": "A's list", "contact": "email"}
    )
    await post_form(client, "/dashboard/publish", {})
    first, second = await dashboard_block_ids(client)
    before = (await client.get("/api/v1/stores/me")).json()
    session_a = client.cookies[cookie]
    client.cookies.delete(cookie)
    await sign_up(client, name="Creator B")
    session_b = client.cookies[cookie]

    attempts = [
        (f"/dashboard/blocks/{first}", {"title": "Hijacked", "url": "https://evil.example"}),
        (f"/dashboard/blocks/{second}", {"heading": "Hijacked"}),
        (f"/dashboard/blocks/{first}/delete", {}),
        (f"/dashboard/blocks/{first}/move", {"direction": "down"}),
        (f"/dashboard/blocks/{second}/move", {"direction": "up"}),
    ]
    for url, data in attempts:
        assert (await post_form(client, url, data)).status_code == 404, url
        assert (await htmx_post(client, url, data)).status_code == 404, url
    assert await dashboard_block_ids(client) == []

    # B's own actions only ever change B's store; A's handle cannot be taken.
    taken = await post_form(
        client, "/dashboard/profile", {"display_name": "B", "handle": handle_a, "bio": "mine"}
    )
    assert taken.status_code == 422 and "That handle is taken." in taken.text
    await post_form(client, "/dashboard/publish", {})
    assert (await client.get("/api/v1/stores/me")).json()["handle"] != handle_a

    act_as(session_a)
    assert (await client.get("/api/v1/stores/me")).json() == before
    assert "A&#39;s link" in (await client.get(f"/@{handle_a}")).text
    act_as(session_b)


async def test_anonymous_callers_reach_no_builder_endpoint(client: AsyncTestClient[Litestar]) -> None:
    for url in ("/dashboard", "/dashboard/preview", "/dashboard/qr.svg"):
        response = await client.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), url
    for url in (
        "/dashboard/profile",
        "/dashboard/blocks",
        "/dashboard/blocks/abc/delete",
        "/dashboard/publish",
        "/dashboard/avatar",
    ):
        response = await post_form(client, url, {})
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), url
    assert (await client.get("/api/v1/stores/me")).status_code == 401

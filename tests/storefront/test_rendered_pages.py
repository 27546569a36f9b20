"""Store and product pages rendered when they change: the render job, the stored pages, and buyers' requests
that never render a template."""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Iterator
from typing import Any

import jinja2
import pytest
from litestar import Litestar
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis

from storefront.pages import rendering
from tests.conftest import drain_jobs, post_form, serve
from tests.platform.catalog.helpers import create
from tests.storefront.store_helpers import Client, sign_up
from windsurf.app import create_app
from windsurf.core import jobs, rendered_pages
from windsurf.core.pagecache import PageCache
from windsurf.core.rendered_pages import StoredPage
from windsurf.core.tables import Job, RenderedPage
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity import service as identity
from windsurf.settings import Settings
from windsurf.stores import service as stores

ENGLISH = {"Accept-Language": "en", "Accept-Encoding": "gzip"}


class Renders:
    """Counts every Jinja template render in this process (the public pages render with Template.render)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    @property
    def count(self) -> int:
        return len(self.names)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[Renders]:
    seen = Renders()
    original = jinja2.Template.render

    def counting(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        seen.names.append(self.name or "?")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", counting)
    yield seen


async def published(client: Client, app: Litestar) -> str:
    handle = await sign_up(client)
    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "Portfolio", "url": "https://a.example"}
    )
    assert (await post_form(client, "/dashboard/publish", {})).status_code == 303
    assert await drain_jobs(app) >= 1
    return handle


async def link_product(client: Client, title: str = "My Channel") -> str:
    product_id = await create(client, kind="link", title=title, price="0", external_url="https://t.me/x")
    response = await post_form(
        client,
        f"/dashboard/products/{product_id}/visibility",
        {"visibility": "published", "return_to": "/dashboard/products"},
    )
    assert response.status_code == 303, response.text
    return product_id


async def pending_renders(handle: str) -> int:
    """Render jobs waiting for this store's creator (the test database is shared by the session's tests)."""
    async with unit_of_work() as uow:
        account = await identity.find_by_handle(uow, handle)
    assert account is not None
    waiting = await Job.select(Job.payload).where((Job.name == "pages.render") & (Job.status == "pending"))
    payloads = [
        row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"]) for row in waiting
    ]
    return sum(payload["creator_id"] == str(account.id) for payload in payloads)


async def rows(handle: str) -> dict[tuple[str, str], dict[str, Any]]:
    found = await RenderedPage.select().where(RenderedPage.handle == handle)
    return {(row["slug"], row["locale"]): row for row in found}


async def test_publishing_changes_what_buyers_see_once_the_job_has_run(client: Client, app: Litestar) -> None:
    handle = await published(client, app)
    stored = await rows(handle)
    assert set(stored) == {("", "am"), ("", "en"), ("", "")}  # every language, and the store's own
    assert stored[("", "")]["etag"] == stored[("", "en")]["etag"]  # the creator signed up in English
    assert gzip.decompress(stored[("", "en")]["body_gzip"]).decode().count("Portfolio") == 1
    first = await client.get(f"/@{handle}", headers=ENGLISH)
    assert first.status_code == 200 and "Portfolio" in first.text
    assert first.headers["etag"] == stored[("", "en")]["etag"]

    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "Telegram", "url": "https://t.me/a"}
    )
    assert (await post_form(client, "/dashboard/publish", {})).status_code == 303
    # Committed with the publish: the job. Until it runs, buyers keep the stored page.
    assert await pending_renders(handle) == 1
    assert "Telegram" not in (await client.get(f"/@{handle}", headers=ENGLISH)).text
    await drain_jobs(app)
    fresh = await client.get(f"/@{handle}", headers=ENGLISH)
    assert "Telegram" in fresh.text and fresh.headers["etag"] != first.headers["etag"]
    assert (
        await client.get(f"/@{handle}", headers={"If-None-Match": fresh.headers["etag"]})
    ).status_code == 304


async def test_a_buyers_request_renders_no_template(client: Client, app: Litestar, renders: Renders) -> None:
    handle = await published(client, app)
    product_id = await link_product(client, "Join my channel")
    await post_form(client, "/dashboard/blocks", {"type": "product", "product_id": product_id})
    await post_form(client, "/dashboard/publish", {})
    await drain_jobs(app)
    client.cookies.clear()
    renders.names.clear()
    cache = app.state.page_cache
    paths = (f"/@{handle}", f"/@{handle}/join-my-channel")
    for enabled in (True, False):  # through Redis and the near cache, and from the stored rows alone
        cache.enabled = enabled
        for path in paths:
            for headers in ({}, {"Accept-Language": "am"}, ENGLISH, {"Accept-Encoding": "identity"}):
                response = await client.get(path, headers=headers)
                assert response.status_code == 200 and "Join my channel" in response.text, path
                head = await client.head(path, headers=headers)
                assert head.status_code == 200 and head.content == b"", path
                assert head.headers["etag"] == response.headers["etag"]
    assert renders.names == []
    home = await client.head("/")
    assert home.status_code == 200 and home.content == b""
    # The hook sees renders: the creator's own pages do render.
    await sign_in(client, handle)
    assert (await client.get("/dashboard")).status_code == 200
    assert renders.count > 0


async def sign_in(client: Client, handle: str) -> None:
    response = await post_form(
        client, "/login", {"email": f"{handle}@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 303


async def test_a_page_missing_from_the_table_is_rendered_once_and_stored(
    client: Client, app: Litestar, renders: Renders
) -> None:
    handle = await published(client, app)
    await RenderedPage.delete().where(RenderedPage.handle == handle)  # as a store published before this
    app.state.page_cache.enabled = False
    renders.names.clear()
    client.cookies.set("lang", "en")  # a buyer who chose English
    first = await client.get(f"/@{handle}", headers=ENGLISH)
    assert first.status_code == 200 and renders.names == ["store/page.html"]
    assert set(await rows(handle)) == {("", "en")}
    again = await client.get(f"/@{handle}", headers=ENGLISH)
    assert (
        renders.count == 1
        and again.content == first.content
        and again.headers["etag"] == first.headers["etag"]
    )


async def test_product_edits_reach_buyers_through_the_job(client: Client, app: Litestar) -> None:
    handle = await published(client, app)
    product_id = await link_product(client, "Old Title")
    await post_form(client, "/dashboard/blocks", {"type": "product", "product_id": product_id})
    await post_form(client, "/dashboard/publish", {})
    await drain_jobs(app)
    url = f"/@{handle}/old-title"
    assert "Old Title" in (await client.get(url)).text
    assert "Old Title" in (await client.get(f"/@{handle}")).text

    edit = {"title": "New Title", "slug": "new-title", "description": "", "external_url": "https://t.me/x"}
    assert (await post_form(client, f"/dashboard/products/{product_id}", edit)).status_code == 303
    assert "Old Title" in (await client.get(url)).text  # not yet: the job has not run
    assert await pending_renders(handle) == 1
    await drain_jobs(app)
    assert (await client.get(url)).status_code == 404  # the old address is gone for good
    assert "New Title" in (await client.get(f"/@{handle}/new-title")).text
    store = (await client.get(f"/@{handle}")).text
    assert "New Title" in store and "Old Title" not in store

    await post_form(
        client,
        f"/dashboard/products/{product_id}/visibility",
        {"visibility": "draft", "return_to": "/dashboard/products"},
    )
    await drain_jobs(app)
    assert (await client.get(f"/@{handle}/new-title")).status_code == 404
    assert "New Title" not in (await client.get(f"/@{handle}")).text


async def test_a_new_handle_moves_the_pages(client: Client, app: Litestar) -> None:
    handle = await published(client, app)
    new = f"n{handle[1:]}"
    await post_form(client, "/dashboard/profile", {"display_name": "Hana", "handle": new, "bio": ""})
    await drain_jobs(app)
    assert await rows(handle) == {}
    moved = await client.get(f"/@{handle}")  # no page of its own: the old address redirects to the new one
    assert moved.status_code == 301 and moved.headers["location"] == f"/@{new}"
    page = await client.get(f"/@{new}")
    assert page.status_code == 200 and f"@{new}" in page.text


async def test_an_older_render_never_replaces_a_newer_one(client: Client) -> None:
    def page(version: int, text: str) -> StoredPage:
        return StoredPage(200, "en", f'"{version}"', gzip.compress(text.encode()), version)

    newer = rendered_pages.new_version()
    assert await rendered_pages.save("order_test", "", "en", page(newer, "newer"))
    assert not await rendered_pages.save("order_test", "", "en", page(newer - 1, "older"))
    stored = await rendered_pages.read("order_test", "", "en")
    assert stored is not None and stored.version == newer and gzip.decompress(stored.body_gzip) == b"newer"
    assert await rendered_pages.save("order_test", "", "en", page(newer + 1, "newest"))
    stored = await rendered_pages.read("order_test", "", "en")
    assert stored is not None and gzip.decompress(stored.body_gzip) == b"newest"


async def test_when_redis_blinks_the_job_is_retried_until_the_cache_moves_on(
    client: Client, app: Litestar
) -> None:
    handle = await published(client, app)
    cache = app.state.page_cache
    version = await cache.version(rendering.scope(handle))
    async with unit_of_work() as uow:
        account = await identity.find_by_handle(uow, handle)
    assert account is not None
    async with tenant_for(account.id) as tenant:
        await stores.add_block(tenant, stores.LinkBlock("After the blink", "https://b.example"))
        await stores.publish(tenant)
    # A Redis nobody answers on: the pages are stored, but the version cannot move on, so the job fails...
    unreachable = PageCache(RedisStore(Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)))
    await jobs.run_due_jobs(dataclasses.replace(app.state.jobs, page_cache=unreachable))
    failed = [
        job
        for job in await Job.select().where((Job.name == "pages.render") & (Job.last_error != ""))
        if str(account.id) in str(job["payload"])
    ]
    assert len(failed) == 1 and failed[0]["status"] == "pending" and failed[0]["attempts"] == 1
    assert "After the blink" in gzip.decompress((await rows(handle))[("", "en")]["body_gzip"]).decode()
    assert await cache.version(rendering.scope(handle)) == version  # buyers still get the cached page
    # ...and is retried (made due at once here instead of after its backoff), and then the cache moves on.
    await Job.update({Job.run_at: Job.created_at}).where(Job.id == failed[0]["id"])
    await drain_jobs(app)
    assert await cache.version(rendering.scope(handle)) != version
    assert "After the blink" in (await client.get(f"/@{handle}", headers=ENGLISH)).text


async def test_the_benchmarks_uncached_baseline_renders_every_time_and_stores_nothing(
    settings: Settings, renders: Renders
) -> None:
    baseline = create_app(dataclasses.replace(settings, stored_pages=False, page_cache=False))
    async with serve(baseline) as client:
        handle = await sign_up(client)
        await post_form(client, "/dashboard/publish", {})
        client.cookies.clear()
        renders.names.clear()
        for _ in range(2):
            assert (await client.get(f"/@{handle}", headers=ENGLISH)).status_code == 200
        assert renders.names == ["store/page.html", "store/page.html"]
        assert await rows(handle) == {}

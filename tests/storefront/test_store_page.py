"""The buyer's store page /@handle: published content only, cookie-less, cached, revalidated, small."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import re
import uuid
from dataclasses import dataclass

import pytest
from litestar import Litestar

from storefront.pages import public_page, rendering, store_view
from tests.conftest import drain_jobs, post_form
from tests.storefront.store_helpers import Client, png, sign_up, upload_avatar
from windsurf.core.tables import RenderedPage
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity import service as identity
from windsurf.identity.service import Account
from windsurf.stores import service as stores


async def published_store(client: Client, **profile: str) -> str:
    handle = await sign_up(client)
    await post_form(
        client,
        "/dashboard/profile",
        {"display_name": "Hana Tesfaye", "handle": handle, "bio": profile.get("bio", "Designer in Addis.")},
    )
    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "Portfolio", "url": "https://a.example"}
    )
    await post_form(
        client, "/dashboard/blocks", {"type": "capture", "heading": "Join my list", "contact": "email"}
    )
    await post_form(client, "/dashboard/publish", {})
    return handle


async def find_by_handle(handle: str) -> Account | None:
    async with unit_of_work() as uow:
        return await identity.find_by_handle(uow, handle)


async def test_cache_headers_etag_304_and_no_cookie(client: Client) -> None:
    handle = await published_store(client)
    client.cookies.clear()
    page = await client.get(f"/@{handle}")
    assert page.status_code == 200
    assert "set-cookie" not in page.headers
    assert page.headers["cache-control"] == (
        "public, max-age=0, must-revalidate, s-maxage=60, stale-while-revalidate=300"
    )
    assert {"Accept-Language", "Cookie", "Accept-Encoding"} <= {
        v.strip() for v in page.headers["vary"].split(",")
    }
    etag = page.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{24}"', etag)

    again = await client.get(f"/@{handle}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert "set-cookie" not in again.headers
    other = await client.get(f"/@{handle}", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


async def test_gzip_when_asked_plain_otherwise(client: Client) -> None:
    handle = await published_store(client)
    zipped = await client.get(f"/@{handle}", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(zipped.content)  # httpx decoded it
    plain = await client.get(f"/@{handle}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == zipped.text
    assert plain.headers["etag"] == zipped.headers["etag"]


async def test_open_graph_and_twitter_tags(client: Client) -> None:
    handle = await published_store(client, bio="Posters & prints\nfrom Addis")
    await upload_avatar(client, png(), "me.png")
    await post_form(client, "/dashboard/publish", {})
    text = (await client.get(f"/@{handle}")).text
    assert '<meta property="og:title" content="Hana Tesfaye">' in text
    assert '<meta property="og:description" content="Posters &amp; prints from Addis">' in text
    assert f'<meta property="og:url" content="http://127.0.0.1:8000/@{handle}">' in text
    assert re.search(
        r'<meta property="og:image" content="http://127\.0\.0\.1:8000/media/public/avatars/', text
    )
    assert '<meta name="twitter:card" content="summary">' in text
    assert '<script src="/static/vendor/htmx-2.0.11.min.js" defer></script>' in text
    assert "manifest" not in text  # buyers' pages stay lean


async def test_script_in_bio_and_link_titles_is_inert(client: Client) -> None:
    handle = await sign_up(client)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    await post_form(
        client, "/dashboard/profile", {"display_name": "Evil <b>Name</b>", "handle": handle, "bio": evil}
    )
    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": evil, "url": 'https://a.example/?q="><x'}
    )
    await post_form(client, "/dashboard/blocks", {"type": "capture", "heading": evil, "contact": "phone"})
    await post_form(client, "/dashboard/publish", {})
    for url in (f"/@{handle}", "/dashboard", "/dashboard/preview"):
        text = (await client.get(url)).text
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>Name</b>" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
        assert 'href="https://a.example/?q=&#34;&gt;&lt;x"' in text


async def test_page_cache_serves_the_stored_page_until_the_render_job_moves_it_on(
    client: Client, app: Litestar
) -> None:
    handle = await published_store(client)
    await drain_jobs(app)
    account = await find_by_handle(handle)
    assert account is not None
    client.cookies.set("lang", "en")  # a buyer who chose English
    first = await client.get(f"/@{handle}", headers={"Accept-Language": "en"})
    cache = app.state.page_cache
    version = await cache.version(rendering.scope(handle))
    cached = await cache.get(rendering.page_key(handle, "", version, "en"))
    assert cached is not None and public_page.CachedPage.decode(cached).etag == first.headers["etag"]

    # Change what is stored behind the page cache's back: the cached bytes are still served...
    await RenderedPage.update({RenderedPage.etag: '"changed"'}).where(RenderedPage.handle == handle)
    assert (await client.get(f"/@{handle}", headers={"Accept-Language": "en"})).headers[
        "etag"
    ] == first.headers["etag"]
    # ...until the render job (here: of a publish) stores new pages and starts a new version (nothing is purged).
    async with tenant_for(account.id) as tenant:
        await stores.add_block(tenant, stores.LinkBlock("Sneaky", "https://b.example"))
        await stores.publish(tenant)
    # The render job runs (with any other test's job that fell due meanwhile in the session's database).
    assert await drain_jobs(app) >= 1
    fresh = await client.get(f"/@{handle}", headers={"Accept-Language": "en"})
    assert "Sneaky" in fresh.text and fresh.headers["etag"] not in {first.headers["etag"], '"changed"'}
    assert await cache.version(rendering.scope(handle)) != version


async def test_page_cache_off_reads_the_stored_page_every_time(client: Client, app: Litestar) -> None:
    app.state.page_cache.enabled = False
    handle = await published_store(client)
    await drain_jobs(app)
    await client.get(f"/@{handle}")
    assert await app.state.page_cache.get(rendering.page_key(handle, "", "any", None)) is None
    await RenderedPage.update({RenderedPage.etag: '"changed"'}).where(RenderedPage.handle == handle)
    assert (await client.get(f"/@{handle}")).headers["etag"] == '"changed"'


async def test_the_store_language_on_a_first_visit_then_the_buyers_choice(client: Client) -> None:
    handle = await published_store(client)
    await post_form(client, "/dashboard/settings", {"language": "am"})
    await post_form(client, "/dashboard/publish", {})
    client.cookies.clear()
    default = await client.get(f"/@{handle}")
    assert default.headers["content-language"] == "am" and '<html lang="am">' in default.text
    assert "Made with Stan Store Windsurf" not in default.text  # translated
    # The creator's choice wins over the phone's Accept-Language on a first visit...
    first = await client.get(f"/@{handle}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert first.headers["content-language"] == "am"
    # ...and the buyer's own choice (the cookie) after that.
    client.cookies.set("lang", "en")
    cookie = await client.get(f"/@{handle}", headers={"Accept-Language": "am"})
    assert cookie.headers["content-language"] == "en" and "Made with Stan Store Windsurf" in cookie.text
    client.cookies.clear()

    switch = await client.get(f"/@{handle}?lang=en")
    assert switch.status_code == 303 and switch.headers["location"] == f"/@{handle}"
    assert "lang=en" in switch.headers["set-cookie"] and switch.headers["cache-control"] == "no-store"
    assert (await client.get(f"/@{handle}")).headers["content-language"] == "en"


async def test_unknown_handles_are_404(client: Client) -> None:
    for path in ("/@nobody_here_at_all", "/@", "/@UPPER", "/nothing", "/@a/../b", "/@" + "x" * 40):
        response = await client.get(path)
        assert response.status_code in (404,), path


async def test_capture_block_without_javascript_and_with_htmx(client: Client) -> None:
    handle = await published_store(client)
    page = await client.get(f"/@{handle}")
    block = re.search(r'name="block" value="([0-9a-f]+)"', page.text)
    assert block is not None and f'action="/subscribe/{handle}"' in page.text
    client.cookies.clear()  # a buyer holds no cookie and no CSRF token

    joined = await client.post(
        f"/subscribe/{handle}", data={"block": block[1], "contact": "Buyer@Example.com"}
    )
    assert joined.status_code == 200 and "Thank you! You are on the list." in joined.text
    assert "<html" in joined.text and "set-cookie" not in joined.headers
    again = await client.post(
        f"/subscribe/{handle}",
        data={"block": block[1], "contact": "buyer@example.com"},
        headers={"HX-Request": "true", "Origin": "http://testserver.local"},
    )
    assert again.status_code == 200 and "<html" not in again.text and "on the list" in again.text
    bad = await client.post(
        f"/subscribe/{handle}",
        data={"block": block[1], "contact": "not an email"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and "Enter a valid email address" in bad.text

    forged = await client.post(
        f"/subscribe/{handle}",
        data={"block": block[1], "contact": "x@example.com"},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    cross = await client.post(
        f"/subscribe/{handle}",
        data={"block": block[1], "contact": "y@example.com"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert (
        await client.post(f"/subscribe/{handle}", data={"block": "ffffff", "contact": "z@example.com"})
    ).status_code == 404

    await sign_in_again(client, handle)
    leads = (await client.get("/api/v1/stores/me/leads")).json()
    assert [lead["contact"] for lead in leads] == ["buyer@example.com"]
    assert "buyer@example.com" in (await client.get("/dashboard")).text


async def sign_in_again(client: Client, handle: str) -> None:
    response = await post_form(
        client, "/login", {"email": f"{handle}@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 303


async def test_capture_posts_are_rate_limited(client: Client) -> None:
    handle = await published_store(client)
    block = re.search(r'name="block" value="([0-9a-f]+)"', (await client.get(f"/@{handle}")).text)
    assert block is not None
    statuses = [
        (
            await client.post(
                f"/subscribe/{handle}", data={"block": block[1], "contact": f"b{i}@example.com"}
            )
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429


# --- the size budget ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A product card as the catalog's published_cards() returns it."""

    id: uuid.UUID
    slug: str
    title: str
    kind: str
    price_santim: int
    compare_at_santim: int | None
    pwyw_min_santim: int | None
    cover: list[tuple[str, int, int]] | None
    short: str


def demo_cards(count: int = 24) -> list[Card]:
    cards = []
    for i in range(count):
        key = f"/media/public/covers/{uuid.uuid4()}/{uuid.uuid4().hex[:16]}"
        cards.append(
            Card(
                id=uuid.uuid4(),
                slug=f"product-{i}-ye-ethiopia-design-template",
                title=f"የኢትዮጵያ ዲዛይን አብነቶች ጥቅል {i} — Ethiopian design templates bundle",
                kind=("digital", "lead_magnet", "coaching", "link")[i % 4],
                price_santim=0 if i % 4 == 1 else 45_000 + i * 1_250,
                compare_at_santim=60_000 + i * 1_000 if i % 3 == 0 else None,
                pwyw_min_santim=20_000 if i % 5 == 0 else None,
                cover=[(f"{key}-{w}.webp", w, w * 3 // 4) for w in (160, 480, 960)],
                short="ለፈጣሪዎች የተዘጋጀ ዝግጁ አብነት፤ በስልክዎ ያርትዑት — ready-made templates you edit on your phone.",
            )
        )
    return cards


def full_doc(cards: list[Card]) -> stores.StoreDoc:
    blocks = [
        stores.Block(id=f"p{i:02d}", type="product", product_id=str(card.id)) for i, card in enumerate(cards)
    ]
    blocks[3:3] = [
        stores.Block(
            id="l1", type="link", title="የቴሌግራም ቻናሌ — My Telegram channel", url="https://t.me/selam_designs"
        ),
        stores.Block(id="c1", type="capture", heading="ነፃ መመሪያ ያግኙ — Get my free guide", contact="email"),
        stores.Block(id="l2", type="link", title="Portfolio", url="https://selam.example.com/portfolio"),
    ]
    return stores.StoreDoc(
        name="ሰላም በቀለ · Selam Bekele",
        bio="ግራፊክ ዲዛይነር ከአዲስ አበባ። ለፈጣሪዎች አብነቶችን እሰራለሁ።\nGraphic designer in Addis Ababa. "
        "I make templates, guides and courses for Ethiopian creators.",
        avatar=stores.Avatar(
            key=f"public/avatars/{uuid.uuid4()}/{uuid.uuid4().hex[:16]}", sizes=((160, 160), (480, 480))
        ),
        palette="sand",
        accent="#0b7a53",
        socials={n: f"https://{n}.example.com/selam_designs" for n in stores.SOCIAL_NETWORKS},
        language="am",
        ethiopian_calendar=True,
        blocks=tuple(blocks),
    )


# The store page's budget with 24 products, in every layout: 12 KB of gzip HTML with its CSS, headers included
# (about 450 bytes of them: tests/browser/test_store_budget.py measures the whole response in Chromium).
HTML_BUDGET = 12_000
HEADERS_ALLOWANCE = 600


@pytest.mark.parametrize("layout", ["list", "grid", "featured", "links"])
async def test_store_with_24_products_fits_in_the_first_round_trip(app: Litestar, layout: str) -> None:
    cards = demo_cards()
    doc = dataclasses.replace(full_doc(cards), layout=layout, button="pill")
    for locale in ("am", "en"):
        view = store_view.build_view(
            app.state.settings, "selam_designs", "Selam", doc, cards, published_at=dt.datetime.now(dt.UTC)
        )
        renderer = app.state.renderer
        html = store_view.render_store_html(
            renderer.env, renderer.translations(locale), locale, view, htmx_path=renderer.htmx_path
        )
        assert len(re.findall(r'<a class="pc[ "]', html)) == 24
        compressed = len(gzip.compress(html.encode(), compresslevel=9))
        assert compressed <= HTML_BUDGET - HEADERS_ALLOWANCE, f"{layout}, {locale}: {compressed} bytes gzip"
        assert public_page.CachedPage.of(html, locale).gzipped == gzip.compress(html.encode(), 9, mtime=0)
        covers = re.findall(r'<a class="pc[^"]*"[^>]*><img ([^>]*)>', html)
        assert ("ብር475.00" if locale == "am" else "ETB\u00a0475.00") in html
        if layout == "links":  # buttons only: not one cover is fetched
            assert covers == [] and "<i>" not in html
            continue
        assert len(covers) == 24
        assert all("960w" not in attrs for attrs in covers)  # never more pixels than the card can show
        assert ["loading" in attrs for attrs in covers] == [False] * 3 + [True] * 21
        if layout == "list":
            assert all('width="80" height="80"' in attrs and 'sizes="80px"' in attrs for attrs in covers)
        if layout == "featured":  # the first product spans the page, the others are the list's
            assert '<a class="pc fe"' in html and 'sizes="(min-width:34rem) 544px, 100vw"' in covers[0]
            assert all('sizes="80px"' in attrs for attrs in covers[1:])
        print(f"store page with 24 products, {layout}, {locale}: {len(html)} bytes, {compressed} B gzip")


async def test_a_cached_page_is_answered_before_routing_exactly_as_rendered(
    client: Client, app: Litestar
) -> None:
    handle = await published_store(client)
    client.cookies.clear()
    asked = {"Accept-Encoding": "gzip", "Accept-Language": "en"}
    rendered = await client.get(f"/@{handle}", headers=asked)  # a miss: routed, rendered and cached
    fast = await client.get(f"/@{handle}", headers=asked)  # a hit: answered by CachedStorePages
    assert fast.status_code == rendered.status_code == 200
    assert fast.content == rendered.content and fast.headers["content-encoding"] == "gzip"
    same = ("etag", "cache-control", "vary", "content-language", "content-security-policy", "content-length")
    for name in same:
        assert fast.headers[name] == rendered.headers[name], name
    assert fast.headers["content-type"].startswith("text/html") and "set-cookie" not in fast.headers
    assert fast.headers["x-request-id"] != rendered.headers["x-request-id"]

    head = await client.head(f"/@{handle}", headers=asked)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == fast.headers["etag"]
    revalidated = await client.get(f"/@{handle}", headers={**asked, "If-None-Match": fast.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""

    # The page cache is what the fast path reads: with it emptied, the request goes on to the application.
    await app.state.page_cache.invalidate(rendering.scope(handle))
    assert (await client.get(f"/@{handle}", headers=asked)).content == rendered.content

"""The buyer's product page and lead capture: visibility, caching, no cookies, OG tags, XSS, origins."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import drain_jobs, post_form
from tests.platform.catalog.helpers import create, pdf_bytes, png_bytes, sign_up, upload


@contextlib.asynccontextmanager
async def anonymous(client: AsyncTestClient[Litestar]) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The same client as a stranger: no session and no CSRF cookie (one client per app and event loop)."""
    saved = dict(client.cookies)
    client.cookies.clear()
    try:
        yield client
    finally:
        client.cookies.clear()
        for name, value in saved.items():
            client.cookies.set(name, value)


async def publish(client: AsyncTestClient[Litestar], product_id: str, visibility: str = "published") -> None:
    response = await post_form(
        client,
        f"/dashboard/products/{product_id}/visibility",
        {"visibility": visibility, "return_to": "/dashboard/products"},
    )
    assert response.status_code == 303, response.text


async def test_draft_is_404_unlisted_is_reachable_and_page_is_cacheable(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up(client)
    product_id = await create(
        client, kind="coaching", title="Business Plan Coaching", price="2500", duration_minutes="90"
    )
    url = f"/@{identity['handle']}/business-plan-coaching"
    async with anonymous(client) as stranger:
        assert (await stranger.get(url)).status_code == 404
    await publish(client, product_id, "unlisted")
    async with anonymous(client) as stranger:
        page = await stranger.get(url)
        assert page.status_code == 200
        assert "set-cookie" not in page.headers and not stranger.cookies
        assert (
            page.headers["cache-control"].startswith("public")
            and "s-maxage=60" in page.headers["cache-control"]
        )
        checkout = f'href="/checkout/{identity["handle"]}/business-plan-coaching"'
        assert checkout in page.text and "A 90-minute session" in page.text
        etag = page.headers["etag"]
        again = await stranger.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag

    # An edit enqueues the render job; once it has run, the stored page is replaced and the old ETag no longer
    # matches.
    await post_form(
        client,
        f"/dashboard/products/{product_id}",
        {
            "title": "Business Plan Coaching",
            "slug": "business-plan-coaching",
            "description": "Now **longer**.",
            "price": "2000",
            "compare_at": "",
            "pwyw_min": "",
            "duration_minutes": "90",
            "sales_limit": "",
        },
    )
    assert (await client.get(url, headers={"If-None-Match": etag})).status_code == 304  # not rendered yet
    await drain_jobs(app)
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "<strong>longer</strong>" in changed.text
    await publish(client, product_id, "draft")
    await drain_jobs(app)
    assert (await client.get(url)).status_code == 404


async def test_open_graph_tags_and_responsive_cover(client: AsyncTestClient[Litestar]) -> None:
    identity = await sign_up(client)
    product_id = await create(client, title="Injera at Home", price="200")
    await upload(
        client, f"/dashboard/products/{product_id}/cover", "cover", "cover.png", png_bytes((1200, 900))
    )
    await upload(client, f"/dashboard/products/{product_id}/files", "file", "injera.pdf", pdf_bytes())
    await publish(client, product_id)
    page = (await client.get(f"/@{identity['handle']}/injera-at-home")).text
    assert '<meta property="og:title" content="Injera at Home">' in page
    assert re.search(
        r'<meta property="og:image" content="http://127\.0\.0\.1:8000/media/public/covers/[^"]+-960\.webp">',
        page,
    )
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert 'property="og:description"' in page
    img = re.search(r"<img [^>]*srcset=[^>]*>", page)
    assert img and "160w" in img.group(0) and "480w" in img.group(0) and 'width="480"' in img.group(0)
    assert 'sizes="' in img.group(0) and 'height="360"' in img.group(0)


async def test_script_in_title_and_description_is_inert(client: AsyncTestClient[Litestar]) -> None:
    identity = await sign_up(client)
    product_id = await create(
        client,
        kind="link",
        title="<script>alert('t')</script>",
        price="",
        external_url="https://example.com/",
    )
    await post_form(
        client,
        f"/dashboard/products/{product_id}",
        {
            "title": "<script>alert('t')</script>",
            "slug": "xss",
            "price": "",
            "compare_at": "",
            "external_url": "https://example.com/",
            "sales_limit": "",
            "description": "<script>alert('d')</script> [click](javascript:alert('l')) "
            '<a href="javascript:x">a</a>',
        },
    )
    await publish(client, product_id)
    for url in (f"/@{identity['handle']}/xss", f"/dashboard/products/{product_id}", "/dashboard/products"):
        page = (await client.get(url)).text
        assert "<script>alert(" not in page
        assert not re.search(r"<a [^>]*href=\"javascript", page)
    assert "&lt;script&gt;alert(" in (await client.get(f"/@{identity['handle']}/xss")).text


async def test_lead_capture_stores_the_lead_and_delivers_the_file(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up(client)
    product_id = await create(client, kind="lead_magnet", title="Free Proverbs Pack", price="")
    await upload(client, f"/dashboard/products/{product_id}/files", "file", "proverbs.pdf", pdf_bytes())
    await publish(client, product_id)
    url = f"/@{identity['handle']}/free-proverbs-pack"
    async with anonymous(client) as buyer:
        page = await buyer.get(url)
        assert "Free" in page.text and f'action="{url}/lead"' in page.text

        bad = await buyer.post(
            f"{url}/lead", data={"contact": "not an email"}, headers={"Origin": "http://testserver.local"}
        )
        assert bad.status_code == 422 and "set-cookie" not in bad.headers

        foreign = await buyer.post(
            f"{url}/lead", data={"contact": "a@example.com"}, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        cross = await buyer.post(
            f"{url}/lead", data={"contact": "a@example.com"}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert cross.status_code == 403

        thanks = await buyer.post(
            f"{url}/lead",
            data={"contact": "Buyer@Example.com"},
            headers={"Origin": "http://testserver.local", "Sec-Fetch-Site": "same-origin"},
        )
        assert thanks.status_code == 200 and "set-cookie" not in thanks.headers
        assert thanks.headers["cache-control"] == "private, no-store"
        link = re.search(r'href="(/@[^"]+/files/[^"]+)"', thanks.text)
        assert link
        download = await buyer.get(link.group(1).replace("&amp;", "&"))
        assert download.status_code == 200 and download.content.startswith(b"%PDF")
        forged = await buyer.get(link.group(1).split("?")[0] + "?t=x.1.y")
        assert forged.status_code == 404

    edit = (await client.get(f"/dashboard/products/{product_id}")).text
    assert "buyer@example.com" in edit and "(1)" in edit


async def test_lead_capture_is_rate_limited(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    identity = await sign_up(client)
    product_id = await create(client, kind="lead_magnet", title="Checklist", price="")
    await upload(client, f"/dashboard/products/{product_id}/files", "file", "c.pdf", pdf_bytes())
    await publish(client, product_id)
    url = f"/@{identity['handle']}/checklist/lead"
    async with anonymous(client) as buyer:
        statuses = [
            (await buyer.post(url, data={"contact": "same@example.com"})).status_code for _ in range(7)
        ]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429


async def test_media_route_refuses_private_keys_and_traversal(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    storage = app.state.storage
    await storage.put("private/files/x/y/z", b"%PDF-secret", "application/pdf")
    await storage.put("public/covers/a/b/c-160.webp", b"RIFFxxxxWEBP", "image/webp")
    assert (await client.get("/media/public/covers/a/b/c-160.webp")).status_code == 200
    for path in (
        "/media/private/files/x/y/z",
        "/media/public/../private/files/x/y/z",
        "/media/public/%2e%2e/private/files/x/y/z",
        "/media/..%2fprivate/files/x/y/z",
        "/media/public/covers/a/b/missing.webp",
        "/media/public/covers/a/b/c-160.exe",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert b"secret" not in response.content


async def test_language_is_the_stores_then_the_buyers_choice(client: AsyncTestClient[Litestar]) -> None:
    identity = await sign_up(client)
    product_id = await create(client, kind="coaching", title="Study Plan", price="300", duration_minutes="45")
    await publish(client, product_id)
    settings = await post_form(client, "/dashboard/settings", {"language": "am", "ethiopian_calendar": ""})
    assert settings.status_code == 303
    assert (await post_form(client, "/dashboard/publish", {})).status_code == 303
    url = f"/@{identity['handle']}/study-plan"
    async with anonymous(client) as stranger:
        store_default = await stranger.get(url, headers={"Accept-Encoding": "gzip"})
        assert store_default.headers["content-language"] == "am" and 'lang="am"' in store_default.text
        assert store_default.headers["content-encoding"] == "gzip"
        assert "በቪዲዮ ወይም በስልክ ጥሪ የሚካሄድ የ45 ደቂቃ ክፍለ ጊዜ።" in store_default.text
        # The phone's Accept-Language does not override the creator's choice on a first visit...
        phone = await stranger.get(url, headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert phone.headers["content-language"] == "am"
        # ...the buyer's own choice (the footer's language link sets the cookie) does.
        switched = await stranger.get(url, params={"lang": "en"})
        assert switched.status_code == 303 and switched.headers["location"] == url
        stranger.cookies.set("lang", "en")
        asked = await stranger.get(url)
        assert asked.headers["content-language"] == "en"
        assert "A 45-minute session by video or phone call." in asked.text
        assert asked.headers["etag"] != store_default.headers["etag"]


async def test_media_images_carry_only_image_headers_and_are_not_gzipped(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    """A store page fetches ~25 images: document-only headers on each would cost ~11 KB of a first visit."""
    body = b"RIFF" + b"\0" * 2000 + b"WEBP"  # above the compression threshold, and very compressible
    await app.state.storage.put("public/covers/a/b/d-160.webp", body, "image/webp")
    response = await client.get("/media/public/covers/a/b/d-160.webp", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.content == body
    headers = response.headers
    assert "content-encoding" not in headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    for name in ("content-security-policy", "x-frame-options", "referrer-policy", "permissions-policy"):
        assert name not in headers, name
    # Documents keep every header.
    assert "content-security-policy" in (await client.get("/login")).headers

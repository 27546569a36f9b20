"""The store builder at /dashboard over HTTP: every action as a plain form (JavaScript off) and as an htmx
swap.
"""

from __future__ import annotations

import re

from litestar import Litestar

from tests.conftest import drain_jobs, post_form
from tests.storefront.store_helpers import (
    Client,
    dashboard_block_ids,
    htmx_post,
    png,
    sign_up,
    upload_avatar,
)


async def test_log_in_lands_on_the_dashboard_with_the_frame_and_manifest(client: Client) -> None:
    handle = await sign_up(client)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert 'href="/account"' in page.text and 'href="/dashboard/products"' in page.text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    assert f"/@{handle}" in page.text
    assert "Not published yet" in page.text


async def test_dashboard_needs_a_login(client: Client) -> None:
    response = await client.get("/dashboard")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_blocks_added_edited_moved_and_removed_with_plain_forms(client: Client) -> None:
    await sign_up(client)
    for title in ("First", "Second"):
        response = await post_form(
            client,
            "/dashboard/blocks",
            {"type": "link", "title": title, "url": f"https://example.com/{title}"},
        )
        assert response.status_code == 303 and response.headers["location"].startswith("/dashboard")
    response = await post_form(
        client, "/dashboard/blocks", {"type": "capture", "heading": "Get my free guide", "contact": "email"}
    )
    assert response.status_code == 303
    first, second, capture = await dashboard_block_ids(client)

    response = await post_form(
        client, f"/dashboard/blocks/{first}", {"title": "First, renamed", "url": "https://example.org/new"}
    )
    assert response.status_code == 303
    response = await post_form(client, f"/dashboard/blocks/{capture}/move", {"direction": "up"})
    assert response.status_code == 303
    assert await dashboard_block_ids(client) == [first, capture, second]
    response = await post_form(
        client, f"/dashboard/blocks/{first}/move", {"direction": "up"}
    )  # already first
    assert await dashboard_block_ids(client) == [first, capture, second]

    response = await post_form(client, f"/dashboard/blocks/{second}/delete", {})
    assert response.status_code == 303
    page = await client.get("/dashboard")
    assert [first, capture] == re.findall(r'id="b-([0-9a-f]+)"', page.text)
    assert "First, renamed" in page.text and "https://example.org/new" in page.text


async def test_blocks_with_htmx_answer_the_block_list_and_refresh_the_preview(client: Client) -> None:
    await sign_up(client)
    response = await htmx_post(
        client, "/dashboard/blocks", {"type": "link", "title": "My shop", "url": "https://example.com"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="blocks">')
    assert "<html" not in response.text
    assert (
        'id="preview" data-hx-swap-oob="true"' in response.text
        and 'id="status" data-hx-swap-oob="true"' in response.text
    )
    assert "Unpublished changes" in response.text or "Not published yet" in response.text
    assert response.headers["vary"].startswith("HX-Request")
    (block,) = re.findall(r'id="b-([0-9a-f]+)"', response.text)

    await htmx_post(
        client, "/dashboard/blocks", {"type": "link", "title": "Second", "url": "https://example.org"}
    )
    moved = await htmx_post(client, f"/dashboard/blocks/{block}/move", {"direction": "down"})
    assert moved.status_code == 200
    ids = re.findall(r'id="b-([0-9a-f]+)"', moved.text)
    assert ids[-1] == block

    edited = await htmx_post(
        client, f"/dashboard/blocks/{block}", {"title": "Renamed", "url": "https://x.example"}
    )
    assert edited.status_code == 200 and "Renamed" in edited.text

    removed = await htmx_post(client, f"/dashboard/blocks/{block}/delete", {})
    assert removed.status_code == 200 and f'id="b-{block}"' not in removed.text


async def test_bad_block_input_is_422_with_the_message_in_both_variants(client: Client) -> None:
    await sign_up(client)
    for url in (
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com",
        "example",
    ):
        plain = await post_form(client, "/dashboard/blocks", {"type": "link", "title": "Evil", "url": url})
        assert plain.status_code == 422
        assert "Enter a link starting with https://" in plain.text
        assert "<html" in plain.text  # the whole page again, with the form open
    swapped = await htmx_post(
        client, "/dashboard/blocks", {"type": "link", "title": "", "url": "https://a.example"}
    )
    assert swapped.status_code == 422
    assert "Give the link a title." in swapped.text and "<html" not in swapped.text
    no_product = await post_form(client, "/dashboard/blocks", {"type": "product", "product_id": "not-a-uuid"})
    assert no_product.status_code == 422 and "Choose one of your products." in no_product.text
    assert await dashboard_block_ids(client) == []


async def test_profile_theme_links_and_settings(client: Client) -> None:
    handle = await sign_up(client)
    new_handle = f"{handle}_x"[:30]
    response = await post_form(
        client,
        "/dashboard/profile",
        {"display_name": "Hana's Studio", "handle": new_handle, "bio": "Line one\nLine two"},
    )
    assert response.status_code == 303
    page = await client.get("/dashboard")
    assert f"/@{new_handle}" in page.text and "Hana&#39;s Studio" in page.text

    reserved = await post_form(
        client, "/dashboard/profile", {"display_name": "Hana", "handle": "dashboard", "bio": ""}
    )
    assert reserved.status_code == 422 and "That handle is reserved." in reserved.text
    too_long = await post_form(
        client, "/dashboard/profile", {"display_name": "Hana", "handle": new_handle, "bio": "x" * 301}
    )
    assert too_long.status_code == 422 and "at most 300 characters" in too_long.text

    theme = await htmx_post(client, "/dashboard/theme", {"palette": "night", "accent": "#AA3366"})
    assert theme.status_code == 200 and "--ac:#aa3366" in theme.text and "--bg:#14161a" in theme.text
    bad = await post_form(client, "/dashboard/theme", {"palette": "neon", "accent": "red;}body{x:y"})
    assert bad.status_code == 422
    assert "Choose one of the palettes." in bad.text and "Choose a colour like #0b7a53." in bad.text

    socials = await post_form(
        client,
        "/dashboard/socials",
        {"telegram": "https://t.me/hana", "instagram": "", "x": "javascript:alert(1)"},
    )
    assert socials.status_code == 422 and "Enter a link starting with https://" in socials.text
    socials = await post_form(
        client,
        "/dashboard/socials",
        {"telegram": "https://t.me/hana", "tiktok": "https://www.tiktok.com/@hana"},
    )
    assert socials.status_code == 303

    settings = await post_form(client, "/dashboard/settings", {"language": "am", "ethiopian_calendar": "on"})
    assert settings.status_code == 303
    assert (await post_form(client, "/dashboard/settings", {"language": "fr"})).status_code == 422

    await post_form(client, "/dashboard/publish", {})
    store = await client.get(f"/@{new_handle}", headers={"Accept-Language": ""})
    assert store.status_code == 200
    assert store.headers["content-language"] == "am"  # the store's default language
    assert 'href="https://t.me/hana"' in store.text and ">TikTok<" in store.text
    assert "--ac:#aa3366" in store.text
    assert "Line one\nLine two" in store.text
    assert re.search(r"(መስከረም|ጥቅምት|ኅዳር|ታኅሣሥ|ጥር|የካቲት|መጋቢት|ሚያዝያ|ግንቦት|ሰኔ|ሐምሌ|ነሐሴ|ጳጉሜ) \d+, 20\d\d", store.text)
    moved = await client.get(f"/@{handle}")  # the old address (printed QR codes) leads to the new one
    assert moved.status_code == 301 and moved.headers["location"] == f"/@{new_handle}"


async def test_draft_is_invisible_until_published(client: Client, app: Litestar) -> None:
    handle = await sign_up(client, name="Abebe Kebede")
    await post_form(
        client,
        "/dashboard/profile",
        {"display_name": "Abebe Kebede", "handle": handle, "bio": "Secret draft bio"},
    )
    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "Draft link", "url": "https://a.example"}
    )

    before = await client.get(f"/@{handle}")
    assert before.status_code == 200
    assert "Abebe Kebede" in before.text and "opening soon" in before.text
    assert "Secret draft bio" not in before.text and "Draft link" not in before.text

    response = await post_form(client, "/dashboard/publish", {})
    assert response.status_code == 303
    assert "Published" in (await client.get("/dashboard")).text
    await drain_jobs(app)  # the render job publishing enqueued
    after = await client.get(f"/@{handle}")
    assert "Secret draft bio" in after.text and "Draft link" in after.text

    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "Later link", "url": "https://b.example"}
    )
    assert "Unpublished changes" in (await client.get("/dashboard")).text
    assert "Later link" not in (await client.get(f"/@{handle}")).text
    preview = await client.get("/dashboard/preview")
    assert preview.status_code == 200 and "Later link" in preview.text
    assert "Later link" in (await client.get("/dashboard")).text  # the live preview shows the draft

    swapped = await htmx_post(client, "/dashboard/publish", {})
    assert swapped.status_code == 200 and ">Published<" in swapped.text
    await drain_jobs(app)
    assert "Later link" in (await client.get(f"/@{handle}")).text


async def test_avatar_upload_makes_webp_thumbnails_under_public_keys(client: Client, app) -> None:  # type: ignore[no-untyped-def]
    handle = await sign_up(client)
    response = await upload_avatar(client, png(), "me.png")
    assert response.status_code == 303
    media = app.state.settings.media_dir
    files = sorted(p.relative_to(media).as_posix() for p in media.rglob("*.webp"))
    assert len(files) == 2 and all(f.startswith("public/avatars/") for f in files)
    assert files[0].endswith("-160.webp") or files[0].endswith("-480.webp")
    await post_form(client, "/dashboard/publish", {})
    store = await client.get(f"/@{handle}")
    assert re.search(
        r'<img class="av" src="/media/public/avatars/[^"]+-160\.webp" srcset="[^"]+ 160w, [^"]+ 480w"'
        r' sizes="96px" width="96" height="96"',
        store.text,
    )
    assert re.search(
        r'<meta property="og:image" content="http://127\.0\.0\.1:8000/media/public/avatars/[^"]+-480'
        r'\.webp">',
        store.text,
    )

    swapped = await upload_avatar(
        client, png(colour=(10, 10, 200)), "new.jpg.png", headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200 and 'id="avatar"' in swapped.text
    assert len(list(media.rglob("*.webp"))) == 4  # the published store still shows the old photo
    await post_form(client, "/dashboard/publish", {})
    assert len(list(media.rglob("*.webp"))) == 2  # the old photo is no longer used anywhere
    removed = await post_form(client, "/dashboard/avatar/delete", {})
    assert removed.status_code == 303


async def test_qr_code_and_manifest(client: Client) -> None:
    handle = await sign_up(client)
    page = await client.get("/dashboard")
    assert "<svg" in page.text and 'href="/dashboard/qr.svg"' in page.text
    qr = await client.get("/dashboard/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text.startswith("<?xml") and "<svg" in qr.text and f"@{handle}" in qr.text

    manifest = await client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["start_url"] == "/dashboard" and data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    assert any(icon["purpose"] == "maskable" for icon in data["icons"])
    for icon in data["icons"]:
        image = await client.get(icon["src"])
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")

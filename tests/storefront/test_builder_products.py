"""The builder's product pages over HTTP on SQLite and PostgreSQL: plain forms (JS off) and htmx fragments."""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import csrf, drain_jobs, post_form
from tests.platform.catalog.helpers import create, pdf_bytes, png_bytes, sign_up, upload
from windsurf.settings import Settings


def stored_files(settings: Settings) -> list[Path]:
    root = settings.media_dir
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def test_create_edit_publish_and_delete_with_plain_forms(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up(client)
    assert (await client.get("/dashboard/products")).status_code == 200
    assert "Digital download" in (await client.get("/dashboard/products/new")).text

    product_id = await create(
        client, kind="coaching", title="Portfolio review", price="1500", duration_minutes="60"
    )
    page = await client.get(f"/dashboard/products/{product_id}")
    assert (
        page.status_code == 200 and "Portfolio review" in page.text and 'name="duration_minutes"' in page.text
    )

    saved = await post_form(
        client,
        f"/dashboard/products/{product_id}",
        {
            "title": "1:1 Portfolio Review",
            "slug": "portfolio",
            "description": "We **review** your work.",
            "price": "1,200.50",
            "compare_at": "1500",
            "pwyw_min": "",
            "duration_minutes": "45",
            "sales_limit": "10",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    page = await client.get(f"/dashboard/products/{product_id}")
    assert "Your changes are saved." not in page.text  # the flag is read from the URL, not remembered
    assert 'value="1200.50"' in page.text and 'value="portfolio"' in page.text

    published = await post_form(
        client,
        f"/dashboard/products/{product_id}/visibility",
        {"visibility": "published", "return_to": f"/dashboard/products/{product_id}"},
    )
    assert published.status_code == 303
    public = await client.get(f"/@{identity['handle']}/portfolio")
    assert public.status_code == 200 and "ETB\u00a01,200.50" in public.text and "<s" in public.text

    deleted = await post_form(client, f"/dashboard/products/{product_id}/delete", {})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/dashboard/products"
    assert (await client.get(f"/dashboard/products/{product_id}")).status_code == 404
    await drain_jobs(app)  # buyers' pages follow once the render job has run
    assert (await client.get(f"/@{identity['handle']}/portfolio")).status_code == 404


async def test_bad_input_re_renders_the_form_with_422(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client)
    response = await post_form(
        client, "/dashboard/products/new", {"kind": "download", "title": "", "price": "abc"}
    )
    assert response.status_code == 422
    assert "Give your product a title." in response.text and "Enter a price in birr" in response.text
    product_id = await create(client)
    response = await post_form(
        client,
        f"/dashboard/products/{product_id}",
        {
            "title": "Coffee Guide",
            "slug": "Bad Slug!",
            "description": "",
            "price": "100",
            "compare_at": "50",
            "pwyw_min": "",
            "sales_limit": "",
        },
    )
    assert response.status_code == 422
    assert "The compare-at price must be higher than the price." in response.text
    assert 'value="Bad Slug!"' in response.text  # what the creator typed is kept


async def test_htmx_visibility_and_reorder_answer_with_the_list_fragment(
    client: AsyncTestClient[Litestar],
) -> None:
    await sign_up(client)
    first = await create(client, kind="link", title="First", price="", external_url="https://example.com/1")
    second = await create(client, kind="link", title="Second", price="", external_url="https://example.com/2")
    headers = {"HX-Request": "true", "x-csrftoken": await csrf(client)}

    moved = await client.post(f"/dashboard/products/{second}/move", data={"direction": "up"}, headers=headers)
    assert moved.status_code == 200 and "HX-Request" in moved.headers["vary"]
    assert moved.text.lstrip().startswith('<div id="product-list">') and "<html" not in moved.text
    assert moved.text.index("Second") < moved.text.index("First")

    toggled = await client.post(
        f"/dashboard/products/{first}/visibility",
        data={"visibility": "published", "return_to": "/dashboard/products"},
        headers=headers,
    )
    assert toggled.status_code == 200 and "badge published" in toggled.text

    # The same actions without htmx redirect back to the list.
    plain = await post_form(client, f"/dashboard/products/{second}/move", {"direction": "down"})
    assert plain.status_code == 303
    listing = (await client.get("/dashboard/products")).text
    assert listing.index("First") < listing.index("Second")

    # A boosted navigation to the list (the dashboard nav with JavaScript on) swaps the whole body: it needs
    # the whole page, header and nav included, not the list fragment.
    boosted = await client.get("/dashboard/products", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 200 and "<html" in boosted.text and 'href="/dashboard"' in boosted.text


async def test_a_download_cannot_be_published_without_a_file(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client)
    product_id = await create(client)
    refused = await post_form(
        client,
        f"/dashboard/products/{product_id}/visibility",
        {"visibility": "published", "return_to": "/dashboard/products"},
    )
    assert refused.status_code == 422 and "Add at least one file" in refused.text


async def test_cover_and_files_upload_download_and_removal(
    client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    await sign_up(client)
    product_id = await create(client)
    cover = await upload(client, f"/dashboard/products/{product_id}/cover", "cover", "cover.png", png_bytes())
    assert cover.status_code == 303
    page = (await client.get(f"/dashboard/products/{product_id}")).text
    assert "/media/public/covers/" in page
    image_url = re.search(r'src="(/media/public/covers/[^"]+)"', page).group(1)  # type: ignore[union-attr]
    image = await client.get(image_url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
    assert "immutable" in image.headers["cache-control"] and "set-cookie" not in image.headers

    added = await upload(client, f"/dashboard/products/{product_id}/files", "file", "guide.pdf", pdf_bytes())
    assert added.status_code == 303
    page = (await client.get(f"/dashboard/products/{product_id}")).text
    file_url = page.split('href="/dashboard/products/' + product_id + "/files/")[1].split('"')[0]
    download = await client.get(f"/dashboard/products/{product_id}/files/{file_url}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download.headers["cache-control"] == "private, no-store"
    assert "attachment" in download.headers["content-disposition"]
    private = [p for p in stored_files(settings) if "private" in p.parts]
    assert len(private) == 1
    key = private[0].relative_to(settings.media_dir).as_posix()
    assert (await client.get(f"/media/{key}")).status_code == 404  # never served from the public path

    removed = await post_form(client, f"/dashboard/products/{product_id}/files/{file_url}/delete", {})
    assert removed.status_code == 303
    assert not [p for p in stored_files(settings) if "private" in p.parts]
    await post_form(client, f"/dashboard/products/{product_id}/cover/delete", {})
    assert stored_files(settings) == []

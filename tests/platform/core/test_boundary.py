"""Bodies as they arrive: NUL removed from every text field (forms and JSON), undecodable JSON a 400 problem."""

from __future__ import annotations

import json

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import csrf, post_form
from tests.platform.catalog.helpers import create, sign_up


async def test_nul_in_form_fields_is_removed(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client)
    product_id = await create(client, title="Coffee\x00 Guide")
    product = (await client.get(f"/api/v1/catalog/products/{product_id}")).json()
    assert product["title"] == "Coffee Guide" and product["slug"] == "coffee-guide"
    response = await post_form(
        client,
        f"/dashboard/products/{product_id}",
        {"title": "T\x00ea", "slug": "t\x00ea", "description": "Roast\x00 well.", "price": "1\x0050"},
    )
    assert response.status_code == 303, response.text
    product = (await client.get(f"/api/v1/catalog/products/{product_id}")).json()
    assert product["title"] == "Tea" and product["price_santim"] == 15000 and product["slug"] == "tea"
    assert product["description_md"] == "Roast well."


async def test_nul_in_json_fields_is_removed(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client)
    headers = {"x-csrftoken": await csrf(client)}
    created = await client.post(
        "/api/v1/catalog/products",
        headers=headers,
        json={"kind": "download", "title": "Tea\u0000 Notes", "description": "\u0000x", "price_santim": 1000},
    )
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "Tea Notes" and created.json()["description_md"] == "x"
    patched = await client.patch(
        f"/api/v1/catalog/products/{created.json()['id']}", headers=headers, json={"title": "\u0000Chai"}
    )
    assert patched.status_code == 200 and patched.json()["title"] == "Chai"


async def test_undecodable_json_is_a_translated_400(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client)
    headers = {"x-csrftoken": await csrf(client), "content-type": "application/json"}
    bodies = [
        b'{"kind": "download", "title": "\xff\xfe"}',  # not UTF-8
        b'{"title": "\xed\xa0\x80"}',  # an encoded lone surrogate
        b"[" * 50_000 + b"]" * 50_000,  # nested far beyond any document of ours
        json.dumps({"title": "x", "clear": [[[[]]]]}).encode().replace(b"[[[[]]]]", b"[" * 200 + b"]" * 200),
        b'{"title": ',
    ]
    for body in bodies:
        for language, title in (("en", "That request could not be read"), ("am", None)):
            response = await client.post(
                "/api/v1/catalog/products", content=body, headers={**headers, "accept-language": language}
            )
            assert response.status_code == 400, (body[:40], response.text[:300])
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["status"] == 400 and problem["detail"]
            if title:
                assert problem["title"] == title
            else:
                assert problem["title"] != "That request could not be read"  # Amharic

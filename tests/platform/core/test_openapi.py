"""The OpenAPI document describes what the API does: problem responses, security, enums, OPTIONS and Allow."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

PROBLEM_STATUSES = {"400", "401", "403", "404", "409", "422", "429"}


async def test_every_operation_documents_its_problem_responses(client: AsyncTestClient[Litestar]) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    responses = document["components"]["responses"]
    for status in PROBLEM_STATUSES | {"413"}:
        assert list(responses[status]["content"]) == ["application/problem+json"]
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "options" or "/api/" not in path:
                continue
            documented = set(operation["responses"])
            assert documented >= PROBLEM_STATUSES, (method, path)
            assert ("413" in documented) == ("requestBody" in operation), (method, path)
            if not path.startswith("/api/"):
                continue  # the sandbox gateway's provider API authenticates by signature, not a session
            expected = (
                [{"session": [], "csrf": []}] if method in {"post", "patch", "delete"} else [{"session": []}]
            )
            assert operation["security"] == expected, (method, path)
    assert not any(path.startswith(("/metrics", "/health", "/schema")) for path in document["paths"])


async def test_security_schemes_are_the_session_cookie_and_the_csrf_header(
    client: AsyncTestClient[Litestar],
) -> None:
    schemes = (await client.get("/schema/openapi.json")).json()["components"]["securitySchemes"]
    assert schemes["session"] == {
        **schemes["session"],
        "type": "apiKey",
        "in": "cookie",
        "name": "windsurf-session",
    }
    assert schemes["csrf"] == {**schemes["csrf"], "type": "apiKey", "in": "header", "name": "X-CSRFToken"}


async def test_enums_and_required_fields(client: AsyncTestClient[Litestar]) -> None:
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    assert schemas["NewProduct"]["properties"]["kind"]["enum"] == [
        "download",
        "lead_magnet",
        "link",
        "coaching",
    ]
    assert schemas["VisibilityIn"]["properties"]["visibility"]["enum"] == ["draft", "published", "unlisted"]
    assert schemas["VisibilityIn"]["required"] == ["visibility"]
    assert {"id", "kind", "title", "price_santim", "visibility", "updated_at"} <= set(
        schemas["ProductOut"]["required"]
    )


async def test_options_lists_every_method_and_is_documented(client: AsyncTestClient[Litestar]) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    answer = await client.options("/api/v1/catalog/products")
    assert answer.status_code == 204 and answer.headers["allow"] == "GET, OPTIONS, POST"
    documented = document["paths"]["/api/v1/catalog/products"]["options"]["responses"]["204"]["headers"][
        "Allow"
    ]
    assert documented["schema"]["enum"] == ["GET, OPTIONS, POST"]
    item = await client.options("/api/v1/catalog/products/00000000-0000-4000-8000-000000000000")
    assert item.headers["allow"] == "DELETE, GET, OPTIONS, PATCH"
    assert (await client.options("/login")).headers["allow"] == "GET, OPTIONS, POST"


async def test_an_unknown_kind_is_a_problem_not_a_500(client: AsyncTestClient[Litestar]) -> None:
    from tests.conftest import csrf
    from tests.platform.catalog.helpers import sign_up

    await sign_up(client)
    response = await client.post(
        "/api/v1/catalog/products", headers={"x-csrftoken": await csrf(client)}, json={"kind": "spaceship"}
    )
    assert response.status_code == 400 and response.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert response.json()["errors"][0]["field"] == "kind"

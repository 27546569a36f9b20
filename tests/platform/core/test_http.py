"""What every response carries, production's cookies and headers, probes, logs, metrics and the API schema."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import REDIS_URL, SECRET, make_settings, post_form, serve
from tests.helpers import new_identity
from windsurf.app import create_app
from windsurf.core.logging import JsonFormatter
from windsurf.core.migrate import migrate


async def test_security_headers_on_every_kind_of_response(client: AsyncTestClient[Litestar]) -> None:
    for path in (
        "/",
        "/login",
        "/no/such/page",
        "/health/live",
        "/api/v1/identity/me",
        "/static/vendor/htmx-2.0.11.min.js",
    ):
        response = await client.get(path)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "strict-transport-security" not in headers  # only in production
        assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"]), path


async def test_pages_have_no_inline_scripts(client: AsyncTestClient[Litestar]) -> None:
    for path in ("/", "/login", "/signup", "/password-reset", "/verify?phone=0911234567&purpose=login"):
        html = (await client.get(path)).text
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert scripts and all('src="' in attrs and body.strip() == "" for attrs, body in scripts), path
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), path  # no inline event handlers either


async def test_incoming_request_id_is_kept_or_replaced(client: AsyncTestClient[Litestar]) -> None:
    assert (await client.get("/health/live", headers={"x-request-id": "abc-123-xyz"})).headers[
        "x-request-id"
    ] == ("abc-123-xyz")
    forged = await client.get("/health/live", headers={"x-request-id": "<script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])


async def test_production_uses_host_cookies_and_hsts(postgres_urls: dict[str, str], tmp_path: Path) -> None:
    settings = make_settings(
        env="production",
        argon2_cost="strong",
        public_url="https://testserver.local",
        database_url=postgres_urls["app"],
        migration_database_url=postgres_urls["owner"],
        redis_url=REDIS_URL,
        redis_namespace=f"windsurf-test-prod-{uuid.uuid4().hex[:6]}",
        var_dir=tmp_path,
        secret_key=SECRET,
        email_backend="smtp",
        sms_backend="http",
        sms_url="https://sms.example.et/api/send",
        sms_token="gateway-token",
    )
    await migrate(settings)
    app = create_app(settings)
    async with serve(app, base_url="https://testserver.local") as client:
        page = await client.get("/login")
        assert page.headers["strict-transport-security"].startswith("max-age=63072000")
        csrf_cookie = page.headers["set-cookie"]
        assert (
            csrf_cookie.startswith("__Host-csrftoken=")
            and "Secure" in csrf_cookie
            and "Domain" not in csrf_cookie
        )
        token = client.cookies["__Host-csrftoken"]
        response = await client.post("/signup/email", data={**new_identity(), "_csrf_token": token})
        assert response.status_code == 303
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-windsurf-session=")
        )
        assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie and "Domain" not in cookie
        assert re.search("samesite=lax", cookie, re.I)
        assert (await client.get("/account")).status_code == 200


async def test_ready_checks_database_and_redis(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    assert (await client.get("/health/live")).json() == {"status": "ok"}


async def test_ready_is_503_when_redis_is_unreachable(tmp_path: Path) -> None:
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path / 'ok.sqlite'}", redis_url="redis://127.0.0.1:1/0"
    )
    async with serve(create_app(settings)) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable" and body["checks"]["redis"].startswith("error")
        assert body["checks"]["database"] == "ok"
        assert (await client.get("/health/live")).status_code == 200


async def test_ready_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # A directory where the SQLite file should be: every query fails, as with a lost volume.
    (tmp_path / "gone.sqlite").mkdir()
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'gone.sqlite'}")
    async with serve(create_app(settings)) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 503 and response.json()["checks"]["database"].startswith("error")


async def test_ready_is_503_when_postgres_is_down_at_start_and_the_process_still_serves(
    tmp_path: Path,
) -> None:
    settings = make_settings(database_url="postgres://nobody@127.0.0.1:1/nothing", var_dir=tmp_path)
    async with serve(create_app(settings)) as client:
        assert (await client.get("/health/live")).status_code == 200
        response = await client.get("/health/ready")
        assert response.status_code == 503 and response.json()["checks"]["database"].startswith("error")
        # A page that needs the database says so politely instead of a stack trace.
        page = await client.get("/@someone")
        assert page.status_code == 500 and "Something went wrong on our side" in page.text


async def test_json_log_lines_carry_the_request_id(client: AsyncTestClient[Litestar]) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("windsurf.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        response = await client.get("/login", headers={"x-request-id": "req-0123456789"})
        await client.get("/health/live")
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    mine = [line for line in lines if line["request_id"] == "req-0123456789"]
    assert response.headers["x-request-id"] == "req-0123456789"
    assert len(mine) == 1
    assert mine[0]["path"] == "/login" and mine[0]["status"] == 200 and mine[0]["method"] == "GET"
    assert mine[0]["level"] == "info" and "time" in mine[0] and mine[0]["logger"] == "windsurf.access"
    assert len({line["request_id"] for line in lines}) == 2


async def test_openapi_schema_documents_the_identity_api(client: AsyncTestClient[Litestar]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["info"]["title"] == "Stan Store Windsurf API"
    assert "/api/v1/identity/sign-ins/{sign_in_id}" in schema["paths"]
    assert "/api/v1/identity/me" in schema["paths"]
    assert not any(path.startswith(("/login", "/signup", "/health")) for path in schema["paths"])


async def test_problem_documents_for_the_api(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/identity/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json() == {
        "type": "about:blank",
        "title": "Please log in",
        "status": 401,
        "instance": "/api/v1/identity/me",
    }
    await post_form(client, "/signup/email", new_identity())
    assert (await client.get("/api/v1/identity/me")).status_code == 200

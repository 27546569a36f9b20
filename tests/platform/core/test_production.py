"""Production refuses what would leak or weaken it: a database role RLS does not bind, the demo login, a public
schema, a lang cookie without Secure, forms posting anywhere; and it needs a real SMS gateway."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import REDIS_URL, SECRET, make_settings, serve
from windsurf.app import create_app
from windsurf.core.messaging import HttpSmsBackend, Sms
from windsurf.core.migrate import migrate
from windsurf.settings import Settings, SettingsError


def production_settings(database_url: str, migration_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "production",
        "argon2_cost": "strong",
        "public_url": "https://testserver.local",
        "database_url": database_url,
        "migration_database_url": migration_url,
        "redis_url": REDIS_URL,
        "redis_namespace": f"windsurf-test-prod-{uuid.uuid4().hex[:6]}",
        "var_dir": tmp_path,
        "secret_key": SECRET,
        "email_backend": "smtp",
        "sms_backend": "http",
        "sms_url": "https://sms.example.et/api/send",
        "sms_token": "gateway-token",
    }
    values.update(overrides)
    return make_settings(**values)


async def test_production_refuses_a_superuser_or_table_owning_role(
    postgres_urls: dict[str, str], tmp_path: Path
) -> None:
    owner = postgres_urls["owner"]
    settings = production_settings(owner, owner, tmp_path)
    await migrate(settings)
    with pytest.raises(BaseExceptionGroup) as refused:  # the lifespan's task group carries it out
        async with serve(create_app(settings)):
            pass
    assert refused.group_contains(SettingsError, match="superuser")
    assert refused.group_contains(SettingsError, match="BYPASSRLS")
    assert refused.group_contains(SettingsError, match=r"owns \d+ tables")


async def test_production_with_the_app_role_serves_safely(
    postgres_urls: dict[str, str], tmp_path: Path
) -> None:
    settings = production_settings(postgres_urls["app"], postgres_urls["owner"], tmp_path)
    await migrate(settings)
    async with serve(create_app(settings), base_url="https://testserver.local") as client:
        page = await client.get("/login")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert (
            "form-action 'self';" in csp + ";" and "https:;" not in csp.split("form-action")[1].split(";")[0]
        )
        assert (await client.get("/schema/openapi.json")).status_code == 404
        assert (await client.get("/schema")).status_code == 404
        chosen = await client.get("/language", params={"lang": "en", "next": "/"})
        cookie = next(c for c in chosen.headers.get_list("set-cookie") if c.startswith("lang="))
        assert "Secure" in cookie
        store_link = await client.get("/@somebody?lang=am")
        cookie = next(c for c in store_link.headers.get_list("set-cookie") if c.startswith("lang="))
        assert "Secure" in cookie
    allowed = production_settings(postgres_urls["app"], postgres_urls["owner"], tmp_path, api_schema="on")
    async with serve(create_app(allowed), base_url="https://testserver.local") as client:
        assert (await client.get("/schema/openapi.json")).json()["info"]["title"] == "Stan Store Windsurf API"


def test_demo_is_refused_in_production(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from windsurf.cli import main

    environ = {
        "WINDSURF_ENV": "production",
        "WINDSURF_SECRET_KEY": SECRET,
        "WINDSURF_DATABASE_URL": "postgres://app@127.0.0.1:1/nothing",
        "WINDSURF_PUBLIC_URL": "https://windsurf.et",
        "WINDSURF_EMAIL_BACKEND": "smtp",
        "WINDSURF_SMS_BACKEND": "http",
        "WINDSURF_SMS_URL": "https://sms.example.et/api/send",
        "WINDSURF_SMS_TOKEN": "gateway-token",
    }
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    assert main(["demo"]) == 2
    assert "refusing to create the demo store in production" in capsys.readouterr().err


class _Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    answer: ClassVar[dict[str, Any]] = {"acknowledge": "success"}

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        _Gateway.received.append((self.headers["authorization"], body))
        payload = json.dumps(_Gateway.answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/send"
    server.shutdown()
    server.server_close()


async def test_http_sms_backend_speaks_to_the_gateway(gateway: str) -> None:
    backend = HttpSmsBackend(gateway, "gateway-token", "Windsurf")
    await backend.send_sms(Sms(to="+251911234567", body="Your code is 123456"))
    authorization, body = _Gateway.received[-1]
    assert authorization == "Bearer gateway-token"
    assert body == {"to": "+251911234567", "message": "Your code is 123456", "sender": "Windsurf"}
    _Gateway.answer = {"acknowledge": "error", "response": {"errors": ["bad sender"]}}
    try:
        with pytest.raises(RuntimeError, match="refused") as refused:
            await backend.send_sms(Sms(to="+251911234567", body="Your code is 654321"))
        assert "654321" not in str(refused.value)
    finally:
        _Gateway.answer = {"acknowledge": "success"}

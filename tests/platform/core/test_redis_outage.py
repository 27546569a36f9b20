"""Redis stopped or hung: public pages keep being served, logins and account pages answer a translated 503,
a hung Redis trips the circuit breaker, and everything recovers by itself once Redis is back.

The test runs its own redis-server on a free loopback port (Debian package ``redis-server``) so that it can
stop, freeze (SIGSTOP: connections accepted, nothing answered) and restart it without touching the shared one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from litestar import Litestar

from tests.conftest import post_form, serve, unavailable
from tests.storefront.test_store_page import published_store
from windsurf.app import create_app
from windsurf.core.migrate import migrate
from windsurf.core.stores import GuardedRedisStore
from windsurf.settings import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self, directory: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            unavailable("redis-server", "not installed (Debian package redis-server)")
        self.executable = executable
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def outage_app(backend_settings: Settings, own_redis: RedisServer) -> AsyncIterator[Litestar]:
    settings = dataclasses.replace(backend_settings, redis_url=own_redis.url)
    await migrate(settings)
    yield create_app(settings)


async def _until_ok(client: object, path: str) -> int:
    """Ask until the app has noticed Redis is back (the breaker lets a probe through after its cool-down)."""
    status = 0
    for _ in range(40):
        status = (await client.get(path)).status_code  # type: ignore[attr-defined]
        if status < 500:
            return status
        await asyncio.sleep(0.25)
    return status


async def test_public_pages_survive_redis_and_logins_get_a_503(
    outage_app: Litestar, own_redis: RedisServer
) -> None:
    app = outage_app
    async with serve(app) as creator, serve(app) as buyer:
        handle = await published_store(creator)
        assert (await buyer.get(f"/@{handle}")).status_code == 200
        assert (await creator.get("/dashboard")).status_code == 200

        own_redis.stop()
        for _ in range(5):
            page = await buyer.get(f"/@{handle}")
            assert page.status_code == 200 and "Hana Tesfaye" in page.text
        assert (await buyer.get("/")).status_code == 200
        assert (await buyer.get("/@nobody_at_all")).status_code == 404
        dashboard = await creator.get("/dashboard")
        assert dashboard.status_code == 503 and dashboard.headers["retry-after"]
        assert "This is briefly unavailable" in dashboard.text
        amharic = await creator.get("/dashboard", headers={"accept-language": "am"})
        assert amharic.status_code == 503 and "This is briefly unavailable" not in amharic.text
        login = await post_form(buyer, "/login", {"email": "x@example.com", "password": "whatever-123"})
        assert login.status_code == 503
        api = await creator.get("/api/v1/identity/me")
        assert api.status_code == 503 and api.headers["content-type"].startswith("application/problem+json")
        sessions = app.stores.get("sessions")
        assert isinstance(sessions, GuardedRedisStore) and sessions.breaker.is_open

        own_redis.start()  # a new, empty Redis (sessions lost, as after a failover without persistence)
        assert await _until_ok(creator, "/dashboard") in {200, 303}
        assert (await buyer.get(f"/@{handle}")).status_code == 200
        assert not sessions.breaker.is_open


async def test_a_hung_redis_trips_the_breaker(outage_app: Litestar, own_redis: RedisServer) -> None:
    app = outage_app
    async with serve(app) as creator, serve(app) as buyer:
        handle = await published_store(creator)
        own_redis.freeze()
        try:
            for _ in range(4):
                assert (await buyer.get(f"/@{handle}")).status_code == 200
            assert (await creator.get("/dashboard")).status_code == 503
            sessions = app.stores.get("sessions")
            assert isinstance(sessions, GuardedRedisStore) and sessions.breaker.is_open
        finally:
            own_redis.thaw()
        assert await _until_ok(creator, "/dashboard") == 200  # the same Redis, the same session

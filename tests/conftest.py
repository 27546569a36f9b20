"""Shared fixtures: real PostgreSQL and Redis when they are up, applications on each database backend.

Every test session gets its own PostgreSQL database and Redis namespace, so parallel runs never collide.
``WINDSURF_TEST_STRICT=1`` (set by CI) turns an unreachable service into a failure instead of a skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.scheduling import pytest_xdist_make_scheduler  # noqa: F401 - the hook, for pytest-xdist
from windsurf.app import create_app
from windsurf.core import db, jobs
from windsurf.core.migrate import migrate
from windsurf.settings import Settings

POSTGRES_ADMIN = os.environ.get("WINDSURF_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WINDSURF_TEST_REDIS", "redis://127.0.0.1:6379/0")
APP_ROLE = "windsurf_test_app"
APP_ROLE_PASSWORD = "windsurf-test-app"
STRICT = os.environ.get("WINDSURF_TEST_STRICT") == "1"
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def unavailable(service: str, reason: str) -> NoReturn:
    """Fail under WINDSURF_TEST_STRICT=1, skip with the reason otherwise."""
    message = f"{service} is not reachable ({reason})"
    if STRICT:
        pytest.fail(f"{message}; WINDSURF_TEST_STRICT=1 requires it", pytrace=False)
    pytest.skip(message)


def _reachable(host: str, port: int) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=1):
            return None
    except OSError as exc:
        return str(exc)


@pytest.fixture(scope="session")
async def postgres_urls() -> AsyncIterator[dict[str, str]]:
    """A fresh database: ``owner`` migrates it, ``app`` is the RLS-bound role the application uses."""
    admin_url = urlsplit(POSTGRES_ADMIN)
    problem = _reachable(admin_url.hostname or "127.0.0.1", admin_url.port or 5432)
    if problem:
        unavailable("PostgreSQL", problem)
    name = f"windsurf_test_{uuid.uuid4().hex[:10]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    await admin(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    host = base.split("@", 1)[1]
    yield {
        "owner": f"{base}/{name}",
        "app": f"postgres://{APP_ROLE}:{APP_ROLE_PASSWORD}@{host}/{name}",
        "name": name,
    }
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_namespace() -> Iterator[str]:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis", str(exc))
    namespace = f"windsurf-test-{uuid.uuid4().hex[:10]}"
    yield namespace
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'windsurf.sqlite'}"


class ManualClock:
    """Wall-clock seconds that move only when the test moves them."""

    # 2027-01-01T00:00:00Z: the first second of every rate-limit window (minutes, quarter hours, hours, days).
    WINDOW_START = 1_798_761_600.0

    def __init__(self, now: float = WINDOW_START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": SECRET,
        "sms_backend": "recording",
        "email_backend": "recording",
        "inline_worker": False,
        "log_json": False,
        "log_level": "WARNING",
        "default_locale": "en",
        "argon2_cost": "fast",
    }
    values.update(overrides)
    return Settings.from_env({}, **values)


@pytest.fixture(scope="session")
def database(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """The session's database of ``backend``, as settings fields.

    A plain (sync) fixture, because it asks for the database fixture of its backend by name.
    """
    if backend == "postgres":
        urls = request.getfixturevalue("postgres_urls")
        return {"database_url": urls["app"], "migration_database_url": urls["owner"]}
    return {"database_url": request.getfixturevalue("sqlite_url")}


@pytest.fixture(scope="session")
async def migrated_database(database: dict[str, str]) -> dict[str, str]:
    """The session's database of one backend, migrated once for the whole run (tests never share rows they
    assert on: each makes its own creators)."""
    await migrate(make_settings(**database))
    return database


@pytest.fixture
def backend_settings(migrated_database: dict[str, str], tmp_path: Path, redis_namespace: str) -> Settings:
    """Settings for one backend's migrated database, with sessions and rate limits in the real Redis (a
    namespace of the test's own) and files under the test's own folder."""
    return make_settings(
        **migrated_database,
        redis_url=REDIS_URL,
        redis_namespace=f"{redis_namespace}-{uuid.uuid4().hex[:6]}",
        var_dir=tmp_path,
    )


@pytest.fixture
async def settings(backend_settings: Settings) -> Settings:
    # What migrate leaves behind: the tables bound to the owner's engine (create_app rebinds to the app's).
    db.bind(db.create_engine(backend_settings.effective_migration_database_url))
    return backend_settings


@pytest.fixture(scope="session")
async def demo(
    migrated_database: dict[str, str], tmp_path_factory: pytest.TempPathFactory, redis_namespace: str
) -> Settings:
    """@demo (``windsurf demo``), seeded once per database for the run. Tests that read it build their app
    with these settings: the demo's images live in this folder."""
    from windsurf.demo import seed_demo

    settings = make_settings(
        **migrated_database,
        redis_url=REDIS_URL,
        redis_namespace=f"{redis_namespace}-demo",
        var_dir=tmp_path_factory.mktemp("demo"),
    )
    await seed_demo(settings)
    return settings


@pytest.fixture
async def app(settings: Settings, rate_limit_clock: ManualClock) -> Litestar:
    return create_app(settings, clock=rate_limit_clock)


@pytest.fixture
def rate_limit_clock() -> ManualClock:
    """The clock the test's app counts rate-limit windows on: it stands still at the start of every window
    until the test moves it, so no window boundary falls in the middle of a test."""
    return ManualClock()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client for ``app``, served in the test's own event loop (as one process serves it in
    production).

    Litestar's AsyncTestClient runs the app and its lifespan in a separate thread's loop; the connection
    pool and
    the Redis client would then belong to that loop and a test could not query the database or the stores
    itself.
    """
    async with serve(app) as test_client:
        yield test_client


@contextlib.asynccontextmanager
async def serve(
    app: Litestar, base_url: str = "http://testserver.local", client_address: str = "198.51.100.7"
) -> AsyncIterator[Any]:
    """Run ``app``'s lifespan (in a task of its own: anyio scopes must end in the task that began them)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    lifespan = asyncio.create_task(run_lifespan())
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({lifespan, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if lifespan.done():
        waiting.cancel()
        lifespan.result()  # raises the start-up error
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(client_address, 50000)),
            base_url=base_url,
            follow_redirects=False,
        ) as http_client:
            yield http_client
    finally:
        stop.set()
        await lifespan


async def drain_jobs(app: Litestar) -> int:
    """Run the outbox until no job is due, as the in-process worker would; returns how many ran.

    The session's database is shared by every test of a worker, and other tests' jobs fall due too: one batch
    of the worker's hundred could end before this test's own jobs ran.
    """
    ran = 0
    for _ in range(50):  # a job that re-queued itself at once forever would otherwise never let a test finish
        batch = await jobs.run_due_jobs(app.state.jobs)
        ran += batch
        if not batch:
            break
    return ran


async def csrf(client: AsyncTestClient[Litestar]) -> str:
    """The CSRF token a browser would hold after loading any page."""
    if "csrftoken" not in client.cookies:
        await client.get("/login")
    return str(client.cookies["csrftoken"])


async def post_form(client: AsyncTestClient[Litestar], url: str, data: dict[str, str], **kwargs: Any) -> Any:
    return await client.post(url, data={**data, "_csrf_token": await csrf(client)}, **kwargs)

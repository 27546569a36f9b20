"""The real platform in a subprocess and one headless Debian Chromium for the whole session.

The server runs exactly as ``make run`` does (``windsurf migrate``, ``windsurf demo``, ``windsurf serve``) on
a temporary SQLite database and in-memory stores, so browser tests need only Chromium. Every test gets a fresh
browser context (its own cookies and cache), with JavaScript on and off, and leaves a screenshot of its last
state under test-artifacts/browser/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Request, async_playwright, expect

from tests.conftest import SECRET, unavailable
from tests.helpers import verification_path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("WINDSURF_CHROMIUM", "/usr/bin/chromium"))
# Headless in a container: no sandbox (no user namespaces), no GPU, and nothing phoning home during a test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Only for a server that neither becomes ready nor exits (a hang): the wait ends as soon as it is ready.
HANG_GUARD_S = 180.0


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _windsurf(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("windsurf")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "windsurf.cli", *args]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("live-server")
    environ = {
        **{key: value for key, value in os.environ.items() if not key.startswith("WINDSURF_")},
        "WINDSURF_ENV": "test",
        "WINDSURF_SECRET_KEY": SECRET,
        "WINDSURF_VAR_DIR": str(workdir / "var"),
        "WINDSURF_DATABASE_URL": f"sqlite:///{workdir / 'windsurf.sqlite'}",
        "WINDSURF_ARGON2_COST": "fast",
    }
    for command in ("migrate", "demo"):
        subprocess.run(_windsurf(command), env=environ, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    server = LiveServer(url=f"http://127.0.0.1:{port}", log=workdir / "serve.log")
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            _windsurf("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
            env=environ,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(server: LiveServer, process: subprocess.Popen[bytes]) -> None:
    """Poll ``/health/ready`` (the database and stores checked, as a load balancer would) until it says 200.

    A server that exits fails the session at once, with its log; a 503 means it is up but not ready yet.
    """
    deadline = time.monotonic() + HANG_GUARD_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"windsurf serve exited with {process.returncode}:\n{server.log_tail()}", pytrace=False
            )
        try:
            response = httpx.get(f"{server.url}/health/ready", timeout=5.0)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.05)
    pytest.fail(f"windsurf serve never became ready ({last}):\n{server.log_tail()}", pytrace=False)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium per session: launching costs half a second, a new context a few milliseconds."""
    if not os.access(CHROMIUM, os.X_OK):
        unavailable("Chromium", f"{CHROMIUM} is missing; install the Debian package chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def javascript(request: pytest.FixtureRequest) -> bool:
    """Every page must work for a buyer on Opera Mini or with a data saver, so most tests run both ways."""
    return bool(request.param)


@pytest.fixture
async def context(
    browser: Browser, live_server: LiveServer, javascript: bool
) -> AsyncIterator[BrowserContext]:
    # English in Accept-Language, so the language test switches away from it and back.
    new_context = await browser.new_context(
        base_url=live_server.url, java_script_enabled=javascript, locale="en-US"
    )
    new_context.set_default_timeout(10_000)
    yield new_context
    await new_context.close()


@pytest.fixture
async def page(context: BrowserContext, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    new_page = await context.new_page()
    yield new_page
    # The last state of every test, passed or failed, is the artifact a reviewer looks at first.
    await screenshot(new_page, request.node.name)


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    if not page.is_closed():
        await page.screenshot(path=str(path), full_page=True)
    return path


def htmx_requests(page: Page) -> list[Request]:
    """Record the requests htmx sends: it marks each with HX-Request, a plain navigation never does."""
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request) if request.headers.get("hx-request") else None)
    return seen


async def sign_up_creator(page: Page, name: str = "Hana Tesfaye", *, verified: bool = True) -> str:
    """A fresh creator through the real sign-up form (JavaScript on or off); returns the handle."""
    suffix = uuid.uuid4().hex[:8]
    handle = f"c_{suffix}"
    await page.goto("/signup")
    form = page.locator('form[action="/signup/email"]')
    await form.locator('input[name="display_name"]').fill(name)
    await form.locator('input[name="handle"]').fill(handle)
    await form.get_by_label("Email").fill(f"{handle}@example.com")
    await form.get_by_label("Password").fill("correct horse battery")
    await form.get_by_role("button", name="Create my store").click()
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    if verified:
        await verify_in_browser(page)
    return handle


async def verify_in_browser(page: Page) -> None:
    """Open the emailed verification link in the same browser, as the creator would, and go back to the
    dashboard (the link is minted with the server's key, as the email job mints it)."""
    me = await page.request.get("/api/v1/identity/me")
    account = await me.json()
    await page.goto(verification_path(account["id"], account["email"]))
    await expect(page.get_by_role("status")).to_contain_text("is verified")
    await page.goto("/dashboard")

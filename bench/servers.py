"""The servers a benchmark drives: the platform configured as in production, and nginx serving a saved page.

Production here means: ``WINDSURF_ENV=production`` (so the settings refuse SQLite, short keys and
http:// public URLs); the local PostgreSQL with a dedicated database, migrated by the table owner and served
through the app role that row-level security binds; sessions, rate limits and page cache in the local Redis
under a namespace of this run; background jobs off the web process (production runs ``windsurf worker`` as its
own Deployment); JSON access logs on; ``windsurf serve`` with the production worker count.

Each server is a context manager that cleans up what it created (processes, database, Redis keys, temp dirs).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import redis

POSTGRES_ADMIN_URL = os.environ.get("WINDSURF_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("WINDSURF_BENCH_REDIS", "redis://127.0.0.1:6379/0")
APP_ROLE = "windsurf_bench_app"
# On a 2-core machine one core serves and the other runs wrk: two granian workers would fight wrk for the same
# two cores and measure contention, not the app. The cloud scales by pods of one worker each, so this is also
# the production shape of one pod.
PRODUCTION_WORKERS = 1
STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def windsurf_command() -> list[str]:
    """The ``windsurf`` console script of this environment (what production runs), else the module."""
    script = Path(sys.executable).with_name("windsurf")
    return [str(script)] if script.exists() else [sys.executable, "-m", "windsurf.cli"]


def wait_until_ready(url: str, process: subprocess.Popen[bytes] | None, log: Path | None) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_problem = ""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"server exited with {process.returncode} before it was ready:\n{tail}")
        try:
            response = httpx.get(url, timeout=1.0)
            if response.status_code == 200:
                return
            last_problem = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            last_problem = str(exc)
        time.sleep(0.1)
    raise RuntimeError(f"{url} was not ready after {STARTUP_TIMEOUT_S:.0f} s ({last_problem})")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (granian and nginx shut down gracefully on it), SIGKILL if that takes too long."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


# --- the platform -------------------------------------------------------------------------------------------


@dataclass
class ProductionDeployment:
    """A migrated, seeded PostgreSQL database and a Redis namespace, plus the environment that serves them."""

    database: str
    environ: dict[str, str]
    workdir: Path
    commands: list[str] = field(default_factory=list)

    def run_cli(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        command = [*windsurf_command(), *args]
        self.commands.append(" ".join([*(f"{k}={v}" for k, v in (env or {}).items()), "windsurf", *args]))
        completed = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
            command,
            env={**self.environ, **(env or {})},
            cwd=self.workdir,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"windsurf {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
        return completed.stdout

    @contextlib.contextmanager
    def serve(
        self, *, workers: int = PRODUCTION_WORKERS, extra_env: Mapping[str, str] | None = None
    ) -> Iterator[str]:
        """``windsurf serve`` on a free loopback port; yields its base URL once /health/ready says ok."""
        port = free_port()
        environ = {**self.environ, **(extra_env or {})}
        log = self.workdir / f"serve-{port}.log"
        command = [
            *windsurf_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        with log.open("wb") as log_file:
            # The access log goes to a file, as a container runtime would take it from stdout; a pipe nobody
            # reads would fill up and stall the server mid-benchmark.
            process = subprocess.Popen(  # noqa: S603 - our own console script
                command, env=environ, cwd=self.workdir, stdout=log_file, stderr=subprocess.STDOUT
            )
            try:
                base_url = f"http://127.0.0.1:{port}"
                wait_until_ready(f"{base_url}/health/ready", process, log)
                yield base_url
            finally:
                stop(process)

    def flush_page_cache(self) -> None:
        """Delete every rendered page and version the Redis page cache holds for this run (a cold cache)."""
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{self.environ['WINDSURF_REDIS_NAMESPACE']}_pages:*"):
            client.delete(key)
        self.commands.append("redis: DEL <namespace>_pages:*")


@contextlib.contextmanager
def production_deployment() -> Iterator[ProductionDeployment]:
    """Create the database and namespace, migrate as the owner, seed the demo; drop everything afterwards."""
    suffix = uuid.uuid4().hex[:10]
    database = f"windsurf_bench_{suffix}"
    namespace = f"windsurf-bench-{suffix}"
    app_password = secrets.token_urlsafe(18)
    base, _ = POSTGRES_ADMIN_URL.rsplit("/", 1)
    host = base.split("@", 1)[1]
    workdir = Path(tempfile.mkdtemp(prefix="windsurf-bench-"))
    environ = {
        **{key: value for key, value in os.environ.items() if not key.startswith("WINDSURF_")},
        "WINDSURF_ENV": "production",
        "WINDSURF_SECRET_KEY": secrets.token_urlsafe(48),
        "WINDSURF_PUBLIC_URL": "https://bench.windsurf.invalid",
        "WINDSURF_MIGRATION_DATABASE_URL": f"{base}/{database}",
        "WINDSURF_DATABASE_URL": f"postgres://{APP_ROLE}:{app_password}@{host}/{database}",
        "WINDSURF_REDIS_URL": REDIS_URL,
        "WINDSURF_REDIS_NAMESPACE": namespace,
        "WINDSURF_INLINE_WORKER": "false",
        "WINDSURF_VAR_DIR": str(workdir / "var"),
        # Production refuses console messaging; no job runs in the web process, so nothing is ever sent.
        "WINDSURF_EMAIL_BACKEND": "smtp",
        "WINDSURF_SMS_BACKEND": "http",
        "WINDSURF_SMS_URL": "https://sms.bench.windsurf.invalid/api/send",
        "WINDSURF_SMS_TOKEN": secrets.token_urlsafe(24),
    }
    asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
    try:
        deployment = ProductionDeployment(database=database, environ=environ, workdir=workdir)
        deployment.run_cli("migrate")
        # Production refuses `windsurf demo` (its password is published): seed it as a developer would.
        deployment.run_cli("demo", env={"WINDSURF_ENV": "development"})
        yield deployment
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{namespace}*"):
            client.delete(key)
        shutil.rmtree(workdir, ignore_errors=True)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


# --- nginx: the ceiling for serving the same bytes ----------------------------------------------------------

NGINX_CONF = """\
# Written by bench/servers.py for one run. In the foreground, as root, so its worker can read the temp dir.
user root;
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    access_log {prefix}/access.log combined buffer=64k flush=1s;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    # nginx at its best: the compressed copy is made once (page.html.gz), as the app's page cache does.
    gzip_static on;
    gzip on;
    gzip_comp_level 5;
    gzip_vary on;
    server {{
        listen 127.0.0.1:{port};
        root {prefix}/site;
        location / {{
            default_type "text/html; charset=utf-8";
            try_files /page.html =404;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx_serving(page: bytes) -> Iterator[str]:
    """nginx on a free loopback port answering every path with ``page``; yields the base URL."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx)")
    prefix = Path(tempfile.mkdtemp(prefix="windsurf-bench-nginx-"))
    try:
        (prefix / "site").mkdir()
        (prefix / "site" / "page.html").write_bytes(page)
        (prefix / "site" / "page.html.gz").write_bytes(gzip.compress(page, compresslevel=9, mtime=0))
        port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=prefix, port=port))
        log = prefix / "stderr.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(  # noqa: S603 - the system nginx with our config
                [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            try:
                base_url = f"http://127.0.0.1:{port}"
                wait_until_ready(f"{base_url}/", process, prefix / "error.log")
                yield base_url
            finally:
                stop(process)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)

"""Hardening measurements: ``python -m bench.hardening memory|no-redis``.

memory    the worker's resident memory before and after 20,000 distinct 404s (unknown paths and unknown
          handles): flat once metrics are labelled by route template.
no-redis  GET /@demo with the Redis the app uses stopped: served from the near cache or rendered afresh, never a
          5xx; wrk refuses a run with any error response, so a number here means every request was a 200.

Both run the app configured as in production (bench/servers.py), against a redis-server of their own on a free
loopback port (Debian package redis-server) so that stopping it touches nobody else's Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import redis

from bench import servers, wrk


@contextlib.contextmanager
def own_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is not installed (Debian package redis-server)")
    port = servers.free_port()
    workdir = tempfile.mkdtemp(prefix="windsurf-bench-redis-")
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    for _ in range(100):
        with contextlib.suppress(redis.RedisError):
            client.ping()
            break
        time.sleep(0.05)
    try:
        yield url, process
    finally:
        servers.stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def worker_rss_kib(port: int) -> int:
    """Resident memory of ``windsurf serve --port <port>`` and its children (granian's worker), from /proc."""
    needle = f"--port\x00{port}\x00".encode()
    pids = {
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and needle in _read(entry / "cmdline") + b"\x00"
    }
    for pid in list(pids):
        pids |= {int(child) for child in _read(Path(f"/proc/{pid}/task/{pid}/children")).split()}
    total = 0
    for pid in pids:
        for line in _read(Path(f"/proc/{pid}/status")).decode().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


async def distinct_404s(base_url: str, count: int, concurrency: int = 32) -> dict[int, int]:
    statuses: dict[int, int] = {}
    marker = uuid.uuid4().hex[:6]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for number in range(count):
        queue.put_nowait(f"/no/such/{marker}/{number}" if number % 2 else f"/@nobody_{marker}{number}")

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            path = queue.get_nowait()
            status = (await client.get(path)).status_code
            statuses[status] = statuses.get(status, 0) + 1

    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return statuses


def memory(count: int) -> int:
    with (
        servers.production_deployment() as deployment,
        own_redis() as (redis_url, _),
        deployment.serve(extra_env={"WINDSURF_REDIS_URL": redis_url}) as base_url,
    ):
        port = int(base_url.rsplit(":", 1)[1])
        asyncio.run(distinct_404s(base_url, 500))  # warm-up: imports, templates, pools
        before = worker_rss_kib(port)
        print(f"rss_before_kib={before}", flush=True)
        started = time.perf_counter()
        statuses = asyncio.run(distinct_404s(base_url, count))
        elapsed = time.perf_counter() - started
        after = worker_rss_kib(port)
    print(f"statuses {statuses} in {elapsed:.1f} s")
    print(f"memory rss_before_kib={before} rss_after_{count}_404s_kib={after} growth_kib={after - before}")
    return 0


def no_redis(duration_s: int) -> int:
    with (
        servers.production_deployment() as deployment,
        own_redis() as (redis_url, redis_process),
        deployment.serve(extra_env={"WINDSURF_REDIS_URL": redis_url}) as base_url,
    ):
        url = base_url + "/@demo"
        assert httpx.get(url).status_code == 200
        with_redis = wrk.run(url, duration_s=duration_s, warmup_s=1, connections=32, threads=1)
        servers.stop(redis_process)
        assert httpx.get(url).status_code == 200
        login = httpx.get(base_url + "/dashboard", headers={"Cookie": "__Host-windsurf-session=" + "x" * 43})
        without_redis = wrk.run(url, duration_s=duration_s, warmup_s=1, connections=32, threads=1)
    print(f"dashboard with a session cookie, Redis stopped: HTTP {login.status_code}")
    for label, result in (("with_redis", with_redis), ("redis_stopped", without_redis)):
        print(
            f"store-page {label}_rps={result.requests_per_second:.0f} p99_ms={result.p99_ms:.2f} "
            f"errors={result.non_2xx_3xx + result.socket_errors}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hardening", description=__doc__.split("\n\n")[0])
    parser.add_argument("measure", choices=["memory", "no-redis"])
    parser.add_argument("--count", type=int, default=20_000, help="distinct 404s (memory)")
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per run (no-redis)")
    args = parser.parse_args(argv)
    servers.STARTUP_TIMEOUT_S = 120.0  # a shared, busy machine can take longer than 30 s to import and start
    return memory(args.count) if args.measure == "memory" else no_redis(args.duration)


if __name__ == "__main__":
    raise SystemExit(main())

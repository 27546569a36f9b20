"""Benchmark runner: ``python -m bench.run login|store`` (``make bench``, ``make bench-store``).

login  the issue-2 numbers: GET /login (a rendered, translated page with a CSRF cookie) and GET /health/live
       (the cheapest route through the whole middleware stack), against the app configured as in production.
store  the issue-3 harness: GET /@demo from the app with its rendered-page cache on (default) and off
       (``WINDSURF_PAGE_CACHE=0``), and the same bytes from nginx, in one run; ends with the one-line summary
       ``store-page cached_rps=... uncached_rps=... nginx_rps=... ratio=... p99_ms=...``.
uploads  the store page's p99 while creators upload 12 MP covers, with slow work in worker threads and on the event
       loop (``WINDSURF_OFFLOAD=0``); see bench/uploads.py.

Every request sends ``Accept-Encoding: gzip``. Results are printed and written as JSON under bench/out/
(gitignored); bench/RESULTS.md records the numbers we keep.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import gzip
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench import servers, uploads, wrk

OUT_DIR = Path(__file__).resolve().parent / "out"
STORE_PATH = "/@demo"
# The switch the store engineer's rendered-page cache honours: 0 renders every request (the uncached path).
PAGE_CACHE_OFF = {"WINDSURF_PAGE_CACHE": "0"}


@dataclasses.dataclass(frozen=True)
class Load:
    """How hard and how long wrk drives a server."""

    duration_s: int = 10
    warmup_s: int = 2
    connections: int = 32
    threads: int = 1  # one wrk thread on the core the server does not use

    def drive(self, url: str) -> wrk.WrkResult:
        return wrk.run(
            url,
            duration_s=self.duration_s,
            warmup_s=self.warmup_s,
            connections=self.connections,
            threads=self.threads,
        )


@dataclasses.dataclass(frozen=True)
class Probe:
    """One plain request before the load: the benchmark must measure the real page, not an error page."""

    status: int
    content_encoding: str
    body_bytes: int
    wire_bytes: int

    @property
    def compressed(self) -> bool:
        return self.content_encoding in {"gzip", "br", "zstd", "deflate"}


def probe(url: str) -> Probe:
    with (
        httpx.Client(timeout=5.0) as client,
        client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response,
    ):
        wire = b"".join(response.iter_raw())
        encoding = response.headers.get("content-encoding", "")
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}; refusing to benchmark an error")
    body = gzip.decompress(wire) if encoding == "gzip" else wire
    return Probe(response.status_code, encoding, len(body), len(wire))


def fetch_page(url: str) -> bytes:
    """The page as the app renders it, uncompressed, to hand to nginx (which keeps a compressed copy made once)."""
    response = httpx.get(url, headers={"Accept-Encoding": "identity"}, timeout=5.0)
    response.raise_for_status()
    return response.content


def checked(result: wrk.WrkResult, label: str) -> wrk.WrkResult:
    """A run with errors measured something else (rate limits, 404s, resets): say so loudly and stop."""
    if result.non_2xx_3xx or result.socket_errors:
        raise RuntimeError(
            f"{label}: {result.non_2xx_3xx} non-2xx/3xx responses and {result.socket_errors} socket errors; "
            f"the numbers would not describe the page. Command: {result.command}"
        )
    return result


def report_line(label: str, result: wrk.WrkResult, page: Probe) -> str:
    encoding = page.content_encoding or "none"
    return (
        f"{label:<16} rps={result.requests_per_second:>9.1f}"
        f" p50_ms={result.p50_ms:.2f} p99_ms={result.p99_ms:.2f}"
        f" body_bytes={page.body_bytes} wire_body_bytes={page.wire_bytes} content_encoding={encoding}"
    )


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def save(name: str, payload: dict[str, Any]) -> Path:
    OUT_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def page_cache_setting_exists() -> bool:
    from windsurf.settings import Settings

    return "page_cache" in {f.name for f in dataclasses.fields(Settings)}


# --- the benchmarks -----------------------------------------------------------------------------------------


def bench_login(load: Load, workers: int) -> int:
    before = machine()  # the load average before our own servers add to it
    results: dict[str, Any] = {}
    with servers.production_deployment() as deployment, deployment.serve(workers=workers) as base_url:
        for label, path in (("login", "/login"), ("health_live", "/health/live")):
            page = probe(base_url + path)
            result = checked(load.drive(base_url + path), label)
            print(report_line(f"{label} {path}", result, page), flush=True)
            results[label] = {"path": path, "probe": dataclasses.asdict(page), "wrk": result.as_dict()}
        setup = deployment.commands
    saved = save(
        "login",
        {
            "machine": before,
            "workers": workers,
            "load": dataclasses.asdict(load),
            "setup": setup,
            "results": results,
        },
    )
    print(f"saved {saved}")
    return 0


def bench_store(load: Load, workers: int) -> int:
    before = machine()  # the load average before our own servers add to it
    results: dict[str, Any] = {}
    notes: list[str] = []
    with servers.production_deployment() as deployment:
        with deployment.serve(workers=workers) as base_url:
            url = base_url + STORE_PATH
            page_bytes = fetch_page(url)
            app_page = probe(url)
            cached = checked(load.drive(url), "app cached")
            print(report_line("app cached", cached, app_page), flush=True)
        with deployment.serve(workers=workers, extra_env=PAGE_CACHE_OFF) as base_url:
            url = base_url + STORE_PATH
            uncached = checked(load.drive(url), "app uncached")
            print(report_line("app uncached", uncached, probe(url)), flush=True)
        setup = deployment.commands
    with servers.nginx_serving(page_bytes) as base_url:
        url = base_url + STORE_PATH
        nginx_page = probe(url)
        nginx = checked(load.drive(url), "nginx")
        print(report_line("nginx same page", nginx, nginx_page), flush=True)

    if not page_cache_setting_exists():
        notes.append(
            "the app has no page_cache setting yet: WINDSURF_PAGE_CACHE=0 changes nothing, "
            "so cached and uncached measured the same code"
        )
    if not app_page.compressed:
        notes.append("the app does not compress: it answered Accept-Encoding: gzip with an uncompressed body")
    for note in notes:
        print(f"note: {note}")
    ratio = cached.requests_per_second / nginx.requests_per_second
    for label, result, page in (
        ("cached", cached, app_page),
        ("uncached", uncached, app_page),
        ("nginx", nginx, nginx_page),
    ):
        results[label] = {"probe": dataclasses.asdict(page), "wrk": result.as_dict()}
    path = save(
        "store",
        {
            "machine": before,
            "workers": workers,
            "load": dataclasses.asdict(load),
            "setup": setup,
            "page_bytes": len(page_bytes),
            "notes": notes,
            "ratio": ratio,
            "results": results,
        },
    )
    print(f"saved {path}")
    print(
        f"store-page cached_rps={cached.requests_per_second:.0f}"
        f" uncached_rps={uncached.requests_per_second:.0f} nginx_rps={nginx.requests_per_second:.0f}"
        f" ratio={ratio:.3f} p99_ms={cached.p99_ms:.2f}"
    )
    return 0


def bench_uploads(load: Load, workers: int) -> int:
    before = machine()
    payload = uploads.bench_uploads(load, workers)
    path = save(
        "uploads", {"machine": before, "workers": workers, "load": dataclasses.asdict(load), **payload}
    )
    print(f"saved {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", choices=["login", "store", "uploads"])
    parser.add_argument("--duration", type=int, default=Load.duration_s, help="measured seconds per target")
    parser.add_argument(
        "--warmup", type=int, default=Load.warmup_s, help="unmeasured seconds before each run"
    )
    parser.add_argument("--connections", type=int, default=Load.connections)
    parser.add_argument("--threads", type=int, default=Load.threads, help="wrk threads")
    parser.add_argument("--workers", type=int, default=servers.PRODUCTION_WORKERS, help="granian workers")
    args = parser.parse_args(argv)
    busy = os.getloadavg()[0]
    if busy > 0.5:
        # Other processes on these cores take CPU time from the server and from wrk alike.
        print(f"note: load average {busy:.2f} before the run: the numbers are lower than on an idle machine")
    load = Load(
        duration_s=args.duration, warmup_s=args.warmup, connections=args.connections, threads=args.threads
    )
    print(
        f"# {args.benchmark}: {args.workers} server worker(s); wrk -t{load.threads} -c{load.connections} "
        f"-d{load.duration_s}s after {load.warmup_s}s warm-up; {os.cpu_count()} cores",
        flush=True,
    )
    if args.benchmark == "login":
        return bench_login(load, args.workers)
    if args.benchmark == "uploads":
        return bench_uploads(load, args.workers)
    return bench_store(load, args.workers)


if __name__ == "__main__":
    sys.exit(main())

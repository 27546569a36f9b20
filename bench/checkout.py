"""The checkout benchmark: ``python -m bench.checkout [--orders N] [--concurrency C]`` (``make bench-checkout``).

N buyers, C at a time, each through the whole money path against the app as in production (bench/servers.py:
PostgreSQL through the RLS-bound role, Redis, ``windsurf serve`` on granian, a separate ``windsurf worker``):

1. the checkout page (its one-time submission key and CSRF token), then the form posted, which starts the
   payment at the sandbox gateway (the app calls its own gateway over loopback, as it would call Chapa);
2. the buyer pays: the gateway's decision API (what the hosted page's Pay button does), notifications dropped;
3. the provider's notification, signed with the gateway's key, posted to /webhooks/sandbox twice (a duplicate
   injected for every order, as providers resend);
4. the worker delivers: grants' links by email to an SMTP sink on loopback, the creators' sale notices.

Latency is one buyer's steps 1-3 (what the buyer waits for). At the end the database is audited, not the
client's view: ``lost`` buyers who paid at the gateway whose order is not paid, ``double_paid`` orders with more
than one ledger sale or grant, ``undelivered`` paid orders whose links job did not finish. Buyers come from
distinct addresses (X-Forwarded-For behind the load balancer) with distinct emails, so the checkout rate limits
(per address and per contact) hold them as they would real buyers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import math
import os
import re
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiosmtpd.controller import Controller

from bench import servers

DRAIN_TIMEOUT_S = 300.0
FAILURES: list[str] = []  # why buyers could not pay (the first few are printed)
STEPS = ("page", "place", "pay", "notify")  # the buyer's steps 1-3 (step 1 split into its page and its post)
STEP_MS: dict[str, list[float]] = {step: [] for step in STEPS}  # where a buyer's time goes, per step


@dataclass(frozen=True)
class Audit:
    paid_at_gateway: int
    paid_orders: int
    lost: int
    double_paid: int
    undelivered: int


def summary_line(orders: int, seconds: float, latencies_ms: Sequence[float], audit: Audit) -> str:
    """The run's last line, in the form the issue fixes."""
    return (
        f"checkout orders={orders} orders_per_s={orders / seconds if seconds > 0 else 0:.0f}"
        f" p99_ms={percentile(latencies_ms, 99):.0f} lost={audit.lost} double_paid={audit.double_paid}"
        f" undelivered={audit.undelivered}"
    )


def step_line() -> str:
    """Per-step p50/p99 of the buyers' steps: where their waiting goes."""
    return " ".join(
        f"{name}_p50_ms={percentile(STEP_MS[name], 50):.0f} {name}_p99_ms={percentile(STEP_MS[name], 99):.0f}"
        for name in STEPS
    )


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process and its descendants (granian's worker is a child of ``windsurf serve``)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grown = {root}, True
    while grown:
        grown = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grown = True
    return sum(times.get(pid, 0.0) for pid in tree)


async def transactions(owner_url: str) -> int:
    """Transactions committed in the bench database so far (PostgreSQL's own counter)."""
    connection = await asyncpg.connect(owner_url)
    try:
        return int(
            await connection.fetchval(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            )
        )
    finally:
        await connection.close()


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))  # nearest rank
    return ordered[index]


class Sink:
    """An SMTP server that accepts everything and counts it."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += len(envelope.rcpt_tos)
        return "250 OK"


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    port = servers.free_port()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    if not match:
        raise RuntimeError(f"no {name} on the checkout page")
    return match.group(1)


async def one_buyer(
    base_url: str, handle: str, slug: str, n: int, secret: str, run: str, transport: httpx.AsyncHTTPTransport
) -> tuple[float, str | None]:
    """One buyer's purchase; (latency ms, the gateway reference they paid, or None if they could not pay)."""
    address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    headers = {"X-Forwarded-For": address}
    started = time.perf_counter()
    lap = started

    def step(name: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        STEP_MS[name].append((now - lap) * 1000)
        lap = now

    # A client per buyer (its own cookies) over one shared connection pool: a client of its own would build a
    # TLS context (CA bundle parsed) per buyer, CPU the benchmark took from the server on these two cores.
    client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30.0, transport=transport)
    page = await client.get(f"/checkout/{handle}/{slug}")
    step("page")
    page.raise_for_status()
    form = {
        "name": "Bench Buyer",
        "email": f"bench-{run}-{n}@example.com",
        "phone": "",
        "method": "telebirr",
        "discount_code": "",
        "amount": "",
        "submission_key": _hidden(page.text, "submission_key"),
        "_csrf_token": _hidden(page.text, "_csrf_token"),
    }
    # Production's cookies are Secure (behind the TLS edge); this loopback is plain HTTP, so send them as the
    # browser would over HTTPS.
    jar = "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)
    placed = await client.post(f"/checkout/{handle}/{slug}", data=form, headers={"Cookie": jar})
    location = placed.headers.get("location", "")
    found = re.search(r"/sandbox-pay/pay/([A-Za-z0-9_-]+)", location)
    if found is None and location:
        order_page = await client.get(location)
        found = re.search(r"/sandbox-pay/pay/([A-Za-z0-9_-]+)", order_page.text)
    if found is None:
        FAILURES.append(f"{placed.status_code} {location} {placed.text[:300]!r}")
        return (time.perf_counter() - started) * 1000, None
    step("place")
    reference = found.group(1)
    auth = {"Authorization": f"Bearer {secret}"}
    decided = await client.post(
        f"/sandbox-pay/api/payments/{reference}/decision",
        json={"action": "pay", "notify": "drop"},
        headers=auth,
    )
    decided.raise_for_status()
    step("pay")
    payment = decided.json()
    body = json.dumps(
        {
            "event": "payment.updated",
            "notification_id": str(uuid.uuid4()),
            "reference": reference,
            "status": payment["status"],
            "amount": payment["amount"],
            "currency": payment["currency"],
        },
        separators=(",", ":"),
    ).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    signed = {"X-Sandbox-Signature": signature, "Content-Type": "application/json"}
    for _ in range(2):  # the provider's resend: a duplicate for every order
        answer = await client.post("/webhooks/sandbox", content=body, headers=signed)
        if answer.status_code != 200:
            raise RuntimeError(f"webhook answered {answer.status_code}: {answer.text[:200]}")
    step("notify")
    return (time.perf_counter() - started) * 1000, reference


async def drive(
    base_url: str, handle: str, slug: str, orders: int, concurrency: int, secret: str, run: str
) -> tuple[float, list[float], list[str]]:
    semaphore = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    paid: list[str] = []

    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=concurrency * 2))

    async def buyer(n: int) -> None:
        async with semaphore:
            latency, reference = await one_buyer(base_url, handle, slug, n, secret, run, transport)
            latencies.append(latency)
            if reference:
                paid.append(reference)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(buyer(n) for n in range(orders)))
    finally:
        await transport.aclose()
    return time.perf_counter() - started, latencies, paid


async def product_to_sell(owner_url: str) -> tuple[str, str]:
    connection = await asyncpg.connect(owner_url)
    try:
        row = await connection.fetchrow(
            "SELECT c.handle, p.slug FROM product p JOIN creator c ON c.id = p.creator_id "
            "WHERE c.handle = 'demo' AND p.kind = 'download' AND p.visibility = 'published' "
            "AND p.price_santim > 0 AND p.sales_limit IS NULL AND p.pwyw_min_santim IS NULL "
            "ORDER BY p.position LIMIT 1"
        )
    finally:
        await connection.close()
    if row is None:
        raise RuntimeError("the demo store has no paid download without a sales limit")
    return row["handle"], row["slug"]


async def wait_for_jobs(owner_url: str) -> int:
    """Until no job is due or running (delayed ones, such as order expiry, are not the money path)."""
    connection = await asyncpg.connect(owner_url)
    try:
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while True:
            left = await connection.fetchval(
                "SELECT count(*) FROM job WHERE status = 'running' OR (status = 'pending' AND run_at <= now())"
            )
            if left == 0 or time.monotonic() > deadline:
                return int(left)
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


async def audit(owner_url: str, run: str, paid_references: Sequence[str]) -> Audit:
    """Counted from the database as the table owner (no row-level security in the way)."""
    connection = await asyncpg.connect(owner_url)
    try:
        like = f"bench-{run}-%"
        paid_at_gateway = await connection.fetchval(
            "SELECT count(*) FROM sandbox_payment WHERE reference = ANY($1::text[]) AND status = 'paid'",
            list(paid_references),
        )
        paid_orders = await connection.fetchval(
            "SELECT count(*) FROM checkout_order WHERE buyer_email LIKE $1 AND status = 'paid'", like
        )
        # Paid at the gateway, but the order the payment belongs to is not paid.
        lost = await connection.fetchval(
            "SELECT count(*) FROM sandbox_payment s JOIN payment_attempt a ON a.reference = s.reference "
            "JOIN checkout_order o ON o.id = a.order_id "
            "WHERE s.reference = ANY($1::text[]) AND s.status = 'paid' AND o.status <> 'paid'",
            list(paid_references),
        )
        lost += paid_at_gateway - await connection.fetchval(
            "SELECT count(*) FROM sandbox_payment s JOIN payment_attempt a ON a.reference = s.reference "
            "WHERE s.reference = ANY($1::text[]) AND s.status = 'paid'",
            list(paid_references),
        )
        double_paid = await connection.fetchval(
            "SELECT count(*) FROM checkout_order o WHERE o.buyer_email LIKE $1 AND ("
            " (SELECT count(*) FROM ledger_transaction t WHERE t.creator_id = o.creator_id"
            "  AND t.kind = 'sale' AND t.reference = o.number) > 1"
            " OR (SELECT count(*) FROM delivery_grant g WHERE g.order_id = o.id) > 1"
            " OR (SELECT count(*) FROM payment_attempt a WHERE a.order_id = o.id AND a.status = 'paid') > 1)",
            like,
        )
        undelivered = await connection.fetchval(
            "SELECT count(*) FROM checkout_order o WHERE o.buyer_email LIKE $1 AND o.status = 'paid' AND NOT EXISTS ("
            " SELECT 1 FROM delivery_grant g JOIN job j ON j.name = 'delivery.send_links'"
            " AND j.payload->>'grant_id' = g.id::text AND j.status = 'done' WHERE g.order_id = o.id)",
            like,
        )
    finally:
        await connection.close()
    return Audit(int(paid_at_gateway), int(paid_orders), int(lost), int(double_paid), int(undelivered))


@contextlib.contextmanager
def worker(deployment: servers.ProductionDeployment, environ: dict[str, str]) -> Iterator[None]:
    log = deployment.workdir / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own console script
            [*servers.windsurf_command(), "worker"],
            env={**deployment.environ, **environ},
            cwd=deployment.workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield
        finally:
            servers.stop(process)


def bench_checkout(orders: int, concurrency: int) -> int:
    run = uuid.uuid4().hex[:8]
    with servers.production_deployment() as deployment, smtp_sink() as (sink, smtp_port):
        port = servers.free_port()
        secret = uuid.uuid4().hex + uuid.uuid4().hex
        environ = {
            # The app reaches its own sandbox gateway on loopback (the public URL is the edge's https name).
            "WINDSURF_SANDBOX_URL": f"http://127.0.0.1:{port}/sandbox-pay",
            "WINDSURF_SANDBOX_SECRET": secret,
            "WINDSURF_SANDBOX_NOTIFY": "drop",  # the benchmark posts the notifications, duplicates included
            "WINDSURF_TRUST_FORWARDED_FOR": "true",  # behind the load balancer: one address per buyer
            "WINDSURF_SMTP_HOST": "127.0.0.1",
            "WINDSURF_SMTP_PORT": str(smtp_port),
        }
        owner_url = deployment.environ["WINDSURF_MIGRATION_DATABASE_URL"]
        handle, slug = asyncio.run(product_to_sell(owner_url))
        with serve_on(deployment, port, environ) as (base_url, server_pid), worker(deployment, environ):
            cpu_before, commits_before = cpu_seconds(server_pid), asyncio.run(transactions(owner_url))
            seconds, latencies, paid = asyncio.run(
                drive(base_url, handle, slug, orders, concurrency, secret, run)
            )
            # What one order costs the web worker and the database, whatever else loads the machine.
            server_cpu_ms = (cpu_seconds(server_pid) - cpu_before) * 1000 / max(orders, 1)
            commits = (asyncio.run(transactions(owner_url)) - commits_before) / max(orders, 1)
            left = asyncio.run(wait_for_jobs(owner_url))
        result = asyncio.run(audit(owner_url, run, paid))
    print(
        f"buyers={orders} concurrency={concurrency} paid_at_gateway={result.paid_at_gateway}"
        f" paid_orders={result.paid_orders} jobs_left={left} emails={sink.received}"
        f" p50_ms={statistics.median(latencies) if latencies else 0:.0f} seconds={seconds:.1f}",
        flush=True,
    )
    print(step_line(), flush=True)
    print(
        f"server_cpu_ms_per_order={server_cpu_ms:.0f} db_transactions_per_order={commits:.1f}"
        " (both counted while buyers ran; the worker's deliveries overlap them)",
        flush=True,
    )
    for failure in FAILURES[:3]:
        print(f"buyer could not pay: {failure}", flush=True)
    print(summary_line(result.paid_orders, seconds, latencies, result))
    clean = (result.lost, result.double_paid, result.undelivered) == (0, 0, 0)
    return 0 if clean and result.paid_orders == orders else 1


@contextlib.contextmanager
def serve_on(
    deployment: servers.ProductionDeployment, port: int, environ: dict[str, str]
) -> Iterator[tuple[str, int]]:
    """``windsurf serve`` on ``port`` (chosen before start: the sandbox URL names it)."""
    log = deployment.workdir / f"serve-{port}.log"
    command = [
        *servers.windsurf_command(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own console script
            command,
            env={**deployment.environ, **environ},
            cwd=deployment.workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            servers.wait_until_ready(f"{base_url}/health/ready", process, log)
            yield base_url, process.pid
        finally:
            servers.stop(process)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkout", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="buyers in the run (default 200)")
    parser.add_argument("--concurrency", type=int, default=32, help="buyers at once (default 32)")
    args = parser.parse_args(argv)
    return bench_checkout(args.orders, args.concurrency)


if __name__ == "__main__":
    raise SystemExit(main())

"""A `windsurf worker` killed (SIGKILL) in the middle of a paid order's delivery, then restarted: nothing lost,
nothing doubled.

The order is paid in this process (its jobs are written to the outbox with the paid transition). A real worker
process runs them against the same PostgreSQL database and sends email through an SMTP server on loopback
(aiosmtpd) that holds the first message before accepting it, so the worker is killed while a job is running:
its transaction open, the buyer's links not yet sent. Once the dead worker's lease has run out, a new worker
takes the job again and every job finishes: one grant, one ledger transaction, one buyer message, one creator
notice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar

from windsurf.catalog import service as catalog
from windsurf.checkout import service as checkout
from windsurf.core import storage
from windsurf.core.tables import Job
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.delivery.tables import Grant
from windsurf.identity import inputs as identity_inputs
from windsurf.identity import service as identity
from windsurf.ledger.tables import LedgerTransaction
from windsurf.payments import service as payments
from windsurf.payments.providers.base import PaymentState, PaymentStatus
from windsurf.settings import Settings

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
ROOT = Path(__file__).resolve().parents[3]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class HoldingInbox:
    """An SMTP server that holds the first message at RCPT (before anything is handed over) until told."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, bytes]] = []
        self.holding = threading.Event()
        self.hold_first = True

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.hold_first:
            self.hold_first = False
            self.holding.set()
            await asyncio.sleep(60)  # the worker is killed meanwhile; this session never reaches DATA
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for to in envelope.rcpt_tos:
            self.delivered.append((to, envelope.content))
        return "250 OK"

    def to(self, address: str, subject: bytes = b"") -> int:
        return sum(1 for to, content in self.delivered if to == address and subject in content)


@pytest.fixture
def smtp() -> Iterator[tuple[HoldingInbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = HoldingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def start_worker(settings: Settings, smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
        "WINDSURF_DATABASE_URL": settings.effective_database_url,
        "WINDSURF_MIGRATION_DATABASE_URL": settings.effective_migration_database_url,
        "WINDSURF_SECRET_KEY": settings.secret_key,
        "WINDSURF_VAR_DIR": str(settings.var_dir),
        "WINDSURF_PUBLIC_URL": settings.public_url,
        "WINDSURF_EMAIL_BACKEND": "smtp",
        "WINDSURF_SMTP_HOST": "127.0.0.1",
        "WINDSURF_SMTP_PORT": str(smtp_port),
        "WINDSURF_LOG_LEVEL": "WARNING",
        "WINDSURF_LOG_JSON": "false",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "windsurf.cli", "worker"], cwd=ROOT, env=environ, stdout=out, stderr=out
        )


async def paid_order(settings: Settings) -> tuple[uuid.UUID, checkout.OrderView, str]:
    """A creator with an account (for the sale notice), a download, and an order paid in this process."""
    handle = f"crash{uuid.uuid4().hex[:8]}"
    creator_email = f"{handle}@example.com"
    async with unit_of_work() as uow:
        typed = identity_inputs.email_sign_up_form(
            display_name="Hana Tesfaye",
            handle=handle,
            email=creator_email,
            password="a long enough password 2026",
        )
        account = await identity.sign_up_with_email(uow, typed, locale="en")
    async with tenant_for(account.id) as tenant:
        product = await catalog.create_product(
            tenant,
            catalog.NewProduct("download", "Injera at home", catalog.ProductChanges(price_santim=25000)),
        )
        await catalog.add_file(
            tenant, product.id, storage.build_storage(settings), PDF, "guide.pdf", max_bytes=10_000_000
        )
        offer = checkout.Offer(product.id, account.id, product.title, product.price_santim)
        order = await checkout.place_order(
            tenant,
            offer,
            checkout.CheckoutRequest(
                submission_key=uuid.uuid4().hex,
                buyer_name="Abebe Kebede",
                email=f"abebe.{uuid.uuid4().hex[:6]}@example.com",
                phone=None,
                method="telebirr",
                locale="en",
            ),
        )
        reference = payments.new_reference(account.id)
        attempt = payments.Attempt(
            uuid.uuid4(), account.id, order.id, "sandbox", reference, reference, "", "",
            order.amount_santim, order.currency, "started", "", dt.datetime.now(dt.UTC),
        )  # fmt: skip
        state = PaymentState("sandbox", reference, PaymentStatus.PAID, order.amount_santim, order.currency)
        outcome = await payments.settle(tenant, attempt, state, settings=settings)
        assert outcome.paid_now
    return account.id, order, creator_email


async def unfinished(creator_id: uuid.UUID) -> list[dict[str, Any]]:
    """The creator's jobs that are due or running (the order's expiry job waits 30 minutes, and is moot)."""
    rows = await Job.select(Job.name, Job.status, Job.payload, Job.attempts).where(
        (Job.status == "running")
        | ((Job.status.is_in(["pending", "dead"])) & (Job.run_at <= dt.datetime.now(dt.UTC)))
    )
    return [row for row in rows if str(creator_id) in str(row["payload"])]


async def wait_for(check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("timed out")


async def test_a_worker_killed_mid_delivery_loses_and_doubles_nothing(
    app: Litestar, settings: Settings, smtp: tuple[HoldingInbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp
    settings = dataclasses.replace(settings, public_url="https://windsurf.example")
    creator_id, order, creator_email = await paid_order(settings)
    log = tmp_path / "worker.log"

    first = start_worker(settings, port, log)
    try:
        held = await asyncio.to_thread(inbox.holding.wait, 60)
        assert held, log.read_text()
        running = [row for row in await unfinished(creator_id) if row["status"] == "running"]
        assert len(running) == 1, running  # the worker is inside a job, its transaction open
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert inbox.delivered == []  # killed before any message was handed over

    # The dead worker's lease runs out (five minutes in production; moved here rather than waited for).
    await Job.update({Job.locked_until: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}).where(
        Job.status == "running"
    )
    second = start_worker(settings, port, log)
    try:

        async def all_done() -> bool:
            return not await unfinished(creator_id)

        await wait_for(all_done, 90)
        # Give a (wrong) second run the time it would need to send again.
        await asyncio.sleep(1.5)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(10)
        except subprocess.TimeoutExpired:
            second.kill()

    assert inbox.to(str(order.email)) == 1, log.read_text()  # the buyer's links, once
    # The creator's sale notice, once (their address also had the sign-up's verification link).
    assert inbox.to(creator_email, b"Subject: New sale") == 1
    async with tenant_for(creator_id) as tenant, tenant.scope():
        grants = await Grant.count().where(Grant.order_id == order.id)
        sales = await LedgerTransaction.count().where(LedgerTransaction.kind == "sale")
        status = (await checkout.get_order(tenant, order.id)).status
    assert (grants, sales, status) == (1, 1, "paid")
    jobs_of_order = [
        row
        for row in await Job.select(Job.name, Job.attempts, Job.payload)
        if str(creator_id) in str(row["payload"])
    ]
    assert any(row["attempts"] > 1 for row in jobs_of_order)  # the killed job was taken again, and finished

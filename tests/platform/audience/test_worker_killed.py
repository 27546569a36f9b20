"""A worker killed mid-broadcast (SIGKILL, while the SMTP server holds a message it has not yet accepted), then
restarted: every contact receives the broadcast exactly once: no duplicates, none lost.

The worker is the real ``windsurf worker`` in a subprocess, with the outbox's lease shortened to two seconds so
that the restarted worker takes over the dead one's job and claim without waiting five minutes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from tests.platform.audience.smtp_inbox import smtp_inbox
from tests.platform.audience.test_broadcasts import DRAFT, _contact, _states
from windsurf.audience import broadcasts
from windsurf.core.uow import tenant_for
from windsurf.settings import Settings

WORKER = (
    "import datetime as dt, sys\n"
    "from windsurf.core import jobs\n"
    "jobs.LEASE = dt.timedelta(seconds=2)\n"
    "from windsurf.cli import main\n"
    "sys.exit(main(['worker']))\n"
)
RECIPIENTS = 12
KILL_AT = 5  # the fifth message is being sent when the worker dies


def _start_worker(settings: Settings, smtp_port: int, var_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WINDSURF_ENV": "test",
        "WINDSURF_SECRET_KEY": settings.secret_key,
        "WINDSURF_PUBLIC_URL": settings.public_url,
        "WINDSURF_DATABASE_URL": settings.database_url,
        "WINDSURF_MIGRATION_DATABASE_URL": settings.migration_database_url,
        "WINDSURF_EMAIL_BACKEND": "smtp",
        "WINDSURF_SMTP_HOST": "127.0.0.1",
        "WINDSURF_SMTP_PORT": str(smtp_port),
        "WINDSURF_EMAIL_FROM": "Hana's shop <news@windsurf.et>",
        "WINDSURF_SMS_BACKEND": "recording",
        "WINDSURF_BROADCAST_EMAIL_PER_SECOND": "20",
        "WINDSURF_VAR_DIR": str(var_dir),
        "WINDSURF_LOG_LEVEL": "ERROR",
        "WINDSURF_REDIS_URL": "",
    }
    return subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.DEVNULL)


async def _until(condition: Any, seconds: float = 60.0) -> None:
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, "timed out"
        await asyncio.sleep(0.1)


async def test_a_worker_killed_mid_broadcast_sends_no_duplicates_and_loses_none(
    settings: Settings, tmp_path: Path
) -> None:
    creator = uuid.uuid4()
    addresses = [f"reader{i:02d}@example.com" for i in range(RECIPIENTS)]
    for address in addresses:
        await _contact(creator, address)
    async with tenant_for(creator) as tenant:
        draft = await broadcasts.create_broadcast(tenant, DRAFT)
        assert await broadcasts.start_broadcast(tenant, draft.id) == RECIPIENTS

    with smtp_inbox() as (inbox, port):
        killed = threading.Event()
        worker: dict[str, subprocess.Popen[bytes]] = {}

        def kill_on_the_fifth(message: Any) -> str | None:
            if len(inbox.accepted) == KILL_AT - 1 and not killed.is_set():
                os.kill(worker["process"].pid, signal.SIGKILL)
                worker["process"].wait()
                killed.set()
                return "421 4.3.2 Shutting down"  # never heard: the client is gone, the message not accepted
            return None

        inbox.before_accept = kill_on_the_fifth
        inbox.only_to = set(addresses)
        worker["process"] = _start_worker(settings, port, tmp_path)
        try:
            await _until(killed.is_set)
            states = await _states(creator, draft.id)
            assert sorted(states.values()).count("sent") == KILL_AT - 1
            assert list(states.values()).count("sending") == 1  # claimed by the dead worker, not recorded
            assert len(inbox.accepted) == KILL_AT - 1

            worker["process"] = _start_worker(settings, port, tmp_path)
            await _until(lambda: len(inbox.accepted) >= RECIPIENTS)
            await _until_sent(creator, draft.id)
            await asyncio.sleep(3)  # long past another lease: anything sent twice would have arrived by now
        finally:
            process = worker["process"]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

        recipients = inbox.recipients()
        assert sorted(recipients) == addresses  # each exactly once
        assert len({str(message["Message-ID"]) for message in inbox.accepted}) == RECIPIENTS
    assert set((await _states(creator, draft.id)).values()) == {"sent"}
    async with tenant_for(creator) as tenant:
        assert (await broadcasts.get_broadcast(tenant, draft.id)).status == "sent"


async def _until_sent(creator: uuid.UUID, broadcast_id: uuid.UUID, seconds: float = 30.0) -> None:
    ends = time.monotonic() + seconds
    while True:
        async with tenant_for(creator) as tenant:  # a short unit each time: the worker writes meanwhile
            if (await broadcasts.get_broadcast(tenant, broadcast_id)).status == "sent":
                return
        assert time.monotonic() < ends, "the broadcast never finished"
        await asyncio.sleep(0.2)

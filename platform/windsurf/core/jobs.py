"""Background jobs through the outbox table: at least once, retried with backoff, idempotent handlers.

``enqueue`` writes a row inside the caller's transaction, so the job exists exactly when the change that
caused it was committed. ``run_due_jobs`` claims due rows one at a time (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so many workers never take the same job), runs the handler, and records the outcome; a job that
keeps failing ends as ``dead`` with its last error, visible to staff, instead of vanishing. Done jobs are
pruned by the worker loop once they are a week old, so the table (and the claim query's index) stays small.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from babel.support import Translations
from piccolo.querystring import QueryString

from windsurf.core import db
from windsurf.core.messaging import EmailBackend, SmsBackend
from windsurf.core.tables import Job
from windsurf.core.uow import UnitOfWork, unit_of_work
from windsurf.settings import Settings

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)
DONE_KEPT = dt.timedelta(days=7)  # done jobs older than this are deleted; dead ones stay for staff
PRUNE_EVERY = dt.timedelta(hours=1)
_log = logging.getLogger("windsurf.jobs")


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    sms: SmsBackend
    email: EmailBackend
    translations: Callable[[str], Translations]


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
_handlers: dict[str, Handler] = {}


def job(name: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` under ``name``; the handler must be safe to run more than once."""

    def register(handler: Handler) -> Handler:
        _handlers[name] = handler
        return handler

    return register


async def enqueue(
    uow: UnitOfWork, name: str, payload: dict[str, Any], *, delay: dt.timedelta = dt.timedelta()
) -> uuid.UUID:
    """Write the job in ``uow``'s transaction: it exists exactly when the change that caused it is committed."""
    if name not in _handlers:
        raise KeyError(f"no job handler named {name!r}")
    job_id = uuid.uuid4()
    async with uow.scope():
        await Job.insert(Job(id=job_id, name=name, payload=payload, run_at=_now() + delay))
    return job_id


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(5 * 2**attempts, 3600))


async def run_due_jobs(context: JobContext, *, limit: int = 100) -> int:
    """Run up to ``limit`` due jobs; returns how many ran (succeeded or failed)."""
    ran = 0
    while ran < limit:
        claimed = await _claim_one()
        if claimed is None:
            break
        await _run(context, claimed)
        ran += 1
    return ran


async def _claim_one() -> dict[str, Any] | None:
    engine = db.bound_engine()
    now = _now()
    if db.is_postgres(engine):
        rows = await engine.run_querystring(
            QueryString(
                """
                UPDATE job SET status = 'running', attempts = attempts + 1, locked_until = {}
                WHERE id = (
                    SELECT id FROM job
                    WHERE (status = 'pending' AND run_at <= {}) OR (status = 'running' AND locked_until < {})
                    ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED
                )
                RETURNING id, name, payload, attempts
                """,
                now + LEASE,
                now,
                now,
            )
        )
        return dict(rows[0]) if rows else None
    # SQLite: pick a candidate, then take it with an update that only matches while nobody else has (the
    # attempts counter is its version); a lost race moves on to the next candidate.
    for _ in range(10):
        candidates = (
            await Job.select(Job.id, Job.name, Job.payload, Job.attempts)
            .where(
                ((Job.status == "pending") & (Job.run_at <= now))
                | ((Job.status == "running") & (Job.locked_until < now))
            )
            .order_by(Job.run_at)
            .limit(1)
        )
        if not candidates:
            return None
        row = candidates[0]
        taken = (
            await Job.update(
                {Job.status: "running", Job.attempts: row["attempts"] + 1, Job.locked_until: now + LEASE}
            )
            .where((Job.id == row["id"]) & (Job.attempts == row["attempts"]))
            .returning(Job.id)
        )
        if taken:
            row["attempts"] += 1
            return row
    return None


async def _run(context: JobContext, row: dict[str, Any]) -> None:
    payload = row["payload"]
    if isinstance(payload, str):  # SQLite hands JSON back as text
        payload = json.loads(payload)
    handler = _handlers.get(row["name"])
    try:
        if handler is None:
            raise LookupError(f"no handler registered for job {row['name']!r}")
        # One unit of work per job: what the handler's services write commits when it succeeds, and is
        # rolled back when it fails (and is retried).
        async with unit_of_work():
            await handler(context, payload)
    except Exception as exc:
        dead = row["attempts"] >= MAX_ATTEMPTS
        _log.warning(
            "job failed", extra={"job": row["name"], "job_id": str(row["id"]), "dead": dead}, exc_info=exc
        )
        await Job.update(
            {
                Job.status: "dead" if dead else "pending",
                Job.run_at: _now() + backoff(row["attempts"]),
                Job.locked_until: None,
                Job.last_error: f"{type(exc).__name__}: {exc}"[:2000],
            }
        ).where(Job.id == row["id"])
        return
    await Job.update({Job.status: "done", Job.locked_until: None}).where(Job.id == row["id"])


async def prune_finished(*, kept: dt.timedelta = DONE_KEPT) -> int:
    """Delete done jobs last run more than ``kept`` ago; returns how many. Dead jobs are never pruned.

    A done job's ``run_at`` is when its last (successful) attempt was due, so it ran at or just after that.
    """
    cutoff = _now() - kept
    deleted = await Job.delete().where((Job.status == "done") & (Job.run_at < cutoff)).returning(Job.id)
    return len(deleted)


async def work_forever(context: JobContext, *, idle_seconds: float = 1.0) -> None:
    """The worker loop (``windsurf worker`` and the embedded in-process worker); prunes done jobs hourly.

    Every worker prunes: the DELETE is idempotent, and one statement an hour per worker costs nothing.
    """
    next_prune = time.monotonic()
    last_run: dict[str, float] = {}
    while True:
        if time.monotonic() >= next_prune:
            next_prune = time.monotonic() + PRUNE_EVERY.total_seconds()
            try:
                await prune_finished()
            except Exception:
                _log.exception("job pruning error")
        try:
            ran = await run_due_jobs(context)
            await run_periodic_tasks(context, last_run)
        except Exception:
            _log.exception("job loop error")
            ran = 0
        if ran == 0:
            await asyncio.sleep(idle_seconds)


# --- periodic housekeeping --------------------------------------------------------------------------------

Periodic = Callable[[JobContext], Awaitable[object]]
_periodic: dict[str, tuple[float, Periodic]] = {}


def periodic(name: str, every_seconds: float) -> Callable[[Periodic], Periodic]:
    """Register a housekeeping task every worker runs about every ``every_seconds``; it must be idempotent
    (several workers may run it at once)."""

    def register(task: Periodic) -> Periodic:
        _periodic[name] = (every_seconds, task)
        return task

    return register


async def run_periodic_tasks(context: JobContext, last_run: dict[str, float]) -> list[str]:
    """Run the tasks that are due (by this process's clock); returns the names that ran."""
    ran = []
    now = time.monotonic()
    for name, (every, task) in list(_periodic.items()):
        if name in last_run and now - last_run[name] < every:
            continue
        last_run[name] = now
        try:
            await task(context)
        except Exception:
            _log.exception("periodic task failed", extra={"task": name})
        ran.append(name)
    return ran


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""Background jobs through the outbox table: at least once, retried with backoff, idempotent handlers.

``enqueue`` writes a row inside the caller's transaction, so the job exists exactly when the change that
caused it was committed. ``run_due_jobs`` claims due rows one at a time (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so many workers never take the same job), runs the handler, and records the outcome; a job that
keeps failing ends as ``dead`` with its last error, visible to staff, instead of vanishing. Done jobs are
pruned by the worker loop once they are a week old, so the table (and the claim query's index) stays small.

Fencing: a claim hands out a token, the job's ``attempts`` counter after the claim, which every later claim
raises. The write that finishes a job (done, or back to pending after a failure) only matches while the row is
still ``running`` with that token and an unexpired lease, so a worker that stalled past its lease can no longer
finish or reset a job another worker has taken since. The handler runs inside a unit of work that the completing
write joins: when the fence refuses, the handler's own database writes roll back with it, and the job's effect is
recorded once, by the worker that still held the lease.

A job that calls out over the network (a payment provider, a transfer API) is registered with
``job(name, own_units=True)``: it runs outside any unit of work and opens short ones around its database reads and
writes, so no transaction (and, on SQLite, no write lock) is held while a provider takes its time. Its writes
commit as they go, so such a handler must be idempotent in its effects (conditional updates, unique keys), not
merely in its result; the fenced completing write then runs in a unit of its own.
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
from windsurf.core.pagecache import PageCache
from windsurf.core.tables import Job
from windsurf.core.uow import TENANT_SETTING, UnitOfWork, unit_of_work
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
    page_cache: PageCache | None = None


class LeaseLost(RuntimeError):
    """The worker's lease on a job ran out and the job may belong to another worker: its result is discarded."""


@dataclass(frozen=True)
class Claim:
    """A job taken by one worker; ``attempts`` is the fencing token its completing write must present."""

    id: uuid.UUID
    name: str
    payload: dict[str, Any]
    attempts: int


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
_handlers: dict[str, Handler] = {}
_own_units: set[str] = set()  # handlers that open their own short units of work around network calls
# Jobs a lower layer enqueues and a higher one handles (a domain service asks for pages to be rendered; the
# storefront renders them): the name is known everywhere, the handler only where the higher layer is loaded.
_declared: set[str] = set()


def declare(name: str) -> str:
    """Make ``name`` a job that may be enqueued before (or without) its handler being imported here."""
    _declared.add(name)
    return name


def job(name: str, *, own_units: bool = False) -> Callable[[Handler], Handler]:
    """Register ``handler`` under ``name``; the handler must be safe to run more than once.

    ``own_units``: the handler calls out over the network and opens its own short units of work (see above).
    """

    def register(handler: Handler) -> Handler:
        _handlers[name] = handler
        if own_units:
            _own_units.add(name)
        else:
            _own_units.discard(name)
        return handler

    return register


async def enqueue(
    uow: UnitOfWork, name: str, payload: dict[str, Any], *, delay: dt.timedelta = dt.timedelta()
) -> uuid.UUID:
    """Write the job in ``uow``'s transaction: it exists exactly when the change that caused it is committed."""
    if name not in _handlers and name not in _declared:
        raise KeyError(f"no job handler named {name!r}")
    job_id = uuid.uuid4()
    async with uow.scope():
        await Job.insert(
            Job(id=job_id, creator_id=uow.creator_id, name=name, payload=payload, run_at=_now() + delay)
        )
    return job_id


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(5 * 2**attempts, 3600))


async def run_due_jobs(context: JobContext, *, limit: int = 100) -> int:
    """Run up to ``limit`` due jobs; returns how many ran (succeeded, failed, or lost their lease)."""
    ran = 0
    while ran < limit:
        claimed = await claim_one()
        if claimed is None:
            break
        await run_claimed(context, claimed)
        ran += 1
    return ran


async def claim_one() -> Claim | None:
    """Take the next due job (or one whose worker's lease ran out) and raise its fencing token."""
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
        return _claim(rows[0]) if rows else None
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
            return _claim(row)
    return None


def _claim(row: Any) -> Claim:
    payload = row["payload"]
    if isinstance(payload, str):  # SQLite hands JSON back as text
        payload = json.loads(payload)
    return Claim(id=row["id"], name=row["name"], payload=payload, attempts=row["attempts"])


def _fenced(claim: Claim) -> Any:
    """The rows a completing write may touch: still ours, by token, with the lease not yet run out."""
    return (
        (Job.id == claim.id)
        & (Job.status == "running")
        & (Job.attempts == claim.attempts)
        & (Job.locked_until > _now())
    )


async def run_claimed(context: JobContext, claim: Claim) -> None:
    """Run a claimed job's handler and record the outcome, both behind the fence."""
    handler = _handlers.get(claim.name)
    try:
        if handler is not None and claim.name in _own_units:
            # Outside any unit of work: the handler's own short units commit as it goes, and no transaction is
            # held across its provider calls. Only the completing write is fenced.
            await handler(context, claim.payload)
            async with unit_of_work() as uow:
                finished = await uow.run(
                    Job.update({Job.status: "done", Job.locked_until: None})
                    .where(_fenced(claim))
                    .returning(Job.id)
                )
            if not finished:
                raise LeaseLost(f"job {claim.id} is no longer leased to this worker")
            return
        # One unit of work per job: what the handler's services write commits with the fenced completion, and is
        # rolled back when the handler fails (and is retried) or the lease was lost.
        async with unit_of_work() as uow:
            if handler is None:
                raise LookupError(f"no handler registered for job {claim.name!r}")
            await handler(context, claim.payload)
            finished = await _complete_as_the_worker(uow, claim)
            if not finished:
                raise LeaseLost(f"job {claim.id} is no longer leased to this worker")
    except LeaseLost:
        _log.warning("job lease lost; result discarded", extra={"job": claim.name, "job_id": str(claim.id)})
        return
    except Exception as exc:
        await _record_failure(claim, exc)


async def _complete_as_the_worker(uow: UnitOfWork, claim: Claim) -> bool:
    """The fenced completing write, in the job's transaction but acting for nobody again, as the worker that
    claimed it: the handler may have acted for a creator in this unit, and a platform job is no creator's to see
    (row-level security on ``job`` shows a creator only their own)."""
    async with uow.scope():
        if db.is_postgres(uow.engine):
            await uow.engine.run_querystring(QueryString("SELECT set_config({}, '', true)", TENANT_SETTING))
        finished = (
            await Job.update({Job.status: "done", Job.locked_until: None})
            .where(_fenced(claim))
            .returning(Job.id)
        )
    return bool(finished)


async def _record_failure(claim: Claim, exc: Exception) -> None:
    dead = claim.attempts >= MAX_ATTEMPTS
    reset = (
        await Job.update(
            {
                Job.status: "dead" if dead else "pending",
                Job.run_at: _now() + backoff(claim.attempts),
                Job.locked_until: None,
                Job.last_error: f"{type(exc).__name__}: {exc}"[:2000],
            }
        )
        .where(_fenced(claim))
        .returning(Job.id)
    )
    _log.warning(
        "job failed",
        extra={"job": claim.name, "job_id": str(claim.id), "dead": dead, "recorded": bool(reset)},
        exc_info=exc,
    )


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


@dataclass(frozen=True)
class Backlog:
    """What the scraper reports about the outbox: jobs a worker could take now, how long the oldest has waited,
    and dead jobs (which only staff can clear)."""

    claimable: int
    oldest_age_seconds: float
    dead: int


def _claimable(now: dt.datetime) -> Any:
    # The claim query's own condition (claim_one): a job that waits here is a job no worker has taken.
    return ((Job.status == "pending") & (Job.run_at <= now)) | (
        (Job.status == "running") & (Job.locked_until < now)
    )


async def backlog() -> Backlog:
    now = _now()
    claimable = await Job.count().where(_claimable(now))
    oldest = await Job.select(Job.run_at).where(_claimable(now)).order_by(Job.run_at).limit(1)
    dead = await Job.count().where(Job.status == "dead")
    age = (now - _aware(oldest[0]["run_at"])).total_seconds() if oldest else 0.0
    return Backlog(claimable=claimable, oldest_age_seconds=max(age, 0.0), dead=dead)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite may hand back naive UTC


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

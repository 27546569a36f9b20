"""Outbox fencing: a worker whose lease ran out can neither finish nor reset a job; each job's effect lands once.

The effect these handlers record is deliberately not idempotent on its own (a fresh outbox row per run), so a
second recorded effect would show: only the fence, and the unit of work it shares with the handler, keep it at one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from typing import Any

from litestar import Litestar

from windsurf.core import jobs
from windsurf.core.tables import Job
from windsurf.core.uow import unit_of_work

EFFECT = "test.fencing_effect"
gates: dict[str, asyncio.Event] = {}
started: dict[str, asyncio.Event] = {}
runs: dict[str, int] = {}


@jobs.job(EFFECT)
async def effect(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    """The recorded effect itself never runs: these rows are only counted."""


@jobs.job("test.fencing_stall")
async def stall(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    """Stalls on its first run (until released or cancelled), then records one effect row per run."""
    key = payload["key"]
    runs[key] = runs.get(key, 0) + 1
    started.setdefault(key, asyncio.Event()).set()
    if runs[key] == 1 and key in gates:
        await gates[key].wait()
    async with unit_of_work() as uow:  # joins the job's own unit of work
        await jobs.enqueue(uow, EFFECT, {"key": key}, delay=dt.timedelta(days=365))


@jobs.job("test.fencing_fail")
async def fail(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    key = payload["key"]
    started.setdefault(key, asyncio.Event()).set()
    await gates[key].wait()
    raise RuntimeError("the provider said no")


async def _effects(key: str) -> int:
    rows = await Job.select(Job.payload).where(Job.name == EFFECT)
    return sum(1 for row in rows if key in str(row["payload"]))


async def _expire_lease(job_id: uuid.UUID) -> None:
    """What the passing of LEASE does to a stalled claim."""
    await Job.update({Job.locked_until: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}).where(
        Job.id == job_id
    )


async def _job(job_id: uuid.UUID) -> dict[str, Any]:
    row = await Job.select().where(Job.id == job_id).first()
    assert row is not None
    return row


async def _only(app: Litestar, name: str, key: str) -> uuid.UUID:
    await jobs.run_due_jobs(app.state.jobs)  # whatever earlier tests left
    async with unit_of_work() as uow:
        return await jobs.enqueue(uow, name, {"key": key})


async def test_a_stalled_worker_cannot_finish_a_job_another_worker_took(app: Litestar) -> None:
    key = uuid.uuid4().hex
    gates[key] = asyncio.Event()
    job_id = await _only(app, "test.fencing_stall", key)

    first = await jobs.claim_one()
    assert first is not None and first.id == job_id and first.attempts == 1
    stalled = asyncio.create_task(jobs.run_claimed(app.state.jobs, first))
    await started.setdefault(key, asyncio.Event()).wait()

    await _expire_lease(job_id)
    second = await jobs.claim_one()
    assert second is not None and second.id == job_id and second.attempts == 2
    await jobs.run_claimed(app.state.jobs, second)  # the gate is still shut, but only for the first run
    assert (await _job(job_id))["status"] == "done"
    assert await _effects(key) == 1

    gates[key].set()  # the stalled worker wakes up, records its effect and tries to finish the job
    await stalled
    row = await _job(job_id)
    assert row["status"] == "done" and row["attempts"] == 2
    assert await _effects(key) == 1  # its effect rolled back with the refused completion


async def test_a_worker_past_its_lease_cannot_finish_even_before_anyone_retakes_the_job(
    app: Litestar,
) -> None:
    key = uuid.uuid4().hex
    gates[key] = asyncio.Event()
    job_id = await _only(app, "test.fencing_stall", key)
    claim = await jobs.claim_one()
    assert claim is not None and claim.id == job_id
    task = asyncio.create_task(jobs.run_claimed(app.state.jobs, claim))
    await started.setdefault(key, asyncio.Event()).wait()
    await _expire_lease(job_id)
    gates[key].set()
    await task
    row = await _job(job_id)
    assert row["status"] == "running" and row["attempts"] == 1  # left for the next claim, not marked done
    assert await _effects(key) == 0

    assert await jobs.run_due_jobs(app.state.jobs) == 1
    row = await _job(job_id)
    assert row["status"] == "done" and row["attempts"] == 2
    assert await _effects(key) == 1


async def test_a_stalled_worker_cannot_reset_a_job_another_worker_finished(app: Litestar) -> None:
    key = uuid.uuid4().hex
    gates[key] = asyncio.Event()
    job_id = await _only(app, "test.fencing_fail", key)
    first = await jobs.claim_one()
    assert first is not None and first.id == job_id
    failing = asyncio.create_task(jobs.run_claimed(app.state.jobs, first))
    await started.setdefault(key, asyncio.Event()).wait()

    await _expire_lease(job_id)
    # Another worker takes it over and finishes it, as a fixed handler would.
    second = await jobs.claim_one()
    assert second is not None and second.attempts == 2
    async with unit_of_work() as uow:
        finished = await uow.run(
            Job.update({Job.status: "done", Job.locked_until: None})
            .where(jobs._fenced(second))
            .returning(Job.id)
        )
    assert finished

    gates[key].set()  # the first worker's handler now fails; its reset to pending must not land
    await failing
    row = await _job(job_id)
    assert row["status"] == "done" and row["last_error"] == ""


async def test_a_worker_killed_mid_job_leaves_it_to_the_next_worker_once(app: Litestar) -> None:
    """The handler never returns; its worker is cancelled (as a killed pod's would stop); after the lease the
    restarted worker runs it, and its effect is recorded exactly once."""
    keys = [uuid.uuid4().hex for _ in range(3)]
    gates[keys[0]] = asyncio.Event()  # only the first job's handler hangs
    await jobs.run_due_jobs(app.state.jobs)
    async with unit_of_work() as uow:
        ids = [await jobs.enqueue(uow, "test.fencing_stall", {"key": key}) for key in keys]

    worker = asyncio.create_task(jobs.work_forever(app.state.jobs, idle_seconds=0.01))
    await started.setdefault(keys[0], asyncio.Event()).wait()
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    killed = await _job(ids[0])
    assert killed["status"] == "running" and killed["attempts"] == 1
    assert await _effects(keys[0]) == 0

    assert (
        await jobs.run_due_jobs(app.state.jobs) == 2
    )  # the restarted worker: the others, not the leased one
    await _expire_lease(ids[0])
    gates[keys[0]].set()
    assert await jobs.run_due_jobs(app.state.jobs) == 1
    for job_id, key in zip(ids, keys, strict=True):
        row = await _job(job_id)
        assert row["status"] == "done", key
        assert await _effects(key) == 1, key
    assert (await _job(ids[0]))["attempts"] == 2

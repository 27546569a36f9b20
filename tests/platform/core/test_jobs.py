"""The outbox: retried with backoff, dead after MAX_ATTEMPTS, each due job claimed by exactly one worker.

The suite shares one database per backend, and other tests' jobs fall due while these run (a reconciliation round,
say): the assertions look at this module's own jobs, never at how many jobs a run took.
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

calls: list[dict[str, Any]] = []


async def _enqueue(name: str, payload: dict[str, object]) -> uuid.UUID:
    async with unit_of_work() as uow:
        return await jobs.enqueue(uow, name, payload)


@jobs.job("test.flaky")
async def flaky(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    calls.append(payload)
    if payload.get("fail"):
        raise RuntimeError(f"provider said no to {payload['n']}")


@jobs.job("test.slow")
async def slow(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    calls.append(payload)
    await asyncio.sleep(0)  # yield, so concurrent workers interleave


async def _attempts(job_id: object) -> int:
    row = await Job.select(Job.attempts).where(Job.id == job_id).first()
    assert row is not None
    return int(row["attempts"])


async def _make_due(job_id: object) -> None:
    await Job.update({Job.run_at: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}).where(Job.id == job_id)


async def test_failing_job_is_retried_with_backoff_then_dead(app: Litestar) -> None:
    await jobs.run_due_jobs(app.state.jobs)  # whatever earlier tests left
    job_id = await _enqueue("test.flaky", {"fail": True, "n": 1})
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        before = dt.datetime.now(dt.UTC)
        await jobs.run_due_jobs(app.state.jobs)
        row = await Job.select().where(Job.id == job_id).first()
        assert row is not None and row["attempts"] == attempt
        assert row["last_error"] == "RuntimeError: provider said no to 1"
        if attempt < jobs.MAX_ATTEMPTS:
            assert row["status"] == "pending"
            delay = row["run_at"] - before
            assert (
                jobs.backoff(attempt) - dt.timedelta(seconds=1)
                <= delay
                <= jobs.backoff(attempt) + dt.timedelta(seconds=5)
            )
            await jobs.run_due_jobs(app.state.jobs)  # not due again before its backoff
            assert (await _attempts(job_id)) == attempt
            await _make_due(job_id)
    row = await Job.select().where(Job.id == job_id).first()
    assert row is not None and row["status"] == "dead"
    await _make_due(job_id)
    await jobs.run_due_jobs(app.state.jobs)
    assert (await _attempts(job_id)) == jobs.MAX_ATTEMPTS  # the dead stay dead, visible with their last error


def test_backoff_grows_and_is_capped() -> None:
    delays = [jobs.backoff(n) for n in range(1, 20)]
    assert delays == sorted(delays) and delays[0] == dt.timedelta(seconds=10)
    assert delays[-1] == dt.timedelta(hours=1)


async def test_successful_job_runs_once(app: Litestar) -> None:
    await jobs.run_due_jobs(app.state.jobs)
    calls.clear()
    job_id = await _enqueue("test.flaky", {"n": 2})
    await jobs.run_due_jobs(app.state.jobs)
    await jobs.run_due_jobs(app.state.jobs)
    assert calls == [{"n": 2}]
    row = await Job.select().where(Job.id == job_id).first()
    assert row is not None and row["status"] == "done" and row["attempts"] == 1


async def test_concurrent_workers_claim_each_job_once(app: Litestar) -> None:
    """On PostgreSQL this takes the FOR UPDATE SKIP LOCKED path; on SQLite the versioned update."""
    await jobs.run_due_jobs(app.state.jobs)
    calls.clear()
    ids = [await _enqueue("test.slow", {"n": n}) for n in range(12)]
    await asyncio.gather(*(jobs.run_due_jobs(app.state.jobs) for _ in range(4)))
    assert sorted(call["n"] for call in calls) == list(range(12))
    rows = await Job.select(Job.status, Job.attempts).where(Job.id.is_in(ids))
    assert all(row["status"] == "done" and row["attempts"] == 1 for row in rows)


async def test_a_job_whose_worker_died_is_taken_again_after_its_lease(app: Litestar) -> None:
    await jobs.run_due_jobs(app.state.jobs)
    calls.clear()
    job_id = await _enqueue("test.flaky", {"n": 3})
    now = dt.datetime.now(dt.UTC)
    # As a worker that claimed it and died would leave it.
    await Job.update(
        {Job.status: "running", Job.attempts: 1, Job.locked_until: now + dt.timedelta(minutes=1)}
    ).where(Job.id == job_id)
    await jobs.run_due_jobs(app.state.jobs)
    assert calls == []  # its lease still holds
    await Job.update({Job.locked_until: now - dt.timedelta(seconds=1)}).where(Job.id == job_id)
    await jobs.run_due_jobs(app.state.jobs)
    row = await Job.select().where(Job.id == job_id).first()
    assert row is not None and row["status"] == "done" and row["attempts"] == 2 and calls == [{"n": 3}]


async def test_enqueue_rolls_back_with_its_transaction(app: Litestar) -> None:
    marker = {"n": 4, "rolled_back": True}
    try:
        async with unit_of_work() as uow:
            await jobs.enqueue(uow, "test.flaky", marker)
            raise LookupError("the change that caused the job failed")
    except LookupError:
        pass
    rows = await Job.select(Job.payload).where(Job.name == "test.flaky")
    assert not [row for row in rows if '"rolled_back"' in str(row["payload"]) or row["payload"] == marker]


async def _finished_jobs(age: dt.timedelta) -> dict[str, object]:
    """One job in each final and waiting state, last due ``age`` ago."""
    ids = {status: await _enqueue("test.flaky", {"n": 5}) for status in ("done", "dead", "pending")}
    for status, job_id in ids.items():
        await Job.update({Job.status: status, Job.run_at: dt.datetime.now(dt.UTC) - age}).where(
            Job.id == job_id
        )
    return ids


async def _remaining(ids: dict[str, object]) -> set[str]:
    rows = await Job.select(Job.id).where(Job.id.is_in(list(ids.values())))
    return {status for status, job_id in ids.items() if job_id in {row["id"] for row in rows}}


async def test_done_jobs_are_pruned_after_a_week_and_dead_ones_kept(app: Litestar) -> None:
    old = await _finished_jobs(jobs.DONE_KEPT + dt.timedelta(hours=1))
    recent = await _finished_jobs(jobs.DONE_KEPT - dt.timedelta(hours=1))
    assert await jobs.prune_finished() >= 1
    assert await _remaining(old) == {"dead", "pending"}  # the dead stay for staff, waiting work stays
    assert await _remaining(recent) == {"done", "dead", "pending"}
    assert await jobs.prune_finished() == 0


async def test_the_worker_loop_prunes(app: Litestar) -> None:
    old = await _finished_jobs(jobs.DONE_KEPT + dt.timedelta(days=1))
    await Job.update({Job.status: "dead"}).where(Job.id == old["pending"])  # nothing for the loop to run
    worker = asyncio.create_task(jobs.work_forever(app.state.jobs, idle_seconds=0.01))
    try:
        for _ in range(500):
            if "done" not in await _remaining(old):
                break
            await asyncio.sleep(0.01)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    assert await _remaining(old) == {"dead", "pending"}

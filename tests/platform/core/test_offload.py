"""windsurf.core.offload: work runs in worker threads, at most the configured number at once, the loop stays free.

Ordering is proved by observation (which jobs have started, which wait for a slot), never by timing: each job
blocks on its own event until the test lets it go.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import make_settings
from windsurf.core import offload


@pytest.fixture(autouse=True)
def default_offload() -> Iterator[None]:
    yield
    offload.configure(make_settings())


async def until(condition: Callable[[], bool], what: str) -> None:
    """Give the loop turns until ``condition`` holds (bounded, so a broken pool fails instead of hanging)."""
    for _ in range(20_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    pytest.fail(f"never happened: {what}")


async def test_at_most_the_configured_number_run_at_once_and_the_loop_stays_free() -> None:
    offload.configure(make_settings(offload_cpu_threads=2))
    started: list[int] = []
    gates = [threading.Event() for _ in range(3)]

    def job(index: int) -> tuple[int, int]:
        started.append(index)
        gates[index].wait()
        return index, threading.get_ident()

    jobs = [asyncio.create_task(offload.cpu(job, index)) for index in range(3)]
    await until(lambda: len(started) == 2 and offload.waiting("cpu") == 1, "two running, one waiting")
    # Two jobs are blocked in their threads and this coroutine still runs: the loop is not held.
    assert offload.in_flight("cpu") == 2
    assert sorted(started) == [0, 1]
    gates[started[0]].set()
    await until(lambda: len(started) == 3, "the third job took the freed slot")
    assert offload.waiting("cpu") == 0
    for gate in gates:
        gate.set()
    results = await asyncio.gather(*jobs)
    assert [index for index, _ in results] == [0, 1, 2]
    assert threading.get_ident() not in {thread for _, thread in results}
    assert offload.in_flight() == 0


async def test_io_has_its_own_bound_so_it_never_takes_the_cpu_slots() -> None:
    offload.configure(make_settings(offload_cpu_threads=1, offload_io_threads=1))
    io_gate, cpu_done = threading.Event(), threading.Event()
    blocked_io = asyncio.create_task(offload.io(io_gate.wait))
    await until(lambda: offload.in_flight("io") == 1, "the I/O job holds its one slot")
    await offload.cpu(cpu_done.set)  # runs although the only I/O slot is taken
    assert cpu_done.is_set() and not blocked_io.done()
    io_gate.set()
    assert await blocked_io is True


async def test_errors_come_back_to_the_caller() -> None:
    def fails() -> None:
        raise ValueError("bad pixels")

    with pytest.raises(ValueError, match="bad pixels"):
        await offload.cpu(fails)
    assert offload.in_flight() == 0


async def test_switched_off_it_runs_inline_on_the_loop() -> None:
    offload.configure(make_settings(offload=False))
    assert await offload.cpu(threading.get_ident) == threading.get_ident()
    assert await offload.io(threading.get_ident) == threading.get_ident()


def test_settings_refuse_nonsense_bounds() -> None:
    from windsurf.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="WINDSURF_OFFLOAD_IO_THREADS"):
        Settings.from_env({"WINDSURF_OFFLOAD_IO_THREADS": "0"})
    with pytest.raises(SettingsError, match="WINDSURF_OFFLOAD_CPU_THREADS"):
        Settings.from_env({"WINDSURF_OFFLOAD_CPU_THREADS": "-1"})
    assert Settings.from_env({"WINDSURF_OFFLOAD_CPU_THREADS": "3"}).offload_cpu_threads == 3


def _slow_calls(tmp_path: Path) -> dict[str, tuple[offload.Pool, Callable[[], Awaitable[object]]]]:
    """Every kind of slow work the platform does, as the services call it."""
    from tests.platform.catalog.helpers import pdf_bytes, png_bytes
    from windsurf.catalog import files
    from windsurf.core import images, security
    from windsurf.core.storage import LocalStorage

    storage = LocalStorage(tmp_path)
    return {
        "argon2 hash": ("cpu", lambda: security.hash_password("correct horse battery")),
        "argon2 verify": ("cpu", lambda: security.verify_password(None, "correct horse battery")),
        "image": ("cpu", lambda: images.process_upload(png_bytes((64, 48)), "a.png", images.AVATAR)),
        "file check": ("cpu", lambda: files.check_upload(pdf_bytes(), "a.pdf", max_bytes=10**6)),
        "file write": ("io", lambda: storage.put("public/a", b"x", "text/plain")),
        "file read": ("io", lambda: storage.get("public/a")),
    }


@pytest.mark.parametrize(
    "name", ["argon2 hash", "argon2 verify", "image", "file check", "file write", "file read"]
)
async def test_slow_work_goes_through_its_bounded_pool(name: str, tmp_path: Path) -> None:
    """With the pool's one slot held, the call must wait for it: proof that it runs there and not on the loop."""
    offload.configure(make_settings(offload_cpu_threads=1, offload_io_threads=1))
    pool, call = _slow_calls(tmp_path)[name]
    if name == "file read":
        await _slow_calls(tmp_path)["file write"][1]()
    gate = threading.Event()
    holder = asyncio.create_task(offload.cpu(gate.wait) if pool == "cpu" else offload.io(gate.wait))
    await until(lambda: offload.in_flight(pool) == 1, "the slot is held")

    async def run() -> object:
        return await call()

    work = asyncio.create_task(run())
    await until(lambda: offload.waiting(pool) == 1 or work.done(), "the call reached its pool")
    assert not work.done(), f"{name} ran without waiting for a worker thread"
    gate.set()
    await work
    await holder

"""Slow work off the event loop: worker threads with a bound on how many run at once.

One process serves every buyer from one event loop, so a second of argon2, Pillow or a blocked disk read on that
loop is a second in which no store page is answered. Everything that blocks or burns CPU goes through here:

- ``cpu(...)``: password hashing and verifying, image decoding and re-encoding, QR drawing, upload content checks,
  and any later PDF work. Bounded by ``WINDSURF_OFFLOAD_CPU_THREADS`` (default: the number of cores): these hold a
  core each (argon2 and Pillow release the GIL), so more at once would only queue inside the kernel while holding
  their memory (a 12 MP photo decodes to 48 MB).
- ``io(...)``: local file reads, writes and deletes, and the synchronous boto3 and SMTP calls. Bounded separately by
  ``WINDSURF_OFFLOAD_IO_THREADS`` (default 16), so a slow disk or S3 never takes the slots image work needs, and
  the other way round.

Each event loop gets its own pair of limiters (anyio's ``RunVar``), created on first use: nothing is created at
import time, and tests that run many loops in one process never share a limiter across loops.
``WINDSURF_OFFLOAD=0`` runs the same work inline on the loop, which only exists so the benchmark can show the
difference.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

from windsurf.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")
Pool = Literal["cpu", "io"]
DEFAULT_IO_THREADS = 16


@dataclass(frozen=True)
class _Config:
    enabled: bool = True
    cpu_threads: int = 0  # 0: one per core
    io_threads: int = DEFAULT_IO_THREADS


@dataclass
class _Limiters:
    config: _Config
    cpu: CapacityLimiter
    io: CapacityLimiter


_config = _Config()
_limiters: RunVar[_Limiters] = RunVar("windsurf_offload_limiters")
_in_flight: dict[Pool, int] = {"cpu": 0, "io": 0}  # jobs inside a worker thread now, all loops together
_count_lock = threading.Lock()


def configure(settings: Settings) -> None:
    """Bound the pools for the running application (called by create_app, as the engine is bound)."""
    global _config
    _config = _Config(settings.offload, settings.offload_cpu_threads, settings.offload_io_threads)


def cpu_threads() -> int:
    return _config.cpu_threads or max(1, os.cpu_count() or 1)


def _for_this_loop() -> _Limiters:
    limiters = _limiters.get(None)
    if limiters is None or limiters.config is not _config:  # first use on this loop, or configured anew
        limiters = _Limiters(_config, CapacityLimiter(cpu_threads()), CapacityLimiter(_config.io_threads))
        _limiters.set(limiters)
    return limiters


def in_flight(pool: Pool | None = None) -> int:
    """How many offloaded jobs of ``pool`` (or of both) run in worker threads now: a gauge, for metrics and tests."""
    return _in_flight[pool] if pool else sum(_in_flight.values())


def waiting(pool: Pool) -> int:
    """How many jobs of ``pool`` on this event loop wait for a free thread (a gauge: work backs up here)."""
    limiters = _for_this_loop()
    return (limiters.cpu if pool == "cpu" else limiters.io).statistics().tasks_waiting


async def _run(pool: Pool, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    call = functools.partial(func, *args, **kwargs)
    if not _config.enabled:
        return call()
    limiters = _for_this_loop()
    limiter = limiters.cpu if pool == "cpu" else limiters.io

    def counted() -> T:
        # Counted inside the thread, so the gauge says "running", not "waiting for a slot".
        with _count_lock:
            _in_flight[pool] += 1
        try:
            return call()
        finally:
            with _count_lock:
                _in_flight[pool] -= 1

    # abandon_on_cancel stays off: a cancelled request still waits for its thread, so a slot is never
    # handed to new work while the old work is still running in it.
    return await anyio.to_thread.run_sync(counted, limiter=limiter)


async def cpu(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run CPU-heavy ``func(*args, **kwargs)`` in a worker thread, at most ``cpu_threads()`` at once."""
    return await _run("cpu", func, *args, **kwargs)


async def io(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking I/O ``func(*args, **kwargs)`` in a worker thread, at most ``io_threads`` at once."""
    return await _run("io", func, *args, **kwargs)

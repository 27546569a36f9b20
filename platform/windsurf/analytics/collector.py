"""Views counted in memory by a serving process, added to the rollups in batches.

The store and product pages are the platform's hottest path: counting a view there is one append to a list
(``note``); the views are classified (source, day) and their visitors hashed a few thousand at a time
(``absorb``), and never written to the database on a buyer's request. The address and user agent of a noted
view stay in this process's memory only until it is absorbed (seconds), and are never stored.

``flush`` hands the batches to the service (one unit of work per store) every few seconds from the process's
own flush loop, and once more when the process shuts down cleanly, so no counted view is lost.
A batch whose write fails is put back and retried with the next flush.

The day's salt is read from the database once per process and day (``salt_for``); until it is known, views are
still counted, without their visitor hash.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator

from windsurf.analytics import classify, service
from windsurf.analytics.service import ViewBatch

FLUSH_SECONDS = 10.0
_log = logging.getLogger("windsurf.analytics")


# What the serving path notes per view, classified and hashed later in a batch:
# (handle, slug, query, referer, user agent, address, device, epoch seconds).
Noted = tuple[str, str, str, str, str, str, str, float]
NOTED_MAX = 5_000  # views noted before they are classified and hashed: bounds the raw values held in memory


class ViewCounter:
    def __init__(self, own_host: str = "") -> None:
        self.own_host = own_host
        self._noted: list[Noted] = []
        self._batches: dict[str, ViewBatch] = {}
        self._salts: dict[dt.date, str] = {}
        self._loading: dict[dt.date, asyncio.Future[str | None]] = {}
        self._flush_lock = asyncio.Lock()
        self._clock = classify.AddisClock()

    def pending(self) -> int:
        return len(self._noted) + sum(sum(batch.views.values()) for batch in self._batches.values())

    def note(self, handle: str, slug: str, query: str, referer: str, user_agent: str, address: str) -> bool:
        """The serving path's part, as cheap as it gets: remember the view (bots are dropped here, by a cached
        lookup); True when enough are noted that the caller should ``absorb`` them now."""
        device = classify.device_class(user_agent)
        if device == classify.BOT:
            return False
        self._noted.append((handle, slug, query, referer, user_agent, address, device, time.time()))
        return len(self._noted) >= NOTED_MAX

    async def absorb(self) -> None:
        """Classify and hash the noted views into the pending batches; their raw values are then dropped."""
        noted, self._noted = self._noted, []
        for handle, slug, query, referer, user_agent, address, device, epoch in noted:
            day = self._clock.day_at(epoch)
            salt = self._salts.get(day) or await self._salt(day)
            visitor = classify.visitor_hash(salt, handle, address, user_agent) if salt else None
            batch = self._batches.get(handle)
            if batch is None:
                batch = self._batches[handle] = ViewBatch()
            batch.add((day, slug, classify.source_of(query, referer, self.own_host), device), visitor)

    async def count(
        self,
        handle: str,
        slug: str,
        *,
        query: str,
        referer: str,
        user_agent: str,
        address: str,
        own_host: str = "",
        at: dt.datetime | None = None,
    ) -> None:
        """Count one page served to a person (bots are not counted)."""
        device = classify.device_class(user_agent)
        if device == classify.BOT:
            return
        day = classify.addis_day(at) if at else self._clock.day_at(time.time())
        source = classify.source_of(query, referer, own_host)
        salt = self._salts.get(day) or await self._salt(day)
        visitor = classify.visitor_hash(salt, handle, address, user_agent) if salt else None
        batch = self._batches.get(handle)
        if batch is None:
            batch = self._batches[handle] = ViewBatch()
        batch.add((day, slug, source, device), visitor)

    async def _salt(self, day: dt.date) -> str | None:
        """Load the day's salt once, however many requests ask for it meanwhile."""
        loading = self._loading.get(day)
        if loading is None or (loading.done() and (loading.cancelled() or loading.exception() is not None)):
            loading = self._loading[day] = asyncio.ensure_future(service.salt_for(day))
        try:
            salt = await asyncio.shield(loading)
        except Exception:
            _log.warning("analytics salt unavailable; views counted without visitors", exc_info=True)
            return None
        if salt:
            self._salts = {known: value for known, value in self._salts.items() if known >= day}
            self._salts[day] = salt
            self._loading = {known: task for known, task in self._loading.items() if known >= day}
        return salt

    async def flush(self) -> int:
        """Add every pending batch to the rollups; returns how many views were written."""
        async with self._flush_lock:
            await self.absorb()
            batches, self._batches = self._batches, {}
            written = 0
            unwritten = dict(batches)
            try:
                for handle, batch in batches.items():
                    try:
                        await service.add_store_views(handle, batch)
                    except Exception:
                        _log.warning("analytics flush failed; kept for the next one", exc_info=True)
                        continue
                    del unwritten[handle]
                    written += sum(batch.views.values())
            finally:
                # Failed or interrupted (a cancelled loop): back into the pending batches, counted later.
                for handle, batch in unwritten.items():
                    self._batches.setdefault(handle, ViewBatch()).merge(batch)
            return written

    @contextlib.asynccontextmanager
    async def flushing(self, every: float = FLUSH_SECONDS) -> AsyncIterator[None]:
        """Flush every ``every`` seconds while the block runs, and once more at its end (a clean shutdown)."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(every)
                await self.flush()

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.flush()

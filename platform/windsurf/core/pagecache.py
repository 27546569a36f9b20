"""Rendered public pages kept in the ``pages`` store, invalidated without purging.

Each scope (a store's address, ``@handle``, covering its store page and product pages) has a content version in
the store. A page's cache key carries that version, so a change only has to write a new version: old entries are
never read again and expire on their own. The render job writes the new version after it has stored the new
pages, so a key of the new version is only ever filled from them. ``WINDSURF_PAGE_CACHE=0`` turns the cache off
(buyers' requests then read the stored pages directly: the benchmark's stored path).

In front of the shared store each process keeps a small near cache of what it read, for ``NEAR_TTL`` seconds:
a popular store page is then served without a round trip to Redis. The process that makes a change updates its
near cache at once; other pods see the new version within ``NEAR_TTL`` seconds.

When the shared store is unavailable (Redis stopped or hung, see ``core.stores``) the cache degrades instead of
failing: a read answers what the near cache last held, however old, or a miss (the page is then rendered
afresh from the database), and writes are skipped.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections import OrderedDict

from litestar.stores.base import Store

from windsurf.core.stores import StoreUnavailable

PAGE_TTL = 24 * 3600
NEAR_TTL = 2.0
NEAR_ENTRIES = 2048


class PageCache:
    def __init__(self, store: Store, *, enabled: bool = True, near_ttl: float = NEAR_TTL) -> None:
        self._store = store
        self.enabled = enabled
        self._near_ttl = near_ttl
        self._near: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def version(self, scope: str) -> str:
        """The scope's current content version (created on first use)."""
        current = await self._read(f"version:{scope}")
        if current is not None:
            return current.decode()
        # First use, or Redis away with nothing remembered here: a reader never fails for want of a version.
        version = secrets.token_hex(8)
        self._remember(f"version:{scope}", version.encode())
        with contextlib.suppress(StoreUnavailable):
            await self._store.set(f"version:{scope}", version)
        return version

    async def invalidate(self, scope: str) -> str:
        """Start a new version: every cached page of this scope is stale from now on.

        Raises StoreUnavailable when Redis is away: the render job that calls it fails and is retried, so other
        processes do not keep serving the old page.
        """
        version = secrets.token_hex(8)
        await self._store.set(f"version:{scope}", version)
        self._remember(f"version:{scope}", version.encode())
        return version

    async def get(self, key: str) -> bytes | None:
        return await self._read(f"page:{key}") if self.enabled else None

    async def set(self, key: str, body: bytes) -> None:
        if self.enabled:
            self._remember(f"page:{key}", body)
            with contextlib.suppress(StoreUnavailable):
                await self._store.set(f"page:{key}", body, expires_in=PAGE_TTL)

    async def delete(self, key: str) -> None:
        self._near.pop(f"page:{key}", None)
        with contextlib.suppress(StoreUnavailable):
            await self._store.delete(f"page:{key}")

    async def _read(self, key: str) -> bytes | None:
        near = self._near.get(key)
        if near is not None and near[0] > time.monotonic():
            return near[1]
        try:
            value = await self._store.get(key)
        except StoreUnavailable:
            return near[1] if near is not None else None  # stale beats nothing while Redis is away
        if value is not None:
            self._remember(key, value)
        return value

    def _remember(self, key: str, value: bytes) -> None:
        if self._near_ttl <= 0:
            return
        self._near[key] = (time.monotonic() + self._near_ttl, value)
        self._near.move_to_end(key)
        while len(self._near) > NEAR_ENTRIES:
            self._near.popitem(last=False)

"""Rendered public pages kept in the ``pages`` store, invalidated without purging.

Each creator has a content version in the store. A page's cache key carries that version, so changing anything
public (publishing the store, editing a product) only has to write a new version: old entries are never read again
and expire on their own. ``WINDSURF_PAGE_CACHE=0`` turns the cache off (to measure the uncached path).
"""

from __future__ import annotations

import uuid

from litestar.stores.base import Store

PAGE_TTL = 24 * 3600


class PageCache:
    def __init__(self, store: Store, *, enabled: bool = True) -> None:
        self._store = store
        self.enabled = enabled

    async def version(self, creator_id: uuid.UUID) -> str:
        """The creator's current content version (created on first use)."""
        key = f"version:{creator_id}"
        current = await self._store.get(key)
        if current is None:
            return await self.invalidate(creator_id)
        return current.decode()

    async def invalidate(self, creator_id: uuid.UUID) -> str:
        """Start a new version: every cached page of this creator is stale from now on."""
        version = uuid.uuid4().hex[:16]
        await self._store.set(f"version:{creator_id}", version)
        return version

    async def get(self, key: str) -> bytes | None:
        return await self._store.get(f"page:{key}") if self.enabled else None

    async def set(self, key: str, body: bytes) -> None:
        if self.enabled:
            await self._store.set(f"page:{key}", body, expires_in=PAGE_TTL)

    async def delete(self, key: str) -> None:
        await self._store.delete(f"page:{key}")

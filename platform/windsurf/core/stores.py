"""Key-value stores for sessions, rate limits and page caches: Redis when configured, memory otherwise."""

from __future__ import annotations

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis

from windsurf.settings import Settings

STORE_NAMES = ("sessions", "rate_limits", "pages")


def build_stores(settings: Settings) -> dict[str, Store]:
    """One namespaced store per purpose, so clearing the page cache never logs anybody out."""
    if settings.redis_url:
        root = RedisStore(Redis.from_url(settings.redis_url), namespace=settings.redis_namespace)
        return {name: root.with_namespace(name) for name in STORE_NAMES}
    return {name: MemoryStore() for name in STORE_NAMES}

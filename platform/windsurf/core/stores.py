"""Key-value stores for sessions, rate limits and page caches: Redis when configured, memory otherwise.

Redis may stop or hang. Every command then has a short timeout, and a circuit breaker shared by all the stores
of a process opens after a few consecutive failures: while it is open, commands fail at once (microseconds,
not a timeout each) with ``StoreUnavailable``, and after ``COOL_DOWN`` one probe is let through to see whether
Redis is back. Callers decide what an unavailable store means: the page cache reads it as a miss (public pages
are rendered afresh), logins and sessions answer a translated 503.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from windsurf.settings import Settings

STORE_NAMES = ("sessions", "rate_limits", "pages")
# A healthy Redis in the same availability zone answers in about a millisecond, but the answer is read when the
# event loop gets to it: under a burst (a sale going viral on one worker) that took longer than a quarter second,
# the breaker opened on a healthy Redis and checkouts were refused with 503s. A second is still a hang.
COMMAND_TIMEOUT = 1.0
FAILURES_TO_OPEN = 3
COOL_DOWN = 2.0
T = TypeVar("T")


class StoreUnavailable(Exception):
    """The shared store (Redis) did not answer, or recently failed and is not being asked."""


class CircuitBreaker:
    """Closed while Redis answers; open for COOL_DOWN seconds after FAILURES_TO_OPEN failures in a row."""

    def __init__(self, *, failures_to_open: int = FAILURES_TO_OPEN, cool_down: float = COOL_DOWN) -> None:
        self.failures_to_open = failures_to_open
        self.cool_down = cool_down
        self.failures = 0
        self.open_until = 0.0

    @property
    def is_open(self) -> bool:
        return self.failures >= self.failures_to_open and time.monotonic() < self.open_until

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        if self.is_open:
            raise StoreUnavailable("Redis is not being asked (circuit open)")
        try:
            result = await operation()
        except (RedisError, OSError, TimeoutError) as exc:
            self.failures += 1
            if self.failures >= self.failures_to_open:
                self.open_until = time.monotonic() + self.cool_down
            raise StoreUnavailable(f"Redis failed: {type(exc).__name__}") from exc
        self.failures = 0
        return result


class GuardedRedisStore(RedisStore):
    """A RedisStore whose every command goes through the process's circuit breaker."""

    __slots__ = ("breaker",)

    def __init__(self, redis: Redis, namespace: Any = None, *, breaker: CircuitBreaker | None = None) -> None:
        super().__init__(redis, namespace=namespace)
        self.breaker = breaker or CircuitBreaker()

    def with_namespace(self, namespace: str) -> GuardedRedisStore:
        return GuardedRedisStore(
            self._redis,
            f"{self.namespace}_{namespace}" if self.namespace else namespace,
            breaker=self.breaker,
        )

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        await self.breaker.call(lambda: super(GuardedRedisStore, self).set(key, value, expires_in))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self.breaker.call(lambda: super(GuardedRedisStore, self).get(key, renew_for))

    async def delete(self, key: str) -> None:
        await self.breaker.call(lambda: super(GuardedRedisStore, self).delete(key))

    async def delete_all(self) -> None:
        await self.breaker.call(lambda: super(GuardedRedisStore, self).delete_all())

    async def exists(self, key: str) -> bool:
        return await self.breaker.call(lambda: super(GuardedRedisStore, self).exists(key))

    async def expires_in(self, key: str) -> int | None:
        return await self.breaker.call(lambda: super(GuardedRedisStore, self).expires_in(key))


def redis_client(url: str) -> Redis:
    """A client that gives up quickly: no retries, short connect and read timeouts."""
    return Redis.from_url(
        url,
        socket_timeout=COMMAND_TIMEOUT,
        socket_connect_timeout=COMMAND_TIMEOUT,
        retry_on_timeout=False,
        retry=Retry(NoBackoff(), 0),  # the breaker, not a retry loop, decides when to ask again
    )


def build_stores(settings: Settings) -> dict[str, Store]:
    """One namespaced store per purpose, so clearing the page cache never logs anybody out."""
    if settings.redis_url:
        root = GuardedRedisStore(redis_client(settings.redis_url), namespace=settings.redis_namespace)
        return {name: root.with_namespace(name) for name in STORE_NAMES}
    return {name: MemoryStore() for name in STORE_NAMES}

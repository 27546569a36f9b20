"""Fixed-window rate limits on sensitive actions (log in, send a code, reset a password).

Each action is limited per client IP and per account (email or phone) at once, so neither spraying one account
from many addresses nor many accounts from one address gets far. Counting uses the sessions' store: Redis INCR
when Redis is configured (atomic across pods), a lock-guarded counter in memory otherwise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

from windsurf.core.stores import GuardedRedisStore


@dataclass(frozen=True)
class Limit:
    """Attempts allowed per window: per client IP, per account, and per (account, IP) pair; 0 counts none.

    Limiting an account alone lets anyone who knows its email lock its owner out; the pair limit stops
    guessing from one address without touching the owner's, and a slower per-account limit (a Limit of its
    own) stops guessing spread over many addresses.
    """

    action: str
    per_ip: int
    per_account: int
    window_seconds: int
    per_pair: int = 0


class RateLimitExceeded(Exception):
    def __init__(self, limit: Limit, retry_after: int) -> None:
        super().__init__(f"rate limit for {limit.action} exceeded")
        self.limit = limit
        self.retry_after = retry_after


class RateLimiter:
    """Counts attempts per fixed window of wall-clock time (``clock``: seconds since the epoch).

    The clock is a parameter so that a test can say where a window boundary falls instead of hoping that none
    falls in the middle of it.
    """

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._lock = asyncio.Lock()

    async def hit(self, limit: Limit, *, ip: str, account: str | None) -> None:
        """Count one attempt; raise RateLimitExceeded once either counter passes its limit."""
        now = int(self._clock())
        window = now // limit.window_seconds
        retry_after = limit.window_seconds - now % limit.window_seconds
        keys = []
        if limit.per_ip:
            keys.append((f"{limit.action}:ip:{ip}:{window}", limit.per_ip))
        if account and limit.per_account:
            keys.append((f"{limit.action}:account:{account.lower()}:{window}", limit.per_account))
        if account and limit.per_pair:
            keys.append((f"{limit.action}:pair:{account.lower()}:{ip}:{window}", limit.per_pair))
        exceeded = False
        for key, allowed in keys:
            count = await self._increment(key, limit.window_seconds)
            exceeded = exceeded or count > allowed
        if exceeded:
            raise RateLimitExceeded(limit, retry_after)

    async def _increment(self, key: str, ttl: int) -> int:
        if isinstance(self._store, GuardedRedisStore):
            redis = self._store._redis
            full_key = self._store._make_key(key)

            async def increment() -> int:
                async with redis.pipeline(transaction=True) as pipe:
                    pipe.incr(full_key)
                    pipe.expire(full_key, ttl, nx=True)
                    count, _ = await pipe.execute()
                return int(count)

            # An unavailable Redis raises StoreUnavailable: a limit that cannot be counted is not waived.
            return await self._store.breaker.call(increment)
        if not isinstance(self._store, MemoryStore):
            raise TypeError(f"unsupported rate-limit store {type(self._store).__name__}")
        async with self._lock:
            current = await self._store.get(key)
            count = int(current or 0) + 1
            await self._store.set(key, str(count), expires_in=ttl)
            return count

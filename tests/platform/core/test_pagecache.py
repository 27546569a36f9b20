"""The page cache: versioned keys in the shared store, with a bounded near cache per process."""

from __future__ import annotations

from litestar.stores.memory import MemoryStore

from windsurf.core import pagecache
from windsurf.core.pagecache import PageCache


async def test_a_new_version_hides_every_page_of_the_old_one() -> None:
    cache = PageCache(MemoryStore())
    scope = "@shop"
    old = await cache.version(scope)
    await cache.set(f"s:shop:{old}:am", b"old page")
    new = await cache.invalidate(scope)
    assert new != old and await cache.version(scope) == new
    assert await cache.get(f"s:shop:{new}:am") is None
    assert await cache.get(f"s:shop:{old}:am") == b"old page"  # still stored, never asked for again


async def test_the_changing_process_sees_its_change_at_once_others_within_the_near_ttl() -> None:
    shared = MemoryStore()
    pod_a, pod_b = PageCache(shared, near_ttl=60), PageCache(shared, near_ttl=60)
    scope = "@shop"
    first = await pod_a.version(scope)
    assert await pod_b.version(scope) == first  # pod B now holds it in its near cache

    second = await pod_a.invalidate(scope)
    assert await pod_a.version(scope) == second
    assert await pod_b.version(scope) == first  # stale for at most near_ttl seconds
    assert await PageCache(shared, near_ttl=0).version(scope) == second  # the shared store is current


async def test_the_near_cache_is_bounded_and_skipped_when_the_cache_is_off() -> None:
    cache = PageCache(MemoryStore())
    for index in range(pagecache.NEAR_ENTRIES + 10):
        await cache.set(f"p{index}", b"x")
    assert len(cache._near) == pagecache.NEAR_ENTRIES

    off = PageCache(MemoryStore(), enabled=False)
    await off.set("p", b"x")
    assert await off.get("p") is None


async def test_a_deleted_entry_is_gone_from_the_near_cache_too() -> None:
    cache = PageCache(MemoryStore())
    await cache.set("h:shop", b"creator")
    await cache.delete("h:shop")
    assert await cache.get("h:shop") is None

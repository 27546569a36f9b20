"""Removing stored files that no row refers to (left by a crash between writing a file and its row).

Uploads write the file first and the row after, so a process that dies in between leaves a file nobody will
ever serve or delete. A periodic task lists the storage, and for each file older than ``GRACE`` (an upload in
progress is never touched) asks the domain that owns its key prefix which keys the creator's rows refer to,
acting for that creator (row-level security shows each creator only their own rows, which is also why keys
carry the creator id). A file under a prefix no domain claims, or whose key names no creator, is left alone:
the sweep deletes only what it can prove unused.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable

from windsurf.core import jobs
from windsurf.core.storage import ObjectStorage, build_storage
from windsurf.core.uow import Tenant, tenant_for

GRACE = dt.timedelta(hours=1)
_CREATOR_IN_KEY = re.compile(
    r"^((?:public|private)/[a-z_]+/)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/"
)
_log = logging.getLogger("windsurf.orphans")

Referrer = Callable[[Tenant], Awaitable[set[str]]]
_referrers: dict[str, Referrer] = {}


def referrer(prefix: str) -> Callable[[Referrer], Referrer]:
    """Register the function that returns the keys under ``prefix`` a creator's rows refer to."""

    def register(function: Referrer) -> Referrer:
        _referrers[prefix] = function
        return function

    return register


async def sweep(
    storage: ObjectStorage, *, now: dt.datetime | None = None, grace: dt.timedelta = GRACE
) -> list[str]:
    """Delete unreferenced files older than ``grace``; returns their keys."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - grace
    candidates: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
    for key, modified in await storage.list_keys():
        match = _CREATOR_IN_KEY.match(key)
        if modified > cutoff or match is None or match.group(1) not in _referrers:
            continue
        candidates[uuid.UUID(match.group(2))].append((match.group(1), key))
    removed = []
    for creator_id, keys in candidates.items():
        referenced: dict[str, set[str]] = {}
        async with tenant_for(creator_id) as tenant:
            for prefix in {prefix for prefix, _ in keys}:
                referenced[prefix] = await _referrers[prefix](tenant)
        for prefix, key in keys:
            if key not in referenced[prefix]:
                await storage.delete(key)
                removed.append(key)
    if removed:
        _log.info("removed orphaned files", extra={"count": len(removed)})
    return removed


@jobs.periodic("storage.sweep_orphans", every_seconds=3600)
async def sweep_orphans(context: jobs.JobContext) -> list[str]:
    return await sweep(build_storage(context.settings))

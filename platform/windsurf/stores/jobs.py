"""Store housekeeping: which stored files (avatar sizes) a creator's draft and published store refer to."""

from __future__ import annotations

import json
from typing import Any

from windsurf.core.orphans import referrer
from windsurf.core.uow import Tenant
from windsurf.stores.tables import Store


@referrer("public/avatars/")
async def avatar_images(tenant: Tenant) -> set[str]:
    from windsurf.stores.service import Avatar, avatar_key

    async with tenant.scope():
        rows = await Store.select(Store.draft, Store.published).where(Store.creator_id == tenant.creator_id)
    keys = set()
    for row in rows:
        for raw in (row["draft"], row["published"]):
            doc: dict[str, Any] = (json.loads(raw) if isinstance(raw, str) else raw) or {}
            avatar = doc.get("avatar")
            if avatar:
                keys |= {avatar_key(Avatar(avatar["key"], ()), int(width)) for width, _ in avatar["sizes"]}
    return keys

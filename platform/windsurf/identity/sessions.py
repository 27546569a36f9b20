"""Server-side sessions in a Litestar store (Redis in production, memory when embedded).

The cookie holds only a random id. Logging in always issues a new id (no fixation), logging out deletes the
record (a replayed cookie is worthless), and a session ends after an idle period and after an absolute
lifetime, whichever comes first. ``revoke_all`` (after a password reset) ends every earlier session of a
creator: it records the moment in the store, and a session that started before it no longer loads.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import asdict, dataclass, replace

from litestar.stores.base import Store

from windsurf.core.security import new_token
from windsurf.settings import Settings

# Writing last-seen on every request would turn each page view into a store write; a minute is precise enough.
TOUCH_INTERVAL = 60
# How many of an account's sessions the account page can list and end (older ones still expire on their own).
MAX_LISTED = 50
# What new_token() makes; anything else in a cookie is not worth a store lookup.
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Session:
    id: str
    creator_id: uuid.UUID
    created_at: float
    last_seen: float
    # What the account page shows so its owner can tell their phone from somebody else's.
    user_agent: str = ""
    ip: str = ""


class SessionManager:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._idle = settings.session_idle_minutes * 60
        self._absolute = settings.session_absolute_hours * 3600

    async def start(
        self, creator_id: uuid.UUID, *, replacing: str | None = None, user_agent: str = "", ip: str = ""
    ) -> Session:
        if replacing:
            await self._store.delete(replacing)
        now = time.time()
        session = Session(
            id=new_token(),
            creator_id=creator_id,
            created_at=now,
            last_seen=now,
            user_agent=user_agent[:200],
            ip=ip[:45],
        )
        await self._save(session)
        ids = await self._ids(creator_id)
        await self._store.set(
            _index_key(creator_id), json.dumps([*ids, session.id][-MAX_LISTED:]), expires_in=self._absolute
        )
        return session

    async def list_for(self, creator_id: uuid.UUID) -> list[Session]:
        """The account's live sessions, most recently used first (ended or expired ones drop out)."""
        live = []
        for session_id in await self._ids(creator_id):
            session = await self.load(session_id)
            if session is not None and session.creator_id == creator_id:
                live.append(session)
        return sorted(live, key=lambda session: session.last_seen, reverse=True)

    async def end_others(self, creator_id: uuid.UUID, keep: str | None) -> int:
        """Log out every session of the account but ``keep`` (the one asking); returns how many ended."""
        ended = 0
        for session_id in await self._ids(creator_id):
            if session_id != keep:
                await self._store.delete(session_id)
                ended += 1
        await self._store.set(
            _index_key(creator_id), json.dumps([keep] if keep else []), expires_in=self._absolute
        )
        return ended

    async def _ids(self, creator_id: uuid.UUID) -> list[str]:
        raw = await self._store.get(_index_key(creator_id))
        try:
            ids = json.loads(raw) if raw is not None else []
        except ValueError:
            return []
        return [str(item) for item in ids if isinstance(item, str) and _SESSION_ID.match(item)]

    async def load(self, session_id: str | None) -> Session | None:
        if not session_id or not _SESSION_ID.match(session_id):
            return None
        raw = await self._store.get(session_id)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            session = Session(
                id=session_id,
                creator_id=uuid.UUID(data["creator_id"]),
                created_at=float(data["created_at"]),
                last_seen=float(data["last_seen"]),
                user_agent=str(data.get("user_agent", "")),
                ip=str(data.get("ip", "")),
            )
        except (ValueError, TypeError, KeyError):  # a record we cannot read is no session
            await self._store.delete(session_id)
            return None
        now = time.time()
        if (
            now - session.last_seen > self._idle
            or now - session.created_at > self._absolute
            or session.created_at < await self._revoked_before(session.creator_id)
        ):
            await self._store.delete(session_id)
            return None
        if now - session.last_seen > TOUCH_INTERVAL:
            session = replace(session, last_seen=now)
            await self._save(session)
        return session

    async def revoke_all(self, creator_id: uuid.UUID) -> None:
        """End every session of ``creator_id`` that exists now (sessions started afterwards are
        unaffected)."""
        await self._store.set(_revoked_key(creator_id), repr(time.time()), expires_in=self._absolute)

    async def _revoked_before(self, creator_id: uuid.UUID) -> float:
        raw = await self._store.get(_revoked_key(creator_id))
        try:
            return float(raw) if raw is not None else 0.0
        except ValueError:
            return 0.0

    async def end(self, session_id: str | None) -> None:
        if session_id:
            await self._store.delete(session_id)

    async def _save(self, session: Session) -> None:
        data = asdict(session)
        data["creator_id"] = str(session.creator_id)
        del data["id"]
        remaining = int(min(self._idle, self._absolute - (session.last_seen - session.created_at)))
        await self._store.set(session.id, json.dumps(data), expires_in=max(remaining, 1))


def _revoked_key(creator_id: uuid.UUID) -> str:
    # ':' never occurs in a session id, so this key cannot be loaded as a session.
    return f"revoked-before:{creator_id}"


def _index_key(creator_id: uuid.UUID) -> str:
    # The account's session ids, for the account page; ':' keeps it from ever loading as a session.
    return f"sessions-of:{creator_id}"

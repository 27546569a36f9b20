"""Feature flags: read on hot paths through a short per-process cache, written by staff (page or CLI).

A change reaches every process within ``CACHE_SECONDS`` (each keeps its own copy of the whole, small table), so
reading a flag costs no query on nearly every request. The process that made a change forgets its copy at once.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from windsurf.core.errors import ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import UnitOfWork
from windsurf.flags.tables import Flag

CACHE_SECONDS = 10.0
NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")


class InvalidFlagName(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            N_(
                "A flag name is 2-64 lowercase letters, digits, dots, dashes or underscores, starting with a letter."
            ),
            field="name",
            code="invalid_flag_name",
        )


class InvalidCreator(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            N_("Creators are listed by their ids, separated by commas or spaces."),
            field="creators",
            code="invalid_creator",
        )


@dataclass(frozen=True)
class FlagView:
    name: str
    enabled: bool
    creators: tuple[uuid.UUID, ...]
    description: str
    updated_at: dt.datetime | None
    updated_by: str

    def on_for(self, creator_id: uuid.UUID | None) -> bool:
        return self.enabled or (creator_id is not None and creator_id in self.creators)


class FlagCache:
    """The whole table, kept for ``ttl`` seconds on the clock given (the tests move it)."""

    def __init__(self, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._flags: dict[str, FlagView] | None = None
        self._loaded_at = 0.0

    def forget(self) -> None:
        self._flags = None

    async def flags(self, uow: UnitOfWork) -> dict[str, FlagView]:
        if self._flags is None or self.clock() - self._loaded_at >= self.ttl:
            self._flags = {view.name: view for view in await list_flags(uow)}
            self._loaded_at = self.clock()
        return self._flags


CACHE = FlagCache()


def _view(row: dict[str, Any]) -> FlagView:
    creators = row["creators"]
    if isinstance(creators, str):  # SQLite hands JSON back as text
        creators = json.loads(creators)
    return FlagView(
        name=row["name"],
        enabled=bool(row["enabled"]),
        creators=tuple(uuid.UUID(str(c)) for c in creators or ()),
        description=row["description"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


async def list_flags(uow: UnitOfWork) -> list[FlagView]:
    rows = await uow.read(Flag.select().order_by(Flag.name))
    return [_view(row) for row in rows]


async def is_enabled(
    uow: UnitOfWork, name: str, creator_id: uuid.UUID | None = None, *, cache: FlagCache = CACHE
) -> bool:
    """Whether ``name`` is on (for ``creator_id``, when given); an unknown flag is off."""
    flag = (await cache.flags(uow)).get(name)
    return flag is not None and flag.on_for(creator_id)


async def is_switched_on(
    uow: UnitOfWork, name: str, creator_id: uuid.UUID | None = None, *, cache: FlagCache = CACHE
) -> bool:
    """A kill switch: on unless a flag ``name`` exists and is off (for ``creator_id``, when given).

    What runs today keeps running when nobody made a flag: only a deliberate ``off`` stops it.
    """
    flag = (await cache.flags(uow)).get(name)
    return flag is None or flag.on_for(creator_id)


def parse_creators(text: str) -> tuple[uuid.UUID, ...]:
    try:
        return tuple(dict.fromkeys(uuid.UUID(part) for part in re.split(r"[\s,]+", text.strip()) if part))
    except ValueError as exc:
        raise InvalidCreator() from exc


async def set_flag(
    uow: UnitOfWork,
    name: str,
    *,
    enabled: bool,
    creators: Sequence[uuid.UUID] = (),
    description: str | None = None,
    changed_by: str = "",
    cache: FlagCache = CACHE,
) -> FlagView:
    """Create or change a flag (one upsert); this process's cache forgets the table at once."""
    name = name.strip().lower()
    if not NAME.fullmatch(name):
        raise InvalidFlagName()
    values: dict[Any, Any] = {
        Flag.enabled: enabled,
        Flag.creators: [str(c) for c in dict.fromkeys(creators)],
        Flag.updated_at: dt.datetime.now(dt.UTC),
        Flag.updated_by: changed_by[:254],
    }
    if description is not None:
        values[Flag.description] = description[:500]
    async with uow.scope():
        changed = await Flag.update(values).where(Flag.name == name).returning(Flag.name)
        if not changed:
            await Flag.insert(Flag({Flag.name: name, **values}))
        row = await Flag.select().where(Flag.name == name).first()
    assert row is not None  # written just above, in this transaction
    cache.forget()
    return _view(row)

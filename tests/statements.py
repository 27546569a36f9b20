"""Counting the statements the database driver really sends, for query budgets.

The database drivers' connection classes are wrapped for the duration of a ``with`` block: every call that
makes a round trip (asyncpg's execute/fetch family, aiosqlite's execute family) is recorded with its SQL. Our
own code is left as it is; what is counted is what reaches the database, BEGIN, COMMIT and a pooled
connection's reset included.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import aiosqlite
import asyncpg.connection

_ROUND_TRIPS: tuple[tuple[type, tuple[str, ...]], ...] = (
    (asyncpg.connection.Connection, ("execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany")),
    (aiosqlite.Connection, ("execute", "executemany", "executescript", "execute_fetchall", "execute_insert")),
)


class Statements(list[str]):
    """The SQL of every round trip, in order."""

    @property
    def queries(self) -> list[str]:
        """Without the ``PRAGMA foreign_keys = 1`` Piccolo sends before each SQLite statement."""
        return [sql for sql in self if not sql.lstrip().upper().startswith("PRAGMA")]

    @property
    def transactions(self) -> int:
        return sum(1 for sql in self if sql.lstrip().upper().startswith("BEGIN"))

    def summary(self) -> str:
        return "\n".join(f"{i:3}: {' '.join(sql.split())[:160]}" for i, sql in enumerate(self, 1))


@contextlib.contextmanager
def recorded() -> Iterator[Statements]:
    statements = Statements()
    originals: list[tuple[type, str, Any]] = []

    def wrap(original: Any) -> Any:
        @functools.wraps(original)
        def recording(self: Any, sql: Any = "", *args: Any, **kwargs: Any) -> Any:
            statements.append(str(sql))
            return original(self, sql, *args, **kwargs)

        return recording

    for cls, names in _ROUND_TRIPS:
        for name in names:
            if name in vars(cls):
                original = vars(cls)[name]
                originals.append((cls, name, original))
                setattr(cls, name, wrap(original))
    try:
        yield statements
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)

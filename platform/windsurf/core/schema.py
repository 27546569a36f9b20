"""Helpers for hand-written Piccolo migrations: what Piccolo cannot express, per engine.

Piccolo declares one-column indexes and uniqueness, not composite or partial indexes, and cannot add a foreign key
or change a column's type on SQLite. The migrations that need those call these helpers from ``manager.add_raw``;
they run inside the migration's transaction (through the engine Piccolo's migration runner uses), so a failure
leaves the schema as it was.
"""

from __future__ import annotations

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.querystring import QueryString


def migration_engine() -> Engine:
    engine = engine_finder()
    if engine is None:
        raise RuntimeError("no Piccolo engine is configured (PICCOLO_CONF)")
    return engine


def on_postgres() -> bool:
    return migration_engine().engine_type == "postgres"


async def run_sql(*statements: str) -> None:
    engine = migration_engine()
    for statement in statements:
        await engine.run_ddl(statement)


async def add_foreign_key(
    table: str, column: str, parent: str, parent_column: str, *, on_delete: str = "CASCADE"
) -> None:
    """``table.column`` references ``parent.parent_column`` (which is its primary key or unique).

    PostgreSQL adds the constraint in place. SQLite cannot: it rebuilds the table from its own recorded DDL with
    the constraint appended, copies the rows, and recreates its indexes (the documented way to alter a table).
    """
    name = f"{table}_{column}_fkey"
    clause = f'FOREIGN KEY ("{column}") REFERENCES "{parent}" ("{parent_column}") ON DELETE {on_delete}'
    if on_postgres():
        await run_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS {name}')
        await run_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT {name} {clause}')
        return
    engine = migration_engine()
    rows = await engine.run_querystring(
        QueryString(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = {} AND sql IS NOT NULL", table
        )
    )
    create = next(row["sql"] for row in rows if row["type"] == "table")
    if clause in create:
        return
    indexes = [row["sql"] for row in rows if row["type"] == "index"]
    rebuilt = f"{table}__rebuilt"
    head = re.match(r'CREATE TABLE (IF NOT EXISTS )?"?' + re.escape(table) + r'"?\s*\(', create)
    if head is None or not create.rstrip().endswith(")"):
        raise RuntimeError(f"unexpected SQLite DDL for {table}: {create}")
    body = create[head.end() : create.rstrip().rindex(")")]
    await run_sql(
        f'CREATE TABLE "{rebuilt}" ({body}, {clause})',
        f'INSERT INTO "{rebuilt}" SELECT * FROM "{table}"',  # noqa: S608 - names from our migrations
        f'DROP TABLE "{table}"',
        f'ALTER TABLE "{rebuilt}" RENAME TO "{table}"',
        *indexes,
    )


class PostgresTypeChanges(MigrationManager):
    """A manager whose ``alter_column`` type changes run on PostgreSQL only.

    Piccolo's snapshot of the schema (what ``migrations new --auto`` compares the tables with) still records the
    new column class on every engine. SQLite keeps JSON as text whatever the declared type, and has no
    ``ALTER COLUMN ... TYPE``.
    """

    async def _run_alter_columns(self, backwards: bool = False) -> None:
        if on_postgres():
            await super()._run_alter_columns(backwards=backwards)

"""``windsurf migrate``: apply every Piccolo app's migrations, then the PostgreSQL security model.

Safe to run any number of times. On PostgreSQL it runs as the table owner
(``WINDSURF_MIGRATION_DATABASE_URL``) and then makes sure that the application role named in
``WINDSURF_DATABASE_URL`` exists, owns nothing, cannot bypass row-level security, and may only read and write
rows; and that every creator-owned table is under its policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from urllib.parse import unquote, urlsplit

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

from windsurf.core import db, owner_secret, tenancy
from windsurf.settings import Settings


async def migrate(settings: Settings, *, quiet: bool = True) -> list[str]:
    """Apply what is missing; returns the migrations applied now, as ``app: name`` (empty when up to date)."""
    settings = await owner_secret.resolve(settings)
    engine = db.create_engine(settings.effective_migration_database_url)
    import windsurf.piccolo_conf as piccolo_conf

    os.environ.setdefault("PICCOLO_CONF", "windsurf.piccolo_conf")
    piccolo_conf.DB = engine
    db.bind(engine)
    before = await applied_migrations()
    output = io.StringIO() if quiet else None
    with contextlib.redirect_stdout(output) if output else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
    if db.is_postgres(engine):
        await secure_postgres(engine, settings)
    return [name for name in await applied_migrations() if name not in before]


async def applied_migrations() -> list[str]:
    """Every migration the database records as applied, in the order they ran (none on a fresh database)."""
    if not await Migration.table_exists():
        return []
    rows = await Migration.select(Migration.app_name, Migration.name).order_by(Migration._meta.primary_key)
    return [f"{row['app_name']}: {row['name']}" for row in rows]


async def secure_postgres(engine: Engine, settings: Settings) -> None:
    app_url = urlsplit(settings.effective_database_url)
    owner_url = urlsplit(settings.effective_migration_database_url)
    for table in tenancy.creator_owned_tables():
        for statement in tenancy.policy_statements(table._meta.tablename):
            await engine.run_ddl(statement)
    for statement in [*tenancy.job_policy_statements(), *tenancy.account_policy_statements()]:
        await engine.run_ddl(statement)
    app_role = unquote(app_url.username or "")
    if not app_role or app_role == unquote(owner_url.username or ""):
        # One role for both: nothing to separate (a developer's database); RLS is still forced on its tables.
        return
    password = unquote(app_url.password) if app_url.password else None
    await ensure_app_role(engine, app_role, password)


async def ensure_app_role(engine: Engine, role: str, password: str | None) -> None:
    quoted = _quote_ident(role)
    rows = await engine.run_querystring(QueryString("SELECT 1 FROM pg_roles WHERE rolname = {}", role))
    if not rows:
        await _role_ddl(engine, f"CREATE ROLE {quoted} LOGIN")
    # Roles are cluster-wide: several databases (deploys, parallel test runs) may migrate at once.
    await _role_ddl(engine, f"ALTER ROLE {quoted} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE LOGIN")
    if password is not None:
        await _role_ddl(engine, f"ALTER ROLE {quoted} PASSWORD {_quote_literal(password)}")
    await engine.run_ddl(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    await engine.run_ddl(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
    await engine.run_ddl(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")


async def _role_ddl(engine: Engine, statement: str, attempts: int = 5) -> None:
    """Run role DDL, retrying PostgreSQL's 'tuple concurrently updated' when another migrate alters it too."""
    for attempt in range(attempts):
        try:
            await engine.run_ddl(statement)
            return
        except Exception as exc:
            if "already exists" in str(exc) and statement.startswith("CREATE ROLE"):
                return  # another migrate created it a moment ago
            if "concurrently" not in str(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"

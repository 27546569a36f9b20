"""Database engines for SQLite (embedded default) and PostgreSQL (production), and table binding.

Piccolo tables find their engine through ``piccolo_conf`` on first use and cache it. We bind every table of
every installed Piccolo app explicitly instead, so the engine follows the settings an application was built
with (the tests build SQLite and PostgreSQL applications in one process).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

_bound_engine: Engine | None = None
_log = logging.getLogger("windsurf.db")
POOL_START_TIMEOUT = 5.0
POOL_START_SIZE = 2


def create_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgres://user:password@host:port/database[?sslmode=...]``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(unquote(parts.path.removeprefix("/")))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path))
    if parts.scheme in {"postgres", "postgresql"}:
        # No extensions: the application role may not create them, and uuids are generated in Python.
        return PostgresEngine(config=postgres_connect_args(url), extensions=())
    raise ValueError(f"unsupported database URL scheme {parts.scheme!r}; use sqlite:/// or postgres://")


SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def postgres_connect_args(url: str) -> dict[str, Any]:
    """asyncpg's connection arguments for a PostgreSQL URL, TLS included.

    ``sslmode`` and ``sslrootcert`` mean what they mean to libpq: ``verify-full`` checks the server's
    certificate against ``sslrootcert`` (else the system's trust store) and its name against the host;
    ``verify-ca`` checks the certificate only; ``require`` encrypts without checking; ``prefer`` (the default)
    tries TLS and falls back to plain; ``disable`` never uses TLS.
    """
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    config: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "database": unquote(parts.path.removeprefix("/")) or "postgres",
    }
    if parts.password:
        config["password"] = unquote(parts.password)
    mode = query.get("sslmode", "prefer")
    if mode not in SSL_MODES:
        raise ValueError(f"database URL sslmode must be one of {', '.join(SSL_MODES)}, not {mode!r}")
    config["ssl"] = _tls(mode, query.get("sslrootcert", ""))
    return config


def _tls(mode: str, root_cert: str) -> bool | str | ssl.SSLContext:
    if mode == "disable":
        return False
    if mode in ("allow", "prefer", "require"):
        return "prefer" if mode == "allow" else mode
    if root_cert and not Path(root_cert).is_file():
        raise ValueError(f"database URL sslrootcert {root_cert!r} is not a readable file")
    context = ssl.create_default_context(cafile=root_cert or None)
    context.check_hostname = mode == "verify-full"
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def installed_apps() -> list[AppConfig]:
    """Every Piccolo app of the platform, whichever services a process serves: they share one schema."""
    from windsurf.apps import APP_REGISTRY

    return list(APP_REGISTRY.app_configs.values())


def all_tables() -> list[type[Table]]:
    return [table for app in installed_apps() for table in app.table_classes]


def bind(engine: Engine) -> None:
    """Point every table (and Piccolo's own migration table) at ``engine``."""
    global _bound_engine
    tables: list[type[Table]] = [*all_tables(), Migration]
    for table in tables:
        table._meta.db = engine
    _bound_engine = engine


def bound_engine() -> Engine:
    if _bound_engine is None:
        raise RuntimeError("no database engine is bound; build the app with create_app() or call db.bind()")
    return _bound_engine


def is_postgres(engine: Engine) -> bool:
    return engine.engine_type == "postgres"


async def start_pool(engine: Engine, max_size: int, *, wait_seconds: float = POOL_START_TIMEOUT) -> bool:
    """Open the PostgreSQL connection pool; True when one is running (always True on SQLite).

    A database that is down at start must not keep the process from starting: it serves /health/live, answers
    /health/ready with 503 (which retries the pool) and recovers by itself once the database is back.
    """
    if not isinstance(engine, PostgresEngine):
        return True
    if engine.pool is not None:
        return True
    try:
        await asyncio.wait_for(
            # Two connections at start, more as requests need them up to max_size: an idle process holds few of the
            # database's connections, and starting (a pod, or each test's app) opens two, not asyncpg's ten.
            engine.start_connection_pool(
                min_size=min(max_size, POOL_START_SIZE), max_size=max_size, reset=_reset_if_dirty
            ),
            wait_seconds,
        )
    except Exception as exc:
        _log.error(
            "database connection pool could not start", extra={"error": f"{type(exc).__name__}: {exc}"}
        )
        return False
    return True


async def _reset_if_dirty(connection: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool: usually nothing, and no round trip.

    asyncpg's default reset sends ``RESET ALL; UNLISTEN *; CLOSE ALL; pg_advisory_unlock_all()`` after every
    request. We keep no session state: the tenant is a transaction-local setting, and nothing listens, holds
    cursors or advisory locks beyond a transaction. Only a connection given back inside a transaction (a
    failed rollback) gets the full reset."""
    if connection.is_in_transaction():
        await connection.reset()


async def close_pool(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


# SQLite's extended result codes for a violated UNIQUE or PRIMARY KEY constraint.
_SQLITE_UNIQUE_CODES = {2067, 1555}
_UNIQUE_SQLSTATE = "23505"


def is_unique_violation(exc: BaseException) -> bool:
    """Whether ``exc`` is a duplicate key, told by its error code (never by the message text)."""
    if getattr(exc, "sqlstate", None) == _UNIQUE_SQLSTATE:
        return True
    return getattr(exc, "sqlite_errorcode", None) in _SQLITE_UNIQUE_CODES


async def unsafe_role_reasons(engine: Engine) -> list[str]:
    """Why the role ``engine`` connects as must not serve requests in production (empty when it is safe).

    Row-level security is the second wall between creators only for a role that is no superuser, has no
    BYPASSRLS and owns no table (an owner is exempt from its table's policies unless FORCE is on, and may
    turn them off). Asked of PostgreSQL itself, since the URL alone cannot tell.
    """
    if not is_postgres(engine):
        return []
    from piccolo.querystring import QueryString

    rows = await engine.run_querystring(
        QueryString(
            """
            SELECT r.rolname AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
                   (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p', 'v', 'm')
                      AND n.nspname NOT IN ('pg_catalog', 'information_schema')) AS owned
            FROM pg_roles r WHERE r.rolname = current_user
            """
        )
    )
    if not rows:
        return ["the database role could not be found"]
    row = rows[0]
    reasons = []
    if row["superuser"]:
        reasons.append(f"role {row['role']} is a superuser")
    if row["bypassrls"]:
        reasons.append(f"role {row['role']} has BYPASSRLS")
    if row["owned"]:
        reasons.append(f"role {row['role']} owns {row['owned']} tables (use the migration role for that)")
    return reasons

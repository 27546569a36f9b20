"""Liveness and readiness probes for the load balancer and Kubernetes."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from litestar.stores.redis import RedisStore

from windsurf.core import db
from windsurf.settings import Settings

READY_TIMEOUT = 2.0


@get("/health/live", include_in_schema=False, sync_to_thread=False)
def live() -> dict[str, str]:
    """The process answers: nothing else is checked, so a slow database never restarts healthy pods."""
    return {"status": "ok"}


@get("/health/ready", include_in_schema=False)
async def ready(
    request: Request[Any, Any, Any], settings: NamedDependency[SkipValidation[Settings]]
) -> Response[dict[str, Any]]:
    checks: dict[str, str] = {}
    engine = db.bound_engine()
    try:
        # A pool that could not start (database down at boot) is retried here, so the pod heals by itself.
        if not await db.start_pool(engine, settings.database_pool_size, wait_seconds=READY_TIMEOUT):
            raise ConnectionError("no database connection pool")
        await asyncio.wait_for(engine.run_ddl("SELECT 1"), READY_TIMEOUT)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    store = request.app.stores.get("sessions")
    if isinstance(store, RedisStore):
        try:
            await asyncio.wait_for(store._redis.ping(), READY_TIMEOUT)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return Response(body, status_code=200 if healthy else 503)

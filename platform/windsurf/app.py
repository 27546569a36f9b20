"""The composition root: ``create_app(settings)`` wires settings, database, stores, the services' routers and
the face plugin (the storefront by default, named by ``WINDSURF_FACE``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.plugins.htmx import HTMXPlugin
from litestar.types import ControllerRouterHandler

from windsurf.core import (
    boundary,
    db,
    health,
    i18n,
    jobs,
    messaging,
    metrics,
    offload,
    openapi,
    security,
    storage,
    web,
)
from windsurf.core.errors import EXCEPTION_HANDLERS
from windsurf.core.face import load_face
from windsurf.core.http import EdgeMiddleware, OptionsAllow
from windsurf.core.logging import configure_logging
from windsurf.core.pagecache import PageCache
from windsurf.core.ratelimit import RateLimiter
from windsurf.core.stores import build_stores
from windsurf.dependencies import PlatformObjects, platform_dependencies
from windsurf.identity import validation
from windsurf.identity.sessions import SessionManager
from windsurf.payments.providers.registry import build_providers
from windsurf.payments.sandbox.api import gateway_routers
from windsurf.settings import Settings, SettingsError


def _identity() -> list[ControllerRouterHandler]:
    from windsurf.identity import api

    return [api.router]


def _stores() -> list[ControllerRouterHandler]:
    from windsurf.stores import api

    return [api.router]


def _catalog() -> list[ControllerRouterHandler]:
    from windsurf.catalog import api

    return [api.router]


def _payments() -> list[ControllerRouterHandler]:
    from windsurf.audience import api as audience_api
    from windsurf.payments import api

    # The SMS gateway's inbound webhook lives with the other provider callbacks under /webhooks.
    return [api.router, audience_api.router]


# The JSON routers each service (a value of WINDSURF_SERVICES) mounts; the cloud routes paths to them. The face
# plugin mounts the pages of the same services.
SERVICE_ROUTERS: dict[str, Callable[[], list[ControllerRouterHandler]]] = {
    "identity": _identity,
    "stores": _stores,
    "catalog": _catalog,
    "storefront": list,
    "payments": _payments,
}


def route_paths(handlers: list[ControllerRouterHandler]) -> list[str]:
    """Every path the given routers and handlers serve, read without registering them anywhere (registering
    a handler in a second router would change which dependencies it resolves)."""
    paths: list[str] = []
    for handler in handlers:
        if isinstance(handler, Router):
            paths.extend(route.path for route in handler.routes)
        elif isinstance(handler, type):  # a Controller class
            paths.append(getattr(handler, "path", "/"))
        else:
            paths.extend(getattr(handler, "paths", ()))
    return paths


def reserve_handles(core: list[ControllerRouterHandler], face: object) -> None:
    """No creator handle may take a first path segment of any service's routes or pages, mounted here or not.

    The face lists all its pages (``all_route_handlers``, whichever services this process serves).
    """
    every = list(core)
    for routers in SERVICE_ROUTERS.values():
        every.extend(routers())
    every.extend(getattr(face, "all_route_handlers", list)())
    validation.reserve_route_segments([*route_paths(every), "/schema", "/metrics"])


def create_app(settings: Settings | None = None, *, clock: Callable[[], float] = time.time) -> Litestar:
    """The application for ``settings``; ``clock`` (epoch seconds) is what rate-limit windows are counted on."""
    from windsurf.analytics import jobs as analytics_jobs  # noqa: F401 - registers CDN log ingestion
    from windsurf.audience import jobs as audience_jobs  # noqa: F401 - registers the broadcast senders
    from windsurf.catalog import jobs as catalog_jobs  # noqa: F401 - registers the catalog's file referrers
    from windsurf.checkout import jobs as checkout_jobs  # noqa: F401 - registers the checkout job handlers
    from windsurf.core import orphans  # noqa: F401 - registers the periodic sweep of orphaned files
    from windsurf.delivery import jobs as delivery_jobs  # noqa: F401 - registers the delivery job handlers
    from windsurf.identity import jobs as identity_jobs  # noqa: F401 - registers the identity job handlers
    from windsurf.ledger import jobs as ledger_jobs  # noqa: F401 - registers the transfer-status job
    from windsurf.payments import jobs as payments_jobs  # noqa: F401 - registers reconciliation
    from windsurf.stores import jobs as stores_jobs  # noqa: F401 - registers the stores' file referrers

    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    engine = db.create_engine(settings.effective_database_url)
    db.bind(engine)
    storage.bind_public_base(settings)
    offload.configure(settings)
    security.configure(settings)
    stores = build_stores(settings)
    objects = PlatformObjects(
        settings=settings,
        storage=storage.build_storage(settings),
        page_cache=PageCache(
            stores["pages"], enabled=settings.page_cache, near_ttl=settings.page_near_cache_ms / 1000
        ),
        sessions=SessionManager(stores["sessions"], settings),
        rate_limiter=RateLimiter(stores["rate_limits"], clock=clock),
        payment_providers=build_providers(settings),
    )
    face = load_face(settings.face)(objects)
    job_context = jobs.JobContext(
        settings=settings,
        sms=messaging.build_sms_backend(settings),
        email=messaging.build_email_backend(settings),
        translations=partial(i18n.translations_for, face.locales_dir),
        page_cache=objects.page_cache,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        started = await db.start_pool(engine, settings.database_pool_size)
        if started and settings.is_production:
            reasons = await db.unsafe_role_reasons(engine)
            if reasons:
                await db.close_pool(engine)
                raise SettingsError(
                    "refusing to start in production: WINDSURF_DATABASE_URL " + "; ".join(reasons)
                )
        worker = asyncio.create_task(jobs.work_forever(job_context)) if settings.inline_worker else None
        try:
            yield
        finally:
            if worker:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await db.close_pool(engine)
            await objects.payment_providers.aclose()

    route_handlers: list[ControllerRouterHandler] = [health.live, health.ready, metrics.metrics]
    for name in settings.services:
        route_handlers.extend(SERVICE_ROUTERS[name]())
    route_handlers.extend(gateway_routers(settings))  # the sandbox payment gateway, when enabled
    reserve_handles(route_handlers, face)

    # Handlers receive these as dependencies; the state keeps them for the CLI (the worker's job context).
    state: dict[str, Any] = {**vars(objects), "jobs": job_context}
    app = Litestar(
        route_handlers=route_handlers,
        dependencies=platform_dependencies(objects),
        lifespan=[lifespan],
        stores=stores,
        state=State(state),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=settings.csrf_cookie_name,
            cookie_secure=settings.is_production,
            cookie_httponly=False,
            cookie_samesite="lax",
            # Probes, metrics, static files and provider callbacks carry no user session to forge.
            exclude=["^/health/", "^/metrics", "^/static/", "^/webhooks/"],
        ),
        # Pages that compress themselves once (the cached store page) opt out with opt={"skip_compression": True}.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=500, gzip_compress_level=6, exclude_opt_key="skip_compression"
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[web.keep_private],  # a logged-in account's answers leave no copy in any cache
        plugins=[HTMXPlugin(), face],
        request_class=boundary.CleanRequest,
        openapi_config=openapi.config(settings),
        request_max_body_size=settings.max_request_mb * 1024 * 1024,
        logging_config=None,  # configure_logging above owns the log format (JSON lines)
        debug=settings.debug,
    )
    # Outside Litestar's routing (as its own CORS middleware is), so that 404s and 405s for unknown paths get
    # the security headers, a request id and an access-log line too; route middleware never sees those.
    allow = openapi.allowed_methods(app)
    handler = metrics.MetricsMiddleware(OptionsAllow(face.wrap_asgi(app.asgi_handler), allow))
    app.asgi_handler = EdgeMiddleware(handler, production=settings.is_production)
    return app

"""The composition root: ``create_app(settings)`` wires settings, database, stores and the services' routers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.plugins.htmx import HTMXPlugin
from litestar.routes import HTTPRoute
from litestar.types import ControllerRouterHandler

from windsurf.core import boundary, db, health, i18n, jobs, messaging, metrics, openapi, storage
from windsurf.core.errors import EXCEPTION_HANDLERS
from windsurf.core.http import EdgeMiddleware, OptionsAllow
from windsurf.core.logging import configure_logging
from windsurf.core.pagecache import PageCache
from windsurf.core.ratelimit import RateLimiter
from windsurf.core.stores import build_stores
from windsurf.core.templating import build_environment
from windsurf.identity import validation
from windsurf.identity.sessions import SessionManager
from windsurf.settings import Settings, SettingsError


def _identity() -> list[ControllerRouterHandler]:
    from storefront.pages import auth
    from windsurf.identity import api

    return [api.router, auth.router]


def _stores() -> list[ControllerRouterHandler]:
    from storefront.pages import builder_store
    from windsurf.stores import api

    return [api.router, builder_store.router]


def _catalog() -> list[ControllerRouterHandler]:
    from storefront.pages import builder_products
    from windsurf.catalog import api

    return [api.router, builder_products.router]


def _storefront() -> list[ControllerRouterHandler]:
    from storefront.pages import media, product, public

    return [public.router, product.router, media.router]


# Which routers each service (a value of WINDSURF_SERVICES) mounts; the cloud routes paths to them.
SERVICE_ROUTERS: dict[str, Callable[[], list[ControllerRouterHandler]]] = {
    "identity": _identity,
    "stores": _stores,
    "catalog": _catalog,
    "storefront": _storefront,
}


def route_paths(handlers: list[ControllerRouterHandler]) -> list[str]:
    """Every path the given handlers serve (a throwaway Router resolves routers, controllers, handlers)."""
    return [route.path for route in Router(path="/", route_handlers=handlers).routes]


def reserve_handles(core: list[ControllerRouterHandler]) -> None:
    """No creator handle may take a first path segment of any service's routes, mounted here or not."""
    every = list(core)
    for routers in SERVICE_ROUTERS.values():
        every.extend(routers())
    validation.reserve_route_segments([*route_paths(every), "/schema", "/metrics"])


def create_app(settings: Settings | None = None) -> Litestar:
    import storefront
    from windsurf.catalog import jobs as catalog_jobs  # noqa: F401 - registers the catalog's file referrers
    from windsurf.core import orphans  # noqa: F401 - registers the periodic sweep of orphaned files
    from windsurf.identity import jobs as identity_jobs  # noqa: F401 - registers the identity job handlers
    from windsurf.stores import jobs as stores_jobs  # noqa: F401 - registers the stores' file referrers

    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    engine = db.create_engine(settings.effective_database_url)
    db.bind(engine)
    storage.bind_public_base(settings)
    stores = build_stores(settings)
    locales_dir = storefront.LOCALES_DIR
    job_context = jobs.JobContext(
        settings=settings,
        sms=messaging.build_sms_backend(settings),
        email=messaging.build_email_backend(settings),
        translations=partial(i18n.translations_for, locales_dir),
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

    route_handlers: list[ControllerRouterHandler] = [health.live, health.ready, metrics.metrics]
    route_handlers.append(storefront.static_router())
    reserve_handles(route_handlers)
    for name in settings.services:
        route_handlers.extend(SERVICE_ROUTERS[name]())

    state: dict[str, Any] = {
        "settings": settings,
        "locales_dir": locales_dir,
        "htmx_path": storefront.HTMX_PATH,
        "jinja": build_environment([storefront.TEMPLATES_DIR]),
        "sessions": SessionManager(stores["sessions"], settings),
        "rate_limiter": RateLimiter(stores["rate_limits"]),
        "jobs": job_context,
        "storage": storage.build_storage(settings),
        "page_cache": PageCache(stores["pages"], enabled=settings.page_cache),
    }
    app = Litestar(
        route_handlers=route_handlers,
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
        plugins=[HTMXPlugin()],
        request_class=boundary.CleanRequest,
        openapi_config=openapi.config(settings),
        request_max_body_size=settings.max_request_mb * 1024 * 1024,
        logging_config=None,  # configure_logging above owns the log format (JSON lines)
        debug=settings.debug,
    )
    allow = {
        route.path_format: ", ".join(sorted(route.methods))
        for route in app.routes
        if isinstance(route, HTTPRoute)
    }
    if settings.serves_api_schema:
        openapi.install(app, settings, allow)
    # Outside Litestar's routing (as its own CORS middleware is), so that 404s and 405s for unknown paths get
    # the security headers, a request id and an access-log line too; route middleware never sees those.
    handler = app.asgi_handler
    if "storefront" in settings.services and settings.page_cache:
        from storefront.pages.public import CachedStorePages

        handler = CachedStorePages(handler, state["page_cache"])
    handler = metrics.MetricsMiddleware(OptionsAllow(handler, allow))
    app.asgi_handler = EdgeMiddleware(handler, production=settings.is_production)
    return app

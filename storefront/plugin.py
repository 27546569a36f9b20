"""The storefront as a Litestar plugin: templates, static files, the cached store page fast path, the pages.

The platform loads it by its dotted path (``WINDSURF_FACE``, this class by default) and hands it the objects it
shares; nothing under ``windsurf`` imports ``storefront``. Which page routers it mounts follows
``WINDSURF_SERVICES``, as the platform's JSON routers do.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.types import ASGIApp, ControllerRouterHandler

import storefront
from storefront.pages import rendering  # noqa: F401 - registers the job that renders public pages
from windsurf.analytics.collector import ViewCounter
from windsurf.core.templating import build_environment
from windsurf.core.web import RENDERER_STATE, Renderer
from windsurf.dependencies import PlatformObjects


def _identity() -> list[ControllerRouterHandler]:
    from storefront.pages import account, auth

    return [auth.router, account.router]


def _stores() -> list[ControllerRouterHandler]:
    from storefront.pages import (
        builder_audience,
        builder_broadcasts,
        builder_store,
        payouts,
        staff_flags,
        staff_payouts,
    )

    # The creator's balance and payouts live in the dashboard; the staff payout queue and flags beside it; the audience
    # (contacts and broadcasts) too.
    return [
        builder_store.router,
        payouts.router,
        staff_payouts.router,
        staff_flags.router,
        builder_audience.router,
        builder_broadcasts.router,
    ]


def _catalog() -> list[ControllerRouterHandler]:
    # The creator's orders and discount codes live in the builder, beside the products they are about.
    from storefront.pages import analytics, builder_products, builder_sales

    return [builder_products.router, builder_sales.router, analytics.router]


def _storefront() -> list[ControllerRouterHandler]:
    from storefront.pages import media, product, public, unsubscribe

    return [public.router, product.router, media.router, unsubscribe.router]


def _payments() -> list[ControllerRouterHandler]:
    from storefront.pages import checkout, downloads, library

    return [checkout.router, downloads.router, library.router]


VIEW_COUNTER_STATE = "view_counter"
PAGE_ROUTERS: dict[str, Callable[[], list[ControllerRouterHandler]]] = {
    "identity": _identity,
    "stores": _stores,
    "catalog": _catalog,
    "storefront": _storefront,
    "payments": _payments,
}


class StorefrontPlugin:
    """The HTML face of the platform (see ``windsurf.core.face.Face``)."""

    locales_dir = storefront.LOCALES_DIR

    def __init__(self, objects: PlatformObjects) -> None:
        self.objects = objects
        self.renderer = Renderer(
            env=build_environment([storefront.TEMPLATES_DIR]),
            locales_dir=storefront.LOCALES_DIR,
            settings=objects.settings,
            htmx_path=storefront.HTMX_PATH,
        )
        # Buyers' page views, counted in memory and added to the rollups in batches (see CountViews).
        self.view_counter = ViewCounter()

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        renderer = self.renderer

        def provide_renderer() -> Renderer:
            return renderer

        app_config.route_handlers.append(storefront.static_router())
        for service in self.objects.settings.services:
            app_config.route_handlers.extend(PAGE_ROUTERS[service]())
        app_config.dependencies["renderer"] = Provide(provide_renderer, use_cache=True, sync_to_thread=False)
        app_config.state[RENDERER_STATE] = renderer  # for the exception handlers' error pages only
        app_config.state[VIEW_COUNTER_STATE] = self.view_counter  # for the CLI and tests only
        if "storefront" in self.objects.settings.services:
            app_config.lifespan.append(self._flush_views)
        return app_config

    @contextlib.asynccontextmanager
    async def _flush_views(self, app: Litestar) -> AsyncIterator[None]:
        """Counted views reach the rollups every few seconds, and at a clean shutdown (before the pool closes:
        the platform's lifespan is entered first, so it ends last)."""
        async with self.view_counter.flushing(self.objects.settings.analytics_flush_seconds):
            yield

    def all_route_handlers(self) -> list[ControllerRouterHandler]:
        """Every page of every service, mounted here or not: the platform reserves their paths from handles."""
        handlers: list[ControllerRouterHandler] = [storefront.static_router()]
        for routers in PAGE_ROUTERS.values():
            handlers.extend(routers())
        return handlers

    def wrap_asgi(self, handler: ASGIApp) -> ASGIApp:
        settings = self.objects.settings
        if "storefront" not in settings.services:
            return handler
        from storefront.pages.counting import CountViews
        from storefront.pages.public import CachedStorePages

        if settings.page_cache:
            handler = CachedStorePages(handler, self.objects.page_cache)
        return CountViews(handler, self.view_counter, settings)

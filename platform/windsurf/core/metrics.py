"""Prometheus metrics labelled by route template, served only to the scraper.

Labels come from the route a request matched (``/api/v1/catalog/products/{product_id:uuid}``), never from its raw
path: a label value per distinct URL would add series for every product id and every random 404 forever, and a
scrape would then stall the event loop serialising them. Requests that match no route share one label.

``/metrics`` answers only a request carrying ``Authorization: Bearer <WINDSURF_METRICS_TOKEN>``; without the token
(or with none configured) it is a 404 like any unknown path, so nobody learns it exists.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import SkipValidation
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

from windsurf.settings import Settings

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"  # every path no route serves (404s, 405s), as one series
# Methods outside this set (a fuzzer's "FOOBAR") are counted as "other", again to keep the series bounded.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Created once per process: prometheus_client's registry refuses a second metric of the same name.
REQUESTS = Counter(
    "windsurf_requests_total", "Requests answered, by route template", ["method", "route", "status"]
)
DURATION = Histogram(
    "windsurf_request_duration_seconds",
    "Time to answer a request, by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def route_label(scope: Scope) -> str:
    """The route template Litestar matched (set on the scope while routing), or UNMATCHED."""
    template = scope.get("path_template")
    return template if isinstance(template, str) and template else UNMATCHED


class MetricsMiddleware:
    """Counts and times every HTTP request; wraps the whole application so unmatched paths are counted too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == METRICS_PATH or scope["path"].startswith("/health/"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            method = scope.get("method", "")
            method = method if method in KNOWN_METHODS else "other"
            route = route_label(scope)
            REQUESTS.labels(method, route, str(status)).inc()
            DURATION.labels(method, route).observe(time.perf_counter() - started)


def _authorised(request: Request[Any, Any, Any], token: str) -> bool:
    if not token:
        return False
    offered = request.headers.get("authorization", "")
    scheme, _, value = offered.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


@get(METRICS_PATH, include_in_schema=False)
async def metrics(
    request: Request[Any, Any, Any], settings: NamedDependency[SkipValidation[Settings]]
) -> Response[bytes]:
    if not _authorised(request, settings.metrics_token):
        raise NotFoundException()
    # Serialising is CPU work; a thread keeps other requests moving while the scraper waits.
    body = await asyncio.to_thread(generate_latest, REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

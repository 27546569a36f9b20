"""Prometheus metrics labelled by route template, served only to the scraper.

Labels come from the route a request matched (``/api/v1/catalog/products/{product_id:uuid}``), never from its raw
path: a label value per distinct URL would add series for every product id and every random 404 forever, and a
scrape would then stall the event loop serialising them. Requests that match no route share one label.

Besides requests, a scrape reports the outbox's backlog (read from the database at scrape time, so every pod
reports the same numbers and the alert takes their maximum) and the payment service's notifications.

``/metrics`` answers only a request carrying ``Authorization: Bearer <WINDSURF_METRICS_TOKEN>``; without the token
(or with none configured) it is a 404 like any unknown path, so nobody learns it exists.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import SkipValidation
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

from windsurf.core import jobs
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

JOBS_CLAIMABLE = Gauge("windsurf_jobs_claimable", "Outbox jobs a worker could take now")
JOBS_OLDEST_AGE = Gauge(
    "windsurf_jobs_oldest_claimable_age_seconds", "How long the oldest claimable outbox job has waited"
)
JOBS_DEAD = Gauge("windsurf_jobs_dead", "Outbox jobs that failed for good and wait for staff")
JOBS_SCRAPE_ERRORS = Counter(
    "windsurf_jobs_backlog_errors_total", "Scrapes that could not read the outbox's backlog"
)
# Payment flow, counted where it happens (the payments service's pods): payments started at a provider, and
# provider notifications by outcome (paid, duplicate, pending, failed, refused, unknown, mismatch, provider_error).
PAYMENTS_STARTED = Counter("windsurf_payments_started_total", "Payments started at a provider", ["provider"])
PAYMENT_NOTIFICATIONS = Counter(
    "windsurf_payment_notifications_total", "Provider notifications, by outcome", ["provider", "outcome"]
)
BACKLOG_TIMEOUT = 2.0
_log = logging.getLogger("windsurf.metrics")


async def refresh_backlog() -> None:
    """Read the outbox's backlog into the gauges; a failed read is counted, and the gauges keep their last value."""
    try:
        backlog = await asyncio.wait_for(jobs.backlog(), BACKLOG_TIMEOUT)
    except Exception as exc:
        JOBS_SCRAPE_ERRORS.inc()
        _log.warning("job backlog unreadable", extra={"error": type(exc).__name__})
        return
    JOBS_CLAIMABLE.set(backlog.claimable)
    JOBS_OLDEST_AGE.set(backlog.oldest_age_seconds)
    JOBS_DEAD.set(backlog.dead)


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
    await refresh_backlog()
    # Serialising is CPU work; a thread keeps other requests moving while the scraper waits.
    body = await asyncio.to_thread(generate_latest, REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

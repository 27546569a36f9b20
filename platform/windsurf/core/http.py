"""HTTP middleware shared by every service: request ids, JSON access logs and security headers."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_access_log = logging.getLogger("windsurf.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Critical CSS is inlined in every page; scripts stay strictly external.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        # Payment providers are reached through a redirect from our server, never by a form posting to them.
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


# Headers that only mean something for a document a browser renders (CSP, framing, referrer, features,
# opener). A raster image cannot run script, be framed as a page or open a window, so images (24 covers on a
# store page: ~470 bytes each, ~11 KB per first visit) get only nosniff, HSTS and the request id.
# SVG is a document and keeps them all.
DOCUMENT_ONLY = {
    b"content-security-policy",
    b"referrer-policy",
    b"x-frame-options",
    b"permissions-policy",
    b"cross-origin-opener-policy",
}
RASTER_IMAGE_TYPES = (b"image/webp", b"image/png", b"image/jpeg", b"image/gif", b"image/avif")


def security_headers(*, production: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if production:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains; preload"))
    return headers


def _is_raster_image(headers: MutableScopeHeaders) -> bool:
    content_type = next((value for name, value in headers.headers if name.lower() == b"content-type"), b"")
    return content_type.split(b";")[0].strip().lower() in RASTER_IMAGE_TYPES


class EdgeMiddleware:
    """Outermost middleware: tags the request with an id, adds security headers, writes one JSON access
    line."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.headers = security_headers(production=production)
        self.image_headers = [(name, value) for name, value in self.headers if name not in DOCUMENT_ONLY]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableScopeHeaders.from_message(message)
                headers.headers.extend(self.image_headers if _is_raster_image(headers) else self.headers)
                headers.headers.append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            _access_log.info(
                "request",
                extra={
                    "method": scope.get("method", ""),
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class OptionsAllow:
    """Makes the ``Allow`` of an OPTIONS answer list every method of the route.

    Litestar builds a path's OPTIONS handler with the first handler registered for the path, so
    ``@get("/products")`` then ``@post("/products")`` answered ``Allow: GET, OPTIONS``. ``allow`` maps each
    route template to its full method list, taken from the finished route table.
    """

    def __init__(self, app: ASGIApp, allow: dict[str, str]) -> None:
        self.app = app
        self.allow = allow

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "OPTIONS":
            await self.app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            allowed = self.allow.get(scope.get("path_template", ""))
            if message["type"] == "http.response.start" and message["status"] == 204 and allowed:
                headers = MutableScopeHeaders.from_message(message)
                headers["allow"] = allowed
            await send(message)

        await self.app(scope, receive, send_with_allow)

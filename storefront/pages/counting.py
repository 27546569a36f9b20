"""Counting buyers' page views on the serving path, outside the framework, after the page has been sent.

Every store page (/@handle) and product page (/@handle/slug) answered 200 to a GET is handed to the process's
``ViewCounter`` (in memory; flushed to the rollups in batches), whether the cached-page fast path or the
application answered it. A 304 revalidation is not a new view (and, in the cloud, is what CloudFront's RefreshHit
sends the origin: the CDN log counts those). Nothing is set on the response: no cookie, no header.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from windsurf.analytics.classify import PAGE_PATH
from windsurf.analytics.collector import ViewCounter
from windsurf.core.web import EDGE_SECRET_HEADER, VIEWER_ADDRESS_HEADER, edge_viewer_address
from windsurf.settings import Settings

_log = logging.getLogger("windsurf.analytics")
# The request headers a view is counted from (the edge's two: the secret and the viewer's address).
_WANTED = {
    b"referer",
    b"user-agent",
    b"x-forwarded-for",
    EDGE_SECRET_HEADER.encode(),
    VIEWER_ADDRESS_HEADER.encode(),
}


class CountViews:
    def __init__(self, app: ASGIApp, counter: ViewCounter, settings: Settings) -> None:
        self.app = app
        self.counter = counter
        self.settings = settings
        counter.own_host = urlsplit(settings.public_url).hostname or ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/@") or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        page = PAGE_PATH.match(path.lower())
        if page is None:
            await self.app(scope, receive, send)
            return
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        if status == 200:
            try:
                await self._count(scope, page.group(1), page.group(2) or "")
            except Exception:  # counting must never cost a buyer their page
                _log.warning("view not counted", exc_info=True)

    async def _count(self, scope: Scope, handle: str, slug: str) -> None:
        headers: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in _WANTED:
                headers[name] = value.decode("latin-1")
        full = self.counter.note(
            handle,
            slug,
            scope.get("query_string", b"").decode("latin-1"),
            headers.get(b"referer", ""),
            headers.get(b"user-agent", "")[:512],
            self._address(scope, headers),
        )
        if full:
            await self.counter.absorb()

    def _address(self, scope: Scope, headers: dict[bytes, str]) -> str:
        """The visitor's address, as ``web.client_ip`` finds it for a request."""
        if self.settings.edge_secret:
            named = {name.decode(): value for name, value in headers.items()}
            viewer = edge_viewer_address(self.settings.edge_secret, named)
            if viewer is not None:
                return viewer
        if self.settings.trust_forwarded_for and headers.get(b"x-forwarded-for"):
            return headers[b"x-forwarded-for"].split(",")[-1].strip()[:45]
        client = scope.get("client")
        return str(client[0]) if client else ""

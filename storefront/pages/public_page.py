"""What every public (buyer) page shares: rendered when it changes, kept compressed, revalidated by ETag, no cookies.

Public pages set no cookie, so a CDN may keep them and the CSRF middleware must leave them alone
(``PUBLIC_OPT``); their few forms are protected by ``check_same_origin`` and a rate limit instead.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response
from litestar.exceptions import PermissionDeniedException

from windsurf.core.rendered_pages import StoredPage
from windsurf.settings import Settings

Req = Request[Any, Any, Any]
# Browsers revalidate every time (max-age=0); a CDN may serve a page for a minute and a stale one while it
# refetches. The render job starts a new version in the page cache after storing new pages, so the app itself
# moves on to them at once (other processes within their near cache's few seconds).
CACHE_CONTROL = "public, max-age=0, must-revalidate, s-maxage=60, stale-while-revalidate=300"
VARY = "Accept-Encoding, Accept-Language, Cookie"
# No CSRF cookie; and no compression middleware: the page is compressed once, when it is cached.
PUBLIC_OPT = {"exclude_from_csrf": True, "skip_compression": True}


@dataclass(frozen=True)
class CachedPage:
    """A public page as kept in the page cache: its ETag, its language and its gzip encoding.

    Only the compressed bytes are kept (nearly every browser accepts gzip); the rare client that does not gets
    them decompressed, once per process and entry.
    """

    etag: str
    locale: str
    gzipped: bytes

    @classmethod
    def of(cls, html: str, locale: str) -> CachedPage:
        body = html.encode()
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        return cls(etag=etag, locale=locale, gzipped=gzip.compress(body, compresslevel=9, mtime=0))

    @classmethod
    def of_stored(cls, stored: StoredPage) -> CachedPage:
        return cls(etag=stored.etag, locale=stored.language, gzipped=stored.body_gzip)

    @functools.cached_property
    def html(self) -> bytes:
        return gzip.decompress(self.gzipped)

    def encode(self) -> bytes:
        return f"{self.etag}\n{self.locale}\n".encode() + self.gzipped

    @classmethod
    def decode(cls, raw: bytes) -> CachedPage:
        etag, locale, gzipped = raw.split(b"\n", 2)
        return cls(etag=etag.decode(), locale=locale.decode(), gzipped=gzipped)


def answer(
    page: CachedPage, *, if_none_match: str | None, accept_encoding: str
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for ``page``: 304 when the browser's copy is current, gzip when accepted."""
    headers = {
        "ETag": page.etag,
        "Cache-Control": CACHE_CONTROL,
        "Vary": VARY,
        "Content-Language": page.locale,
    }
    if if_none_match and page.etag in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}:
        return 304, headers, b""
    if "gzip" in accept_encoding:
        headers["Content-Encoding"] = "gzip"
        return 200, headers, page.gzipped
    return 200, headers, page.html


def respond(request: Req, page: CachedPage) -> Response[Any]:
    status, headers, body = answer(
        page,
        if_none_match=request.headers.get("if-none-match"),
        accept_encoding=request.headers.get("accept-encoding", ""),
    )
    media_type = MediaType.HTML if status == 200 else None
    return Response(content=body, status_code=status, media_type=media_type, headers=headers)


def check_same_origin(request: Req, settings: Settings) -> None:
    """Public pages set no cookie, so their forms carry no CSRF token: refuse posts from foreign sites."""
    site = request.headers.get("sec-fetch-site")
    if site and site not in {"same-origin", "none"}:
        raise PermissionDeniedException()
    origin = request.headers.get("origin")
    if origin and origin != "null":
        allowed = {f"{request.url.scheme}://{request.url.netloc}"}
        public = urlsplit(settings.public_url)
        allowed.add(f"{public.scheme}://{public.netloc}")
        if origin.rstrip("/") not in allowed:
            raise PermissionDeniedException()
    elif origin == "null":
        raise PermissionDeniedException()


# A moved store's old address: an hour in browsers and the CDN, not for ever (a 301 without it is cached
# indefinitely), because the creator may take the old handle back and the redirect must then stop.
MOVED_CACHE_CONTROL = "public, max-age=3600"


def moved(path: str) -> Response[Any]:
    """301 to where a store (or one of its products) now lives, after its creator changed their handle."""
    return Response(
        content=None, status_code=301, headers={"Location": path, "Cache-Control": MOVED_CACHE_CONTROL}
    )

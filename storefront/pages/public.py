"""Pages anybody can open: the home page and a creator's store at /@handle.

The store page is the one buyers open from a TikTok or Telegram bio, often over 3G, and the most requested
page of the platform. It sets no cookie (so a CDN may keep it), answers revalidations with 304, and is never
rendered on a buyer's request: it is rendered when it changes and stored (``rendering``), then served from the
near cache, Redis or the stored row. The cache key is the handle, the address's content version and the
visitor's language; the render job bumps the version, nothing is ever purged.
"""

from __future__ import annotations

import contextlib
import re
from http.cookies import CookieError, SimpleCookie
from typing import Any, cast

from litestar import MediaType, Response, Router, post, route
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    Scope,
    Send,
)

from storefront.pages import public_page, rendering, store_view
from windsurf.core import i18n, web
from windsurf.core.errors import InvalidInput, NotFoundError
from windsurf.core.pagecache import PageCache
from windsurf.core.ratelimit import Limit
from windsurf.dependencies import PageCacheDep, RateLimiterDep, RendererDep, SettingsDep, UowDep, ViewerDep
from windsurf.identity import service as identity
from windsurf.stores import service as stores

Req = HTMXRequest
STORE_LEAD = Limit("store-lead", per_ip=10, per_account=300, window_seconds=60 * 60)
_HANDLE = re.compile(r"^@[a-z0-9_]{1,30}$")
STORE_ROUTE = "/{segment}"  # store_page's route template


@route("/", http_method=["GET", "HEAD"])
async def home(request: Req, viewer: ViewerDep, renderer: RendererDep) -> Response[Any]:
    return renderer.render(request, "public/home.html")


def _handle(segment: str) -> str:
    segment = segment.lower()
    if not _HANDLE.match(segment):
        raise NotFoundError()
    return segment[1:]


@route("/{segment:str}", http_method=["GET", "HEAD"], opt=public_page.PUBLIC_OPT)
async def store_page(
    request: Req,
    segment: FromPath[str],
    uow: UowDep,
    page_cache: PageCacheDep,
    settings: SettingsDep,
) -> Response[Any]:
    """/@handle. Litestar parameters are whole path segments, so the '@' is checked here; a store's address
    typed without it (/handle) is sent to the real one."""
    if not segment.startswith("@") and _HANDLE.match(f"@{segment.lower()}"):
        if await identity.find_by_handle(uow, segment.lower()) is None:
            raise NotFoundError()
        return Redirect(path=f"/@{segment.lower()}", status_code=301)
    handle = _handle(segment)
    chosen = request.query_params.get("lang")
    if chosen is not None:  # the footer's language link: remember the choice, then show the clean URL
        response = Redirect(path=f"/@{handle}", status_code=303, headers={"Cache-Control": "no-store"})
        web.remember_language(settings, response, chosen)
        return response
    # The store's own language on a first visit (the creator chose it); the buyer's choice (the cookie the
    # language link sets) after that. A phone's Accept-Language says little about what a buyer reads.
    preferred = i18n.preferred_locale(request.cookies.get(i18n.LANGUAGE_COOKIE), None)
    try:
        page = await rendering.serve(uow, page_cache, settings, handle, "", preferred)
    except NotFoundError:
        moved = await identity.handle_moved_to(uow, handle)
        if moved is None:
            raise
        return public_page.moved(f"/@{moved}")
    return public_page.respond(request, page)


@post("/subscribe/{segment:str}", opt={"exclude_from_csrf": True})
async def subscribe(
    request: Req,
    segment: FromPath[str],
    uow: UowDep,
    renderer: RendererDep,
    rate_limiter: RateLimiterDep,
    settings: SettingsDep,
) -> Response[Any]:
    """A buyer leaves an email or phone in a capture block; works as a plain form and as an htmx swap."""
    handle = _handle(f"@{segment}")
    public_page.check_same_origin(request, settings)
    account = await identity.find_by_handle(uow, handle)
    tenant = await uow.act_for(account.id) if account else None
    published = await stores.get_published(tenant) if tenant else None
    if account is None or tenant is None or published is None:
        raise NotFoundError()
    doc, published_at = published
    form = await web.form_fields(request, "block", "contact")
    block = doc.block(form["block"][:32])
    locale = renderer.locale(request, default=doc.language)
    await rate_limiter.hit(STORE_LEAD, ip=web.client_ip(request, settings), account=handle)
    error, status = None, 200
    try:
        await stores.add_lead(tenant, block.id, form["contact"][:254])
    except InvalidInput as exc:
        error, status = exc.errors.get("contact"), 422
    view = store_view.build_view(settings, handle, account.display_name, doc, [], published_at=published_at)
    html = store_view.render_store_html(
        renderer.env,
        request.state.translations,
        locale,
        view,
        htmx_path=renderer.htmx_path,
        template="store/joined.html",
        part="capture" if request.htmx else None,
        **{"block": block, "joined": error is None, "error": error},
    )
    return Response(
        html,
        status_code=status,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store", "Vary": "HX-Request"},
    )


router = Router(path="/", route_handlers=[home, store_page, subscribe], include_in_schema=False)


class CachedStorePages:
    """ASGI fast path for the platform's most requested page: a cached /@handle answered before routing.

    A hit needs no framework at all: the handle, the visitor's language (cookie, then Accept-Language) and the
    near cache give the stored page, answered exactly as ``store_page`` would answer it. Anything else (a miss,
    a query string, another path) goes on to the application, which reads the stored page and caches it.
    """

    def __init__(self, app: ASGIApp, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["query_string"] and _HANDLE.match(scope["path"][1:].lower()):
            http_scope = cast(HTTPScope, scope)
            method = http_scope["method"]
            if method in {"GET", "HEAD"} and await self._answer(http_scope, send, head=method == "HEAD"):
                http_scope["path_template"] = STORE_ROUTE  # counted in /metrics as store_page would be
                return
        await self.app(scope, receive, send)

    async def _cached(self, handle: str, preferred: str | None) -> public_page.CachedPage | None:
        version = await self.cache.version(rendering.scope(handle))
        raw = await self.cache.get(rendering.page_key(handle, "", version, preferred))
        return public_page.CachedPage.decode(raw) if raw else None

    async def _answer(self, scope: HTTPScope, send: Send, *, head: bool) -> bool:
        headers = {name: value.decode("latin-1") for name, value in scope["headers"]}
        raw_cookie = headers.get(b"cookie", "")
        language = None
        if f"{i18n.LANGUAGE_COOKIE}=" in raw_cookie:  # parsing cookies is costly; most buyers send none
            cookie: SimpleCookie = SimpleCookie()
            with contextlib.suppress(CookieError):
                cookie.load(raw_cookie)
            morsel = cookie.get(i18n.LANGUAGE_COOKIE)
            language = morsel.value if morsel else None
        preferred = i18n.preferred_locale(language, None)  # as store_page: the cookie, else the store's
        page = await self._cached(scope["path"][2:].lower(), preferred)
        if page is None:
            return False
        status, extra, body = public_page.answer(
            page,
            if_none_match=headers.get(b"if-none-match"),
            accept_encoding=headers.get(b"accept-encoding", ""),
        )
        raw = [(name.lower().encode(), value.encode()) for name, value in extra.items()]
        if status == 200:
            raw += [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", b"%d" % len(body))]
        start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": raw}
        await send(start)
        message: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": b"" if head else body,
            "more_body": False,
        }
        await send(message)
        return True

"""Rendering pages and fragments for a request, in the request's language.

A face plugin (the storefront) builds one ``Renderer`` over its templates and translations and hands it to
handlers as the ``renderer`` dependency. Each request gets its language once (``Renderer.locale``): the ``lang``
cookie, then Accept-Language, then the platform default (or the default a page passes, such as a store's
language). An htmx request can ask for one block of the same template, so a fragment is always exactly what the
full page would show.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment
from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope
from litestar.utils.scope.state import ScopeState

from windsurf.core import i18n
from windsurf.settings import Settings

HTML = "text/html"  # Litestar appends "; charset=utf-8"
# What a page for one person (a creator's builder, a buyer's library) sends: no cache, shared or the browser's,
# keeps a copy that outlives the session.
PRIVATE_CACHE = "private, no-store"
RENDERER_STATE = "renderer"  # where the face plugin leaves its renderer for the exception handlers


@dataclass(frozen=True)
class Renderer:
    """The templates, translations and settings a page needs; one per application."""

    env: Environment
    locales_dir: Path
    settings: Settings
    htmx_path: str

    def locale(self, request: Request[Any, Any, Any], default: str | None = None) -> str:
        """The request's language, decided once; ``default`` (a store's language) replaces the platform's."""
        state = request.state
        if "locale" not in state:
            state.locale = i18n.negotiate_locale(
                request.cookies.get(i18n.LANGUAGE_COOKIE),
                request.headers.get("accept-language"),
                default or self.settings.default_locale,
            )
            state.translations = i18n.translations_for(self.locales_dir, state.locale)
        return str(state.locale)

    def translations(self, locale: str) -> Any:
        return i18n.translations_for(self.locales_dir, locale)

    def gettext(self, request: Request[Any, Any, Any], message: str, **variables: Any) -> str:
        self.locale(request)
        translated = request.state.translations.gettext(message)
        return translated % variables if variables else translated

    def html(
        self,
        request: Request[Any, Any, Any],
        template: str,
        context: dict[str, Any] | None = None,
        *,
        block: str | None = None,
    ) -> str:
        locale = self.locale(request)
        token = csrf_token(request)
        full_context = {
            # A private page marks itself out of htmx's history cache (base.html), which would otherwise keep
            # a copy in sessionStorage that Back brings back after logging out.
            "private_page": is_private(request),
            "request": request,
            "locale": locale,
            "translations": request.state.translations,
            "csrf_token": token,
            "csrf_input": f'<input type="hidden" name="_csrf_token" value="{html.escape(token)}">',
            "settings": self.settings,
            "htmx_path": self.htmx_path,
            "account": request.state.get("account"),
            **(context or {}),
        }
        compiled = self.env.get_template(template)
        if block is None:
            return compiled.render(full_context)
        block_context = compiled.new_context(full_context)
        return "".join(compiled.blocks[block](block_context))

    def render(
        self,
        request: Request[Any, Any, Any],
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
        block: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response[str]:
        """A full page, or with ``block`` the named block of it (for htmx swaps).

        A page that sends ``no-store`` (a buyer's library or order) or is rendered for a logged-in account is
        private: it is kept out of every cache, the browser's and htmx's history alike."""
        if "no-store" in (headers or {}).get("Cache-Control", ""):
            mark_private(request)
        content = self.html(request, template, context, block=block)
        response_headers = {
            "Vary": "HX-Request, Cookie, Accept-Language",
            "Content-Language": self.locale(request),
        }
        if is_private(request):
            response_headers["Cache-Control"] = PRIVATE_CACHE
        if status_code >= 400 and request.headers.get("hx-request"):
            # A boosted form that failed would put its action URL in the address bar, which a reload then
            # asks for with GET; the page the form is on stays there instead.
            response_headers["HX-Push-Url"] = "false"
        response_headers.update(headers or {})
        return Response(content, status_code=status_code, media_type=HTML, headers=response_headers)


def mark_private(request: Request[Any, Any, Any]) -> None:
    """Declare the page being answered private (see ``is_private``)."""
    request.state.private_page = True


def is_private(request: Request[Any, Any, Any]) -> bool:
    """A page for one person: declared so, or rendered while somebody is logged in (its header names them)."""
    return bool(request.state.get("private_page")) or request.state.get("account") is not None


async def keep_private(message: Message, scope: Scope) -> None:
    """``before_send``: whatever answers a private request (an htmx fragment or a JSON document as much as a
    page) and chose no caching of its own is sent ``no-store``, so no copy outlives the session."""
    if message["type"] != "http.response.start":
        return
    state = scope.get("state") or {}
    if not state.get("private_page") and state.get("account") is None:
        return
    headers = MutableScopeHeaders(message)
    if "cache-control" not in headers:
        headers["Cache-Control"] = PRIVATE_CACHE


def renderer_for(request: Request[Any, Any, Any]) -> Renderer | None:
    """The face's renderer, for exception handlers only: Litestar gives them no dependencies."""
    renderer = request.app.state.get(RENDERER_STATE)
    return renderer if isinstance(renderer, Renderer) else None


def csrf_token(request: Request[Any, Any, Any]) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


EDGE_SECRET_HEADER = "x-windsurf-origin"  # noqa: S105 - a header name
VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"


def edge_viewer_address(secret: str, headers: Any) -> str | None:
    """CloudFront's `CloudFront-Viewer-Address` ("ip:port", IPv6 too), only when the request carries the edge's
    secret: anybody else can send that header, and rate limits must not key on a value the caller chose."""
    presented = headers.get(EDGE_SECRET_HEADER, "")
    if not secret or not presented or not hmac.compare_digest(presented.encode(), secret.encode()):
        return None
    address = headers.get(VIEWER_ADDRESS_HEADER, "").rpartition(":")[0].strip("[]")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_ip(request: Request[Any, Any, Any], settings: Settings) -> str:
    """The caller's address: the viewer CloudFront saw when the request came through our edge; otherwise,
    behind our load balancer, the last X-Forwarded-For hop is the one it saw."""
    viewer = edge_viewer_address(settings.edge_secret, request.headers)
    if viewer is not None:
        return viewer
    if settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:45]
    return request.client.host if request.client else "unknown"


async def form_fields(request: Request[Any, Any, Any], *names: str) -> dict[str, str]:
    """The named text fields of a posted form; a missing or non-text field reads as an empty string."""
    form = await request.form()
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name, "")
        values[name] = value if isinstance(value, str) else ""
    return values


def remember_language(settings: Settings, response: Response[Any], locale: str) -> None:
    """Keep the visitor's language choice for a year (Secure in production, like every cookie we set)."""
    if locale in i18n.SUPPORTED_LOCALES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            locale,
            path="/",
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=settings.is_production,
        )

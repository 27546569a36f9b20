"""The buyer's product page /@handle/<slug>, lead capture for lead magnets, and lead magnet delivery.

The page is the same for every buyer of a language, so it is rendered once into the page cache (keyed by the
creator's content version and the language) and revalidated with an ETag. It sets no cookie: the routes are
excluded from the CSRF middleware. Its one form (lead capture) is protected instead by an Origin /
Sec-Fetch-Site check (a cross-site post is refused) and a rate limit, and works with JavaScript off.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, Router, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath

from storefront.pages.builder_products import file_response
from windsurf.catalog import service
from windsurf.catalog.service import ProductView
from windsurf.core import web
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.ratelimit import Limit
from windsurf.identity import service as identity
from windsurf.identity.service import Account

Req = Request[Any, Any, Any]
PUBLIC = {"exclude_from_csrf": True}
CACHE_CONTROL = "public, max-age=0, s-maxage=60, stale-while-revalidate=30"
NO_STORE = "private, no-store"
LEAD_CAPTURE = Limit("lead-capture", per_ip=20, per_account=5, window_seconds=15 * 60)


async def _creator(segment: str) -> Account:
    handle = segment.removeprefix("@")
    creator = await identity.find_by_handle(handle) if segment.startswith("@") and len(handle) <= 30 else None
    if creator is None:
        raise NotFoundError()
    return creator


async def _product(creator: Account, slug: str) -> ProductView:
    product = await service.public_product(creator.id, slug)
    if product is None:
        raise NotFoundError()
    return product


def _absolute(request: Req, url: str) -> str:
    return f"{request.app.state.settings.public_url.rstrip('/')}{url}" if url.startswith("/") else url


def _context(request: Req, creator: Account, product: ProductView, **extra: Any) -> dict[str, Any]:
    cover = product.cover or ()
    og_image = cover[-1] if cover else None
    return {
        "creator": creator,
        "product": product,
        "cover": cover,
        "srcset": ", ".join(f"{url} {width}w" for url, width, _ in cover),
        "og_image": (_absolute(request, og_image[0]), og_image[1], og_image[2]) if og_image else None,
        "page_url": _absolute(request, f"/@{creator.handle}/{product.slug}"),
        "errors": {},
        "form": {},
        **extra,
    }


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(request: Req, etag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(",")) or header.strip() == "*"


@get("/{segment:str}/{slug:str}", opt=PUBLIC)
async def product_page(request: Req, segment: FromPath[str], slug: FromPath[str]) -> Response[Any]:
    creator = await _creator(segment)
    locale = web.request_locale(request)
    cache = request.app.state.page_cache
    version = await cache.version(creator.id)
    key = f"product:{creator.id}:{version}:{locale}:{slug[:80]}"
    body = await cache.get(key)
    if body is None:
        product = await _product(creator, slug)
        body = web.render_html(request, "store/product.html", _context(request, creator, product)).encode()
        await cache.set(key, body)
    etag = _etag(body)
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Cookie, Accept-Language",
        "Content-Language": locale,
    }
    if _matches(request, etag):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=web.HTML, headers=headers)


def same_origin(request: Req) -> bool:
    """True unless the browser tells us the post comes from another site (Sec-Fetch-Site, then Origin)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in {"same-origin", "none"}
    origin = request.headers.get("origin")
    if origin is None:
        return True  # an old browser that sends neither header; the rate limit still applies
    own = {
        _origin(request.app.state.settings.public_url),
        f"{request.url.scheme}://{request.headers.get('host', '')}",
    }
    return origin in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@post("/{segment:str}/{slug:str}/lead", opt=PUBLIC)
async def capture_lead(request: Req, segment: FromPath[str], slug: FromPath[str]) -> Response[Any]:
    if not same_origin(request):
        raise PermissionDeniedException()
    creator = await _creator(segment)
    product = await _product(creator, slug)
    form = await web.form_fields(request, "contact")
    headers = {"Cache-Control": NO_STORE}
    try:
        await request.app.state.rate_limiter.hit(
            LEAD_CAPTURE, ip=web.client_ip(request), account=f"{product.id}:{form['contact'].strip()[:254]}"
        )
        lead = await service.capture_lead(creator.id, product.id, form["contact"])
    except NotFoundError:
        raise
    except ServiceError as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else {"contact": exc.message}
        context = _context(request, creator, product, errors=errors, form=form)
        return web.render(request, "store/product.html", context, status_code=422, headers=headers)
    secret = request.app.state.settings.secret_key
    downloads = [
        (
            info,
            f"/@{creator.handle}/{product.slug}/files/{info.id}"
            f"?t={service.delivery_token(secret, lead.id, info.id)}",
        )
        for info in product.files
    ]
    context = {"creator": creator, "product": product, "downloads": downloads}
    return web.render(request, "store/lead_thanks.html", context, headers=headers)


@get("/{segment:str}/{slug:str}/files/{file_id:uuid}", opt=PUBLIC)
async def lead_magnet_file(
    request: Req, segment: FromPath[str], slug: FromPath[str], file_id: FromPath[uuid.UUID]
) -> Response[Any]:
    """A lead magnet's file, for whoever holds the signed link shown after they left their contact."""
    creator = await _creator(segment)
    product = await _product(creator, slug)
    info = await service.delivered_file(
        request.app.state.settings.secret_key,
        creator.id,
        product.id,
        file_id,
        request.query_params.get("t", "")[:200],
    )
    return await file_response(request, info)


router = Router(
    path="/", route_handlers=[product_page, capture_lead, lead_magnet_file], include_in_schema=False
)

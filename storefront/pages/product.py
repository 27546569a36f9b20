"""The buyer's product page /@handle/<slug>, lead capture for lead magnets, and lead magnet delivery.

The page is the same for every buyer of a language, so it is rendered when the product changes and stored
(``rendering``), served from the near cache, Redis or the stored row, and revalidated with an ETag. It sets no
cookie: the routes are excluded from the CSRF middleware. Its one form (lead capture) is protected instead by an
Origin / Sec-Fetch-Site check (a cross-site post is refused) and a rate limit, and works with JavaScript off.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Request, Response, Router, get, post, route
from litestar.params import FromPath
from litestar.response import Redirect

from storefront.pages import public_page, rendering
from storefront.pages.builder_products import file_response
from windsurf.catalog import service, validation
from windsurf.catalog.service import ProductView
from windsurf.core import i18n, web
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.ratelimit import Limit
from windsurf.core.uow import Tenant, UnitOfWork
from windsurf.dependencies import PageCacheDep, RateLimiterDep, RendererDep, SettingsDep, StorageDep, UowDep
from windsurf.identity import service as identity
from windsurf.identity.service import Account
from windsurf.settings import Settings
from windsurf.stores import service as stores

Req = Request[Any, Any, Any]
NO_STORE = "private, no-store"
_HANDLE = re.compile(r"^[a-z0-9_]{1,30}$")
LEAD_CAPTURE = Limit("lead-capture", per_ip=20, per_account=5, window_seconds=15 * 60)


async def _creator(uow: UnitOfWork, segment: str) -> tuple[Account, Tenant]:
    """The store's creator, and the request's unit of work acting for it (its products are its rows)."""
    handle = segment.removeprefix("@")
    ok = segment.startswith("@") and len(handle) <= 30
    creator = await identity.find_by_handle(uow, handle) if ok else None
    if creator is None:
        raise NotFoundError()
    return creator, await uow.act_for(creator.id)


async def _product(tenant: Tenant, slug: str) -> ProductView:
    product = await service.public_product(tenant, slug)
    if product is None:
        raise NotFoundError()
    return product


def _handle_of(segment: str, slug: str) -> str:
    """The handle of a well-formed product address (/@handle/slug); anything else is a 404."""
    handle = segment.removeprefix("@").lower()
    if not segment.startswith("@") or not _HANDLE.match(handle) or not validation.SLUG_PATTERN.match(slug):
        raise NotFoundError()
    return handle


def _back_to_page(request: Req, settings: Settings, handle: str, slug: str) -> Response[Any]:
    """To the product page's clean URL, remembering the language asked for (if any)."""
    response = Redirect(path=f"/@{handle}/{slug}", status_code=303, headers={"Cache-Control": "no-store"})
    web.remember_language(settings, response, request.query_params.get("lang", ""))
    return response


@route("/{segment:str}/{slug:str}", http_method=["GET", "HEAD"], opt=public_page.PUBLIC_OPT)
async def product_page(
    request: Req,
    segment: FromPath[str],
    slug: FromPath[str],
    uow: UowDep,
    page_cache: PageCacheDep,
    settings: SettingsDep,
) -> Response[Any]:
    """Never rendered here: the stored page (near cache, Redis, row); nobody asked for a language, the
    store's own language, as on the store page."""
    handle = _handle_of(segment, slug)
    if request.query_params.get("lang") is not None:  # the footer's language link
        return _back_to_page(request, settings, handle, slug)
    # The store's own language on a first visit (the creator chose it); the buyer's choice (the cookie the
    # language link sets) after that. A phone's Accept-Language says little about what a buyer reads.
    preferred = i18n.preferred_locale(request.cookies.get(i18n.LANGUAGE_COOKIE), None)
    try:
        page = await rendering.serve(uow, page_cache, settings, handle, slug, preferred)
    except NotFoundError:
        moved = await identity.handle_moved_to(uow, handle)
        if moved is None:
            raise
        return public_page.moved(f"/@{moved}/{slug}")
    return public_page.respond(request, page)


@get("/{segment:str}/{slug:str}/lead", opt=public_page.PUBLIC_OPT)
async def lead_form_address(
    request: Req, segment: FromPath[str], slug: FromPath[str], settings: SettingsDep
) -> Response[Any]:
    """The address the capture form leaves in the address bar: a reload, or the language link of the thank-you
    page or of a form error, comes back to the product page (which holds the form) instead of a 405."""
    return _back_to_page(request, settings, _handle_of(segment, slug), slug)


@post("/{segment:str}/{slug:str}/lead", opt=public_page.PUBLIC_OPT)
async def capture_lead(
    request: Req,
    segment: FromPath[str],
    slug: FromPath[str],
    uow: UowDep,
    renderer: RendererDep,
    rate_limiter: RateLimiterDep,
    settings: SettingsDep,
) -> Response[Any]:
    public_page.check_same_origin(request, settings)
    creator, tenant = await _creator(uow, segment)
    product = await _product(tenant, slug)
    form = await web.form_fields(request, "contact")
    headers = {"Cache-Control": NO_STORE}
    try:
        await rate_limiter.hit(
            LEAD_CAPTURE,
            ip=web.client_ip(request, settings),
            account=f"{product.id}:{form['contact'].strip()[:254]}",
        )
        lead = await service.capture_lead(tenant, product.id, form["contact"])
    except NotFoundError:
        raise
    except ServiceError as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else {"contact": exc.message}
        published = await stores.get_published(tenant)
        context = rendering.product_context(
            settings, creator, product, published[0] if published else None, errors=errors, form=form
        )
        return renderer.render(request, "store/product.html", context, status_code=422, headers=headers)
    secret = settings.secret_key
    downloads = [
        (
            info,
            f"/@{creator.handle}/{product.slug}/files/{info.id}"
            f"?t={service.delivery_token(secret, lead.id, info.id)}",
        )
        for info in product.files
    ]
    context = {"creator": creator, "product": product, "downloads": downloads}
    return renderer.render(request, "store/lead_thanks.html", context, headers=headers)


@get("/{segment:str}/{slug:str}/files/{file_id:uuid}", opt=public_page.PUBLIC_OPT)
async def lead_magnet_file(
    request: Req,
    segment: FromPath[str],
    slug: FromPath[str],
    file_id: FromPath[uuid.UUID],
    uow: UowDep,
    settings: SettingsDep,
    storage: StorageDep,
) -> Response[Any]:
    """A lead magnet's file, for whoever holds the signed link shown after they left their contact."""
    _creator_account, tenant = await _creator(uow, segment)
    product = await _product(tenant, slug)
    info = await service.delivered_file(
        tenant, settings.secret_key, product.id, file_id, request.query_params.get("t", "")[:200]
    )
    return await file_response(storage, info)


router = Router(
    path="/",
    route_handlers=[product_page, lead_form_address, capture_lead, lead_magnet_file],
    include_in_schema=False,
)

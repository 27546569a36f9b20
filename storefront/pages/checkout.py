"""The buyer's checkout: the form at /checkout/<handle>/<slug> and the order page at /checkout/order/<token>.

One plain form (works with JavaScript off). The price never comes from it: the server builds the ``Offer`` from
the catalog, so a tampered price, currency or quantity field is simply not read. The form carries a one-time
submission key, so a double tap, a refresh or the back button give the same order. Placing the order commits in
its own unit of work before the provider is asked (a provider call must not hold a transaction, and the payment
service reads the order in a unit of its own); the buyer then lands on the order page, which refreshes itself
(``<meta http-equiv="refresh">``) while the payment is pending and shows the downloads once it is paid.

The order page is named by a signed token (creator and order), never by a bare id. It links to the provider's
hosted page (a link, not a form: the CSP's form-action only allows our origin) or shows the payment code.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from windsurf.analytics import classify
from windsurf.catalog import service as catalog
from windsurf.catalog.service import ProductView
from windsurf.catalog.validation import parse_price, santim_to_input
from windsurf.checkout import service as checkout
from windsurf.checkout.service import OrderError, OrderView
from windsurf.core import security, web
from windsurf.core.errors import InvalidInput, NotFoundError
from windsurf.core.i18n import N_
from windsurf.core.ratelimit import Limit
from windsurf.core.uow import Tenant, UnitOfWork, tenant_for, unit_of_work
from windsurf.core.web import Renderer
from windsurf.delivery import service as delivery
from windsurf.dependencies import ProvidersDep, RateLimiterDep, RendererDep, SettingsDep, UowDep
from windsurf.identity import service as identity
from windsurf.identity.service import Account
from windsurf.identity.validation import FieldError, clean_email, clean_phone
from windsurf.payments import service as payments
from windsurf.payments.providers.base import ERROR_MESSAGES, ErrorCode, PaymentError
from windsurf.payments.providers.registry import Providers
from windsurf.settings import Settings
from windsurf.stores import service as stores

Req = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "private, no-store"}
CHECKOUT = Limit("checkout", per_ip=30, per_account=8, window_seconds=15 * 60)
FIELDS = ("name", "email", "phone", "method", "discount_code", "amount", "submission_key", "src")
METHOD_LABELS = {
    "telebirr": N_("telebirr"),
    "cbebirr": N_("CBE Birr"),
    "mpesa": N_("M-Pesa"),
    "card": N_("Bank card"),
    "webirr": N_("Payment code (any bank or wallet app)"),
}
REFRESH_SECONDS = 5


# --- the order token ----------------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _order_signature(secret_key: str, body: str) -> str:
    return security.keyed_digest(secret_key, f"order-page:{body}")[:32]


def order_token(secret_key: str, creator_id: uuid.UUID, order_id: uuid.UUID) -> str:
    """The order page's name: creator and order, signed, so nobody can guess or walk to another order."""
    body = _b64(creator_id.bytes + order_id.bytes)
    return f"{body}.{_order_signature(secret_key, body)}"


def read_order_token(secret_key: str, token: str) -> tuple[uuid.UUID, uuid.UUID]:
    body, _, signature = token[:200].partition(".")
    if not body or not security.digests_match(_order_signature(secret_key, body), signature):
        raise NotFoundError()
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:
        raise NotFoundError() from None
    if len(raw) != 32:
        raise NotFoundError()
    return uuid.UUID(bytes=raw[:16]), uuid.UUID(bytes=raw[16:])


def order_path(settings: Settings, creator_id: uuid.UUID, order_id: uuid.UUID) -> str:
    return f"/checkout/order/{order_token(settings.secret_key, creator_id, order_id)}"


# --- the checkout form --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shop:
    creator: Account
    tenant: Tenant
    product: ProductView


async def _shop(uow: UnitOfWork, handle: str, slug: str) -> Shop:
    """The creator and the paid, published product a checkout URL names; anything else is a 404."""
    handle = handle.removeprefix("@")
    creator = await identity.find_by_handle(uow, handle) if 0 < len(handle) <= 30 else None
    if creator is None or len(slug) > 80:
        raise NotFoundError()
    tenant = await uow.act_for(creator.id)
    product = await catalog.public_product(tenant, slug)
    if product is None or not product.is_paid:
        raise NotFoundError()
    # Selling waits until the creator's email or phone is verified: nobody pays a store nobody can reach.
    identity.require_verified(creator, N_("This store cannot take orders yet. Please contact the creator."))
    return Shop(creator, tenant, product)


def _offer(shop: Shop) -> checkout.Offer:
    product = shop.product
    return checkout.Offer(
        product_id=product.id,
        creator_id=shop.creator.id,
        title=product.title,
        price_santim=product.price_santim,
        pwyw_min_santim=product.pwyw_min_santim,
        sales_limit=product.sales_limit,
    )


async def _methods(shop: Shop, providers: Providers) -> list[str]:
    """What the buyer may choose: the enabled providers' methods, less those whose kill switch is off."""
    off = await payments.switched_off(shop.tenant.uow, providers, shop.creator.id)
    return payments.available_methods(providers, off)


async def _form_page(
    request: Req,
    renderer: Renderer,
    shop: Shop,
    providers: Providers,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    alert: str = "",
    status_code: int = 200,
) -> Response[Any]:
    renderer.locale(request, default=await stores.default_language(shop.tenant))
    methods = await _methods(shop, providers)
    context = {
        "creator": shop.creator,
        "product": shop.product,
        "form": form,
        "errors": errors or {},
        "alert": alert,
        "methods": [(method, METHOD_LABELS[method]) for method in methods],
        "action": f"/checkout/{shop.creator.handle}/{shop.product.slug}",
    }
    return renderer.render(request, "checkout/form.html", context, status_code=status_code, headers=NO_STORE)


@get("/checkout/{handle:str}/{slug:str}")
async def checkout_page(
    request: Req,
    handle: FromPath[str],
    slug: FromPath[str],
    uow: UowDep,
    renderer: RendererDep,
    payment_providers: ProvidersDep,
    settings: SettingsDep,
) -> Response[Any]:
    shop = await _shop(uow, handle, slug)
    methods = await _methods(shop, payment_providers)
    form = {
        "submission_key": secrets.token_urlsafe(24),
        "method": methods[0] if methods else "",
        "amount": santim_to_input(shop.product.pwyw_min_santim),
        # The source the product page was reached from (its Referer, or a ?src= it still carries): no
        # cookie remembers it, so the form does.
        "src": classify.source_of(
            request.url.query,
            request.headers.get("referer", ""),
            urlsplit(settings.public_url).hostname or "",
        ),
    }
    return await _form_page(request, renderer, shop, payment_providers, form=form)


def _clean(form: dict[str, str], shop: Shop, methods: list[str], locale: str) -> checkout.CheckoutRequest:
    """The typed form as a checkout request, or InvalidInput naming every field that is wrong."""
    errors: dict[str, str] = {}
    name = form["name"].strip()
    if not name:
        errors["name"] = N_("Please enter your name.")
    elif len(name) > checkout.NAME_MAX:
        errors["name"] = N_("Please use at most 100 characters.")
    email = phone = None
    try:
        email = clean_email(form["email"]) if form["email"].strip() else None
    except FieldError as exc:
        errors["email"] = exc.message
    try:
        phone = clean_phone(form["phone"]) if form["phone"].strip() else None
    except FieldError as exc:
        errors["phone"] = exc.message
    if not form["email"].strip() and not form["phone"].strip():
        errors["email"] = N_("Please enter an email address or a phone number, so we can send your purchase.")
    if form["method"] in METHOD_LABELS and form["method"] not in methods:
        # Offered when the page was loaded, switched off since (or a stale form): say so, not "choose one".
        errors["method"] = N_(
            "This payment method is not available at the moment. Please choose another one."
        )
    elif form["method"] not in methods:
        errors["method"] = N_("Please choose how you want to pay.")
    offered = None
    if shop.product.pwyw_min_santim is not None:
        try:
            offered = parse_price(form["amount"])
        except FieldError as exc:
            errors["amount"] = exc.message
    key = form["submission_key"]
    if not key or len(key) > 64:
        errors["_form"] = N_("This form has expired. Please reload the page and try again.")
    if len(form["discount_code"]) > 32:
        errors["discount_code"] = N_("That discount code is not valid.")
    if errors:
        raise InvalidInput(errors)
    return checkout.CheckoutRequest(
        submission_key=key,
        buyer_name=name,
        email=email,
        phone=phone,
        method=form["method"],
        discount_code=form["discount_code"],
        offered_santim=offered,
        locale=locale,
    )


def _device(user_agent: str) -> str:
    device = classify.device_class(user_agent)
    return "desktop" if device == classify.BOT else device


def links_for(
    settings: Settings, providers: Providers, order: OrderView, off: frozenset[str] = frozenset()
) -> payments.Links:
    """The provider sends the buyer back to the order page and posts its notification to its webhook."""
    base = settings.public_url.rstrip("/")
    provider = payments.provider_for(order.method, providers, off)
    return payments.Links(
        return_url=f"{base}{order_path(settings, order.creator_id, order.id)}",
        notify_url=f"{base}/webhooks/{provider}",
    )


async def _start(settings: Settings, providers: Providers, order: OrderView, locale: str) -> str:
    """Ask the provider for the payment; the order page says what happened (an error code when it failed)."""
    path = order_path(settings, order.creator_id, order.id)
    async with unit_of_work() as uow:
        off = await payments.switched_off(uow, providers, order.creator_id)
    try:
        await payments.start_payment(
            order.creator_id,
            order.id,
            providers=providers,
            links=links_for(settings, providers, order, off),
            locale=locale,
        )
    except PaymentError as error:
        return f"{path}?e={error.code}"
    except payments.NotPayable:
        return path
    return path


@post("/checkout/{handle:str}/{slug:str}")
async def place_order(
    request: Req,
    handle: FromPath[str],
    slug: FromPath[str],
    renderer: RendererDep,
    settings: SettingsDep,
    payment_providers: ProvidersDep,
    rate_limiter: RateLimiterDep,
) -> Response[Any]:
    form = await web.form_fields(request, *FIELDS)
    form = {name: value[:300] for name, value in form.items()}
    contact = (form["email"] or form["phone"]).strip().lower()[:254]
    await rate_limiter.hit(CHECKOUT, ip=web.client_ip(request, settings), account=contact or None)
    # Not the request's unit of work: this one commits the order before the provider is asked (the payment
    # service reads it in a unit of its own, and a provider call must not hold a transaction).
    async with unit_of_work() as work:
        shop = await _shop(work, handle, slug)
        locale = renderer.locale(request, default=await stores.default_language(shop.tenant))
        try:
            wanted = _clean(form, shop, await _methods(shop, payment_providers), locale)
            wanted = dataclasses.replace(
                wanted,
                source=classify.named_source(form["src"]) or "direct",
                device=_device(request.headers.get("user-agent", "")),
            )
            order = await checkout.place_order(shop.tenant, _offer(shop), wanted)
        except InvalidInput as exc:
            return await _form_page(
                request, renderer, shop, payment_providers, form=form, errors=exc.errors, status_code=422
            )
        except OrderError as exc:
            errors = {exc.field: exc.message} if exc.field else {}
            alert = "" if exc.field else renderer.gettext(request, exc.message, **exc.variables)
            return await _form_page(
                request,
                renderer,
                shop,
                payment_providers,
                form=form,
                errors=errors,
                alert=alert,
                status_code=422 if exc.field else exc.status_code,
            )
    target = order_path(settings, order.creator_id, order.id)
    if order.status == "pending":
        target = await _start(settings, payment_providers, order, locale)
    return Redirect(path=target, status_code=303, headers=NO_STORE)


# --- the order page -----------------------------------------------------------------------------------------


def _error_message(code: str) -> str | None:
    try:
        return ERROR_MESSAGES[ErrorCode(code)][0]
    except (ValueError, KeyError):
        return None


async def _downloads(settings: Settings, tenant: Tenant, order: OrderView) -> list[tuple[str, str]]:
    grant = await delivery.grant_for(tenant, order_id=order.id)
    return [
        (
            file.filename,
            "/download/"
            + delivery.download_token(settings.secret_key, order.creator_id, grant.id, file.file_id),
        )
        for file in grant.files
    ]


async def _product_url(uow: UnitOfWork, tenant: Tenant, order: OrderView) -> str:
    creator = await identity.get_account(uow, order.creator_id)
    try:
        product = await catalog.get_product(tenant, order.product_id)
    except NotFoundError:
        product = None
    if creator is None or not creator.handle:
        return "/"
    return f"/@{creator.handle}/{product.slug}" if product else f"/@{creator.handle}"


@get("/checkout/order/{token:str}")
async def order_page(
    request: Req,
    token: FromPath[str],
    uow: UowDep,
    renderer: RendererDep,
    settings: SettingsDep,
) -> Response[Any]:
    creator_id, order_id = read_order_token(settings.secret_key, token)
    tenant = await uow.act_for(creator_id)
    order = await checkout.get_order(tenant, order_id)
    store = await stores.get_store(tenant)
    doc = store.published or store.draft
    renderer.locale(request, default=doc.language)
    attempts = await payments.attempts_for(tenant, order_id) if order.status == "pending" else []
    latest = attempts[0] if attempts else None
    error = _error_message(request.query_params.get("e", "")[:40])
    if latest is not None and latest.status in ("unknown", "failed") and latest.error_code:
        error = _error_message(latest.error_code) or (
            N_("The payment did not go through. Nothing was charged; you can try again.")
            if latest.status == "failed"
            else None
        )
    waiting = latest is not None and latest.status in ("started", "unknown")
    context = {
        "order": order,
        "attempt": latest if latest is not None and latest.status == "started" else None,
        "error": error,
        "refresh": REFRESH_SECONDS if order.status == "pending" and waiting else None,
        "downloads": await _downloads(settings, tenant, order) if order.status == "paid" else [],
        "ethiopian": doc.ethiopian_calendar,
        "store_name": doc.name,
        "product_url": await _product_url(uow, tenant, order),
        "pay_action": f"/checkout/order/{token}/pay",
        "method_label": METHOD_LABELS.get(order.method, order.method),
    }
    return renderer.render(request, "checkout/order.html", context, headers=NO_STORE)


@post("/checkout/order/{token:str}/pay")
async def retry_payment(
    request: Req,
    token: FromPath[str],
    renderer: RendererDep,
    settings: SettingsDep,
    payment_providers: ProvidersDep,
    rate_limiter: RateLimiterDep,
) -> Response[Any]:
    """Start a new attempt for a pending order whose last one failed or timed out (reuses a started one)."""
    creator_id, order_id = read_order_token(settings.secret_key, token)
    await rate_limiter.hit(CHECKOUT, ip=web.client_ip(request, settings), account=f"order:{order_id}")
    async with tenant_for(creator_id) as tenant:
        order = await checkout.get_order(tenant, order_id)
        language = await stores.default_language(tenant)
    target = order_path(settings, creator_id, order_id)
    if order.status == "pending":
        target = await _start(settings, payment_providers, order, renderer.locale(request, default=language))
    return Redirect(path=target, status_code=303, headers=NO_STORE)


router = Router(
    path="/", route_handlers=[checkout_page, place_order, order_page, retry_payment], include_in_schema=False
)

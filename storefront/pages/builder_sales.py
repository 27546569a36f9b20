"""The creator's sales pages in the dashboard: recent orders, and discount codes (create, list, deactivate).

Plain forms answered by 303, or the form re-rendered with 422: they work with JavaScript off. Everything is read
through the logged-in creator's tenant, so another creator's order or code is a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from storefront.pages import refunds
from windsurf.catalog import service as catalog
from windsurf.catalog.validation import parse_price
from windsurf.checkout import service as checkout
from windsurf.core import i18n, web
from windsurf.core.errors import InvalidInput, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import Tenant
from windsurf.core.web import Renderer
from windsurf.dependencies import ProvidersDep, RendererDep, TenantDep
from windsurf.identity.validation import FieldError
from windsurf.stores import service as stores

Req = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "private, no-store"}
ORDERS_URL = "/dashboard/orders"
DISCOUNTS_URL = "/dashboard/discounts"
STATUS_LABELS = {
    "pending": N_("Waiting for payment"),
    "paid": N_("Paid"),
    "expired": N_("Expired"),
    "failed": N_("Failed"),
    "refunded": N_("Refunded"),
}
DISCOUNT_FIELDS = ("code", "kind", "value", "product_id", "max_uses", "expires_at")


async def _ethiopian(tenant: Tenant) -> bool:
    state = await stores.get_store(tenant)
    return (state.published or state.draft).ethiopian_calendar


@get(ORDERS_URL)
async def orders_page(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    context = {
        "section": "orders",
        "orders": await checkout.list_orders(tenant, limit=100),
        "labels": STATUS_LABELS,
        "ethiopian": await _ethiopian(tenant),
    }
    return renderer.render(request, "builder/sales/orders.html", context, headers=NO_STORE)


async def _order_page(
    request: Req,
    tenant: Tenant,
    renderer: Renderer,
    order_id: uuid.UUID,
    *,
    template: str = "builder/sales/order.html",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    order = await checkout.get_order(tenant, order_id)
    context = {
        "section": "orders",
        "order": order,
        "labels": STATUS_LABELS,
        "ethiopian": await _ethiopian(tenant),
        "refund_url": f"{ORDERS_URL}/{order.id}/refund",
        "errors": errors or {},
        "done": "" if errors else request.query_params.get("done", ""),
        **await refunds.context(tenant, order, form),
    }
    return renderer.render(request, template, context, status_code=status_code, headers=NO_STORE)


@get(f"{ORDERS_URL}/{{order_id:uuid}}")
async def order_detail(
    request: Req, order_id: FromPath[uuid.UUID], tenant: TenantDep, renderer: RendererDep
) -> Response[Any]:
    return await _order_page(request, tenant, renderer, order_id)


@get(f"{ORDERS_URL}/{{order_id:uuid}}/refund")
async def refund_confirm(
    request: Req, order_id: FromPath[uuid.UUID], tenant: TenantDep, renderer: RendererDep
) -> Response[Any]:
    """The confirm step: how much, and the reason the buyer will read."""
    return await _order_page(request, tenant, renderer, order_id, template="builder/sales/refund.html")


@post(f"{ORDERS_URL}/{{order_id:uuid}}/refund")
async def refund(
    request: Req,
    order_id: FromPath[uuid.UUID],
    tenant: TenantDep,
    renderer: RendererDep,
    payment_providers: ProvidersDep,
) -> Response[Any]:
    sent = await refunds.submit(
        request, tenant.creator_id, order_id, actor="creator", providers=payment_providers
    )
    if not sent.done:
        return await _order_page(
            request,
            tenant,
            renderer,
            order_id,
            template="builder/sales/refund.html",
            form=sent.form,
            errors=sent.errors,
            status_code=sent.status_code,
        )
    return Redirect(path=f"{ORDERS_URL}/{order_id}?done={sent.done}", status_code=303, headers=NO_STORE)


async def _discounts_page(
    request: Req,
    tenant: Tenant,
    renderer: Any,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    context = {
        "section": "discounts",
        "discounts": await checkout.list_discounts(tenant),
        "products": [p for p in await catalog.list_products(tenant) if p.is_paid],
        "form": form or {"kind": "percent"},
        "errors": errors or {},
        "done": request.query_params.get("done") in ("created", "changed"),
        "ethiopian": await _ethiopian(tenant),
    }
    return renderer.render(
        request, "builder/sales/discounts.html", context, status_code=status_code, headers=NO_STORE
    )


@get(DISCOUNTS_URL)
async def discounts_page(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    return await _discounts_page(request, tenant, renderer)


async def _product_ids(tenant: Tenant) -> dict[str, uuid.UUID]:
    return {str(p.id): p.id for p in await catalog.list_products(tenant) if p.is_paid}


def _clean_discount(form: dict[str, str], products: dict[str, uuid.UUID]) -> checkout.NewDiscount:
    errors: dict[str, str] = {}
    if not checkout.CODE_PATTERN.match(form["code"].strip().upper()):
        errors["code"] = N_("Use 3-32 letters, digits, dashes or underscores.")
    kind = form["kind"]
    value = 0
    if kind == "percent":
        raw = form["value"].strip().removesuffix("%").strip()
        if raw.isdigit() and 1 <= int(raw[:4]) <= 100:
            value = int(raw)
        else:
            errors["value"] = N_("A percentage is between 1 and 100.")
    elif kind == "fixed":
        try:
            value = parse_price(form["value"]) or 0
        except FieldError as exc:
            errors["value"] = exc.message
    else:
        errors["kind"] = N_("Please choose a percentage or a fixed amount.")
    product_id = None
    if form["product_id"]:
        product_id = products.get(form["product_id"])
        if product_id is None:
            errors["product_id"] = N_("Please choose one of your products.")
    max_uses = None
    if form["max_uses"].strip():
        raw = form["max_uses"].strip()
        if raw.isdigit() and len(raw) <= 9:
            max_uses = int(raw)
        else:
            errors["max_uses"] = N_("Please enter a number above zero, or leave it empty.")
    expires_at = None
    if form["expires_at"].strip():
        try:
            day = dt.date.fromisoformat(form["expires_at"].strip()[:10])
            # The end of that day in Addis Ababa: a code "until 5 March" works all of 5 March.
            expires_at = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=i18n.ADDIS_ABABA).astimezone(
                dt.UTC
            )
        except ValueError:
            expires_at = None
        if expires_at is None or expires_at <= dt.datetime.now(dt.UTC):
            errors["expires_at"] = N_("Please choose a date in the future.")
    if errors:
        raise InvalidInput(errors)
    return checkout.NewDiscount(form["code"][:40], kind, value, product_id, max_uses, expires_at)


@post(DISCOUNTS_URL)
async def create_discount(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    form = await web.form_fields(request, *DISCOUNT_FIELDS)
    form = {name: value[:100] for name, value in form.items()}
    try:
        await checkout.create_discount(tenant, _clean_discount(form, await _product_ids(tenant)))
    except ServiceError as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else {exc.field or "_form": exc.message}
        return await _discounts_page(request, tenant, renderer, form=form, errors=errors, status_code=422)
    return Redirect(path=f"{DISCOUNTS_URL}?done=created", status_code=303)


@post(f"{DISCOUNTS_URL}/{{code_id:uuid}}/active")
async def set_active(request: Req, code_id: FromPath[uuid.UUID], tenant: TenantDep) -> Response[Any]:
    form = await web.form_fields(request, "active")
    await checkout.set_discount_active(tenant, code_id, form["active"] == "1")
    return Redirect(path=f"{DISCOUNTS_URL}?done=changed", status_code=303)


router = Router(
    path="/",
    route_handlers=[
        orders_page,
        order_detail,
        refund_confirm,
        refund,
        discounts_page,
        create_discount,
        set_active,
    ],
    include_in_schema=False,
)

"""The creator's money at /dashboard/payouts: balance (pending / available / paid out), why money waits, payout
history, payout destinations and payout requests.

Plain ``<form method="post">`` throughout, answered by 303 (or the page again with the field messages and 422), so
everything works with JavaScript off. Every response is private: ``Cache-Control: no-store``.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, Router, get, post
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect

from windsurf.core import web
from windsurf.core.errors import InvalidInput, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import Tenant
from windsurf.core.web import Renderer
from windsurf.dependencies import AccountDep, RendererDep, SettingsDep, TenantDep
from windsurf.identity import service as identity
from windsurf.ledger import service
from windsurf.settings import Settings
from windsurf.stores import service as stores

Req = HTMXRequest
PAGE = "/dashboard/payouts"
NO_STORE = {"Cache-Control": "private, no-store"}
DONE = {
    "destination": N_("Payout destination added."),
    "requested": N_("Payout requested. Our team reviews it; you can follow it below."),
}


def errors_of(exc: ServiceError) -> dict[str, str]:
    return exc.errors if isinstance(exc, InvalidInput) else {exc.field or "_form": exc.message}


async def _page(
    request: Req,
    renderer: Renderer,
    settings: Settings,
    tenant: Tenant,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response[Any]:
    policy = service.LedgerPolicy.from_settings(settings)
    done = DONE.get(request.query_params.get("done", ""))
    context = {
        "section": "payouts",
        "ethiopian": await stores.uses_ethiopian_calendar(tenant),
        "outlook": await service.outlook(tenant, policy),
        "payouts": await service.list_payouts(tenant),
        "destinations": await service.list_destinations(tenant),
        "banks": service.BANKS,
        "status_labels": service.STATUS_LABELS,
        "errors": errors or {},
        "form": form or {},
        "done": done if not errors else None,
    }
    return renderer.render(
        request, "ledger/payouts.html", context, status_code=422 if errors else 200, headers=NO_STORE
    )


@get(PAGE)
async def payouts_page(
    request: Req, renderer: RendererDep, settings: SettingsDep, tenant: TenantDep
) -> Response[Any]:
    return await _page(request, renderer, settings, tenant)


@post(f"{PAGE}/destinations")
async def add_destination(
    request: Req, renderer: RendererDep, settings: SettingsDep, tenant: TenantDep
) -> Response[Any]:
    form = await web.form_fields(request, "kind", "phone", "bank", "account_number", "account_name")
    try:
        async with tenant.savepoint():
            await service.add_destination(tenant, **form)
    except ServiceError as exc:
        return await _page(request, renderer, settings, tenant, errors=errors_of(exc), form=form)
    return Redirect(path=f"{PAGE}?done=destination", status_code=303, headers=NO_STORE)


@post(PAGE)
async def request_payout(
    request: Req, renderer: RendererDep, settings: SettingsDep, tenant: TenantDep, account: AccountDep
) -> Response[Any]:
    form = await web.form_fields(request, "amount", "destination")
    policy = service.LedgerPolicy.from_settings(settings)
    try:
        identity.require_verified(
            account, N_("Verify your email address or phone number before you ask for a payout.")
        )
        amount = service.parse_amount(form["amount"])
        try:
            destination: uuid.UUID | None = uuid.UUID(form["destination"])
        except ValueError:
            destination = None
        async with tenant.savepoint():
            await service.request_payout(tenant, destination_id=destination, amount=amount, policy=policy)
    except ServiceError as exc:
        return await _page(request, renderer, settings, tenant, errors=errors_of(exc), form=form)
    return Redirect(path=f"{PAGE}?done=requested", status_code=303, headers=NO_STORE)


@get(f"{PAGE}/{{payout_id:uuid}}")
async def payout_detail(
    request: Req, renderer: RendererDep, tenant: TenantDep, payout_id: FromPath[uuid.UUID]
) -> Response[Any]:
    """One payout and its history; another creator's is the same 404 as one that does not exist."""
    payout = await service.get_payout(tenant, payout_id)
    context = {
        "section": "payouts",
        "payout": payout,
        "status_labels": service.STATUS_LABELS,
        "ethiopian": await stores.uses_ethiopian_calendar(tenant),
    }
    return renderer.render(request, "ledger/payout.html", context, headers=NO_STORE)


router = Router(
    path="/",
    route_handlers=[payouts_page, add_destination, request_payout, payout_detail],
    include_in_schema=False,
)

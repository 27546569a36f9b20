"""The staff review queue at /staff/payouts: approve or reject with a reason, then mark paid or failed (or send
through Chapa); and /staff/orders/<creator>/<order> where support refunds a creator's paid order.

Staff accounts only: anyone else (logged out, or a creator) gets the same 404 as a page that does not exist, so the
console does not announce itself. Every decision needs a reason, which the creator sees and the audit trail keeps.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect

from storefront.pages import refunds
from storefront.pages.payouts import NO_STORE, errors_of
from windsurf.checkout import service as checkout
from windsurf.core import web
from windsurf.core.errors import ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import UnitOfWork
from windsurf.core.web import Renderer
from windsurf.dependencies import ProvidersDep, RendererDep, UowDep, ViewerDep
from windsurf.identity.service import Account
from windsurf.ledger import service
from windsurf.ledger.executors import ChapaPayoutExecutor
from windsurf.payments.providers.chapa import ChapaProvider
from windsurf.payments.providers.registry import Providers

Req = HTMXRequest
QUEUE = "/staff/payouts"
DONE = {
    "approved": N_("Payout approved."),
    "rejected": N_("Payout rejected."),
    "paid": N_("Payout marked as paid."),
    "failed": N_("Payout marked as failed; the money is back in the creator's balance."),
    "send": N_("Sent to Chapa. The payout is marked paid or failed when Chapa confirms the transfer."),
}


def _staff(viewer: Account | None) -> Account:
    """Staff only: the review queue acts for each payout's creator in turn, so it never takes the viewer's tenant."""
    if viewer is None or not viewer.is_staff:
        raise NotFoundException()
    return viewer


def _chapa(providers: Providers) -> ChapaPayoutExecutor:
    """Chapa's transfers, when Chapa is enabled; otherwise the button is not shown and the action is refused."""
    chapa = providers.get("chapa")
    if not isinstance(chapa, ChapaProvider):
        raise ServiceError(
            N_("This payment method is not available at the moment. Please choose another one.")
        )
    return ChapaPayoutExecutor(chapa)


@get(QUEUE)
async def queue(request: Req, renderer: RendererDep, uow: UowDep, viewer: ViewerDep) -> Response[Any]:
    staff = _staff(viewer)
    context = {
        "payouts": await service.staff_queue(uow, staff),
        "status_labels": service.STATUS_LABELS,
        "banks": service.BANKS,
    }
    return renderer.render(request, "ledger/staff_queue.html", context, headers=NO_STORE)


async def _detail(
    request: Req,
    renderer: Renderer,
    uow: UnitOfWork,
    staff: Account,
    payout_id: uuid.UUID,
    providers: Providers,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response[Any]:
    payout = await service.staff_payout(uow, staff, payout_id)
    context = {
        "payout": payout,
        "status_labels": service.STATUS_LABELS,
        "banks": service.BANKS,
        "chapa": "chapa" in providers,
        "errors": errors or {},
        "form": form or {},
        "done": None if errors else DONE.get(request.query_params.get("done", "")),
    }
    return renderer.render(
        request, "ledger/staff_payout.html", context, status_code=422 if errors else 200, headers=NO_STORE
    )


@get(f"{QUEUE}/{{payout_id:uuid}}")
async def detail(
    request: Req,
    renderer: RendererDep,
    uow: UowDep,
    viewer: ViewerDep,
    payout_id: FromPath[uuid.UUID],
    payment_providers: ProvidersDep,
) -> Response[Any]:
    return await _detail(request, renderer, uow, _staff(viewer), payout_id, payment_providers)


@post(f"{QUEUE}/{{payout_id:uuid}}/{{action:str}}")
async def decide(
    request: Req,
    renderer: RendererDep,
    uow: UowDep,
    viewer: ViewerDep,
    payout_id: FromPath[uuid.UUID],
    action: FromPath[str],
    payment_providers: ProvidersDep,
) -> Response[Any]:
    staff = _staff(viewer)
    form = await web.form_fields(request, "reason", "reference")
    try:
        if action == "send":  # its own short units of work, committed around the provider's answer
            await service.execute(staff, payout_id, _chapa(payment_providers))
        else:
            await _decide_by_hand(uow, staff, payout_id, action, form)
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        return await _detail(
            request,
            renderer,
            uow,
            staff,
            payout_id,
            payment_providers,
            errors=errors_of(exc),
            form={**form, "action": action},
        )
    outcome = {"approve": "approved", "reject": "rejected"}.get(action, action)
    return Redirect(path=f"{QUEUE}/{payout_id}?done={outcome}", status_code=303, headers=NO_STORE)


async def _decide_by_hand(
    uow: UnitOfWork, staff: Account, payout_id: uuid.UUID, action: str, form: dict[str, str]
) -> None:
    async with uow.savepoint():
        if action == "approve":
            await service.approve(uow, staff, payout_id, form["reason"])
        elif action == "reject":
            await service.reject(uow, staff, payout_id, form["reason"])
        elif action == "paid":
            await service.mark_paid(uow, staff, payout_id, form["reference"], form["reason"])
        elif action == "failed":
            await service.mark_failed(uow, staff, payout_id, form["reason"])
        else:
            raise NotFoundException()


# --- refunds by staff (support): a creator's paid order, refunded on the buyer's behalf ---------------------

STAFF_ORDER = "/staff/orders/{creator_id:uuid}/{order_id:uuid}"


async def _staff_order(
    request: Req,
    renderer: Renderer,
    uow: UnitOfWork,
    creator_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    tenant = await uow.act_for(creator_id)  # the order is read in its creator's tenant, under RLS
    order = await checkout.get_order(tenant, order_id)
    context = {
        "order": order,
        "refund_url": f"/staff/orders/{creator_id}/{order_id}/refund",
        "errors": errors or {},
        "done": "" if errors else request.query_params.get("done", ""),
        **await refunds.context(tenant, order, form),
    }
    return renderer.render(
        request, "ledger/staff_order.html", context, status_code=status_code, headers=NO_STORE
    )


@get(STAFF_ORDER)
async def staff_order(
    request: Req,
    renderer: RendererDep,
    uow: UowDep,
    viewer: ViewerDep,
    creator_id: FromPath[uuid.UUID],
    order_id: FromPath[uuid.UUID],
) -> Response[Any]:
    _staff(viewer)
    return await _staff_order(request, renderer, uow, creator_id, order_id)


@post(f"{STAFF_ORDER}/refund")
async def staff_refund(
    request: Req,
    renderer: RendererDep,
    uow: UowDep,
    viewer: ViewerDep,
    creator_id: FromPath[uuid.UUID],
    order_id: FromPath[uuid.UUID],
    payment_providers: ProvidersDep,
) -> Response[Any]:
    _staff(viewer)
    sent = await refunds.submit(request, creator_id, order_id, actor="staff", providers=payment_providers)
    if not sent.done:
        return await _staff_order(
            request,
            renderer,
            uow,
            creator_id,
            order_id,
            form=sent.form,
            errors=sent.errors,
            status_code=sent.status_code,
        )
    return Redirect(
        path=f"/staff/orders/{creator_id}/{order_id}?done={sent.done}", status_code=303, headers=NO_STORE
    )


router = Router(
    path="/",
    route_handlers=[queue, detail, decide, staff_order, staff_refund],
    include_in_schema=False,
)

"""The refund form of a paid order, as the creator's order pages and the staff console show and submit it.

A refund is in full or in part; the form carries a key made when it was shown, so sending it twice (a double
click, a refresh, a retry after the payment service timed out) makes one refund.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request

from storefront.pages.payouts import errors_of
from windsurf.catalog.validation import santim_to_input
from windsurf.checkout import service as checkout
from windsurf.checkout.service import OrderView
from windsurf.core import web
from windsurf.core.errors import ServiceError
from windsurf.core.uow import Tenant
from windsurf.payments import service as payments
from windsurf.payments.providers.registry import Providers

FIELDS = ("amount", "reason", "key")


async def context(tenant: Tenant, order: OrderView, form: dict[str, str] | None = None) -> dict[str, Any]:
    """What a page with the refund form and the order's refunds needs (``form``: what was sent, on an error).

    A refund still waiting for the payment service's answer (it timed out) fills the form, so that sending it
    again finishes that refund instead of starting another.
    """
    refunds = await checkout.list_refunds(tenant, order.id)
    waiting = next((refund for refund in refunds if refund.status == "requested"), None)
    if form is None and waiting is not None:
        form = {
            "amount": santim_to_input(waiting.amount_santim),
            "reason": waiting.reason,
            "key": payments.refund_key(order, waiting),
        }
    form = form or {"amount": santim_to_input(order.refundable_santim)}
    return {
        "refundable": order.refundable_santim > 0 or waiting is not None,
        "refunds": refunds,
        "form": form,
        "key": form.get("key") or payments.new_refund_key(),
    }


@dataclass(frozen=True)
class Submitted:
    done: str  # "refunded" (nothing is left of the order), "part", or "" when errors say why not
    form: dict[str, str]
    errors: dict[str, str]
    status_code: int


async def submit(
    request: Request[Any, Any, Any],
    creator_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    actor: str,
    providers: Providers,
) -> Submitted:
    form = await web.form_fields(request, *FIELDS)
    try:
        # Refunding opens its own short units of work around the provider's answer; the request's stays unbegun.
        outcome = await payments.refund_order(
            creator_id,
            order_id,
            key=form["key"],
            reason=form["reason"],
            amount=payments.clean_refund_amount(form["amount"]),
            actor=actor,
            providers=providers,
        )
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        return Submitted("", form, errors_of(exc), exc.status_code if exc.status_code >= 400 else 422)
    return Submitted("refunded" if outcome.order.status == "refunded" else "part", form, {}, 303)

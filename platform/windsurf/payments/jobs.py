"""Payments' jobs: reconciliation settles an attempt whose notification never came from the provider's own
answer; a refund the provider never answered is asked for again; the creator is told of each sale and the buyer
of each refund."""

from __future__ import annotations

import uuid
from typing import Any

from windsurf.checkout import service as checkout
from windsurf.core import i18n
from windsurf.core.jobs import JobContext, job
from windsurf.core.messaging import Email, Sms
from windsurf.core.uow import tenant_for
from windsurf.delivery import jobs as delivery_jobs
from windsurf.delivery import service as delivery
from windsurf.identity import service as identity
from windsurf.payments import service
from windsurf.payments.providers.registry import build_providers


@job(service.RECONCILE_JOB, own_units=True)
async def reconcile(context: JobContext, payload: dict[str, Any]) -> None:
    """Idempotent: a settled attempt is left alone; a provider that is down makes the outbox retry later."""
    providers = build_providers(context.settings)
    try:
        await service.reconcile(
            uuid.UUID(payload["creator_id"]),
            payload["provider"],
            payload["reference"],
            int(payload.get("round", 0)),
            providers=providers,
            settings=context.settings,
        )
    finally:
        await providers.aclose()


@job(service.REFUND_RETRY_JOB, own_units=True)
async def refund_retry(context: JobContext, payload: dict[str, Any]) -> None:
    """A refund whose request never heard back from the provider is finished (or released) here."""
    providers = build_providers(context.settings)
    try:
        await service.retry_refund(
            uuid.UUID(payload["creator_id"]), uuid.UUID(payload["refund_id"]), providers=providers
        )
    finally:
        await providers.aclose()


@job(service.SALE_NOTICE_JOB)
async def sale_notice(context: JobContext, payload: dict[str, Any]) -> None:
    """The creator hears of each sale once it is paid (email, or SMS for a phone-only account)."""
    creator_id = uuid.UUID(payload["creator_id"])
    async with tenant_for(creator_id) as tenant:
        order = await checkout.get_order(tenant, uuid.UUID(payload["order_id"]))
        creator = await identity.get_account(tenant.uow, creator_id)
        if creator is None:
            return  # the account was deleted since: nobody to tell
        paid = await delivery_jobs.receipt(tenant, order.id)
    _ = context.translations(creator.locale).gettext
    variables = {
        "product": order.product_title,
        "amount": i18n.format_money(order.amount_santim, creator.locale, order.currency),
        "number": order.number,
    }
    if creator.email:
        await context.email.send_email(
            Email(
                to=creator.email,
                subject=_("New sale: %(product)s") % variables,
                body=_("You sold %(product)s for %(amount)s (order %(number)s).") % variables
                + ("\n" + paid.line(_, creator.locale) if paid else "")
                + "\n\n"
                + _("It is in your dashboard under Orders.")
                + f"\n{context.settings.public_url.rstrip('/')}/dashboard/orders",
            )
        )
    elif creator.phone:
        await context.sms.send_sms(
            Sms(
                to=creator.phone,
                body=_("You sold %(product)s for %(amount)s (order %(number)s).") % variables,
            )
        )


@job(service.REFUND_NOTICE_JOB)
async def refund_notice(context: JobContext, payload: dict[str, Any]) -> None:
    """The buyer hears that their money is coming back, in the language they bought in (email and/or SMS)."""
    creator_id = uuid.UUID(payload["creator_id"])
    async with tenant_for(creator_id) as tenant:
        refund = await checkout.get_refund(tenant, uuid.UUID(payload["refund_id"]))
        order = await checkout.get_order(tenant, refund.order_id)
        grant = await delivery.grant_for(tenant, order_id=order.id)
        to = await delivery.recipient(tenant, grant.id)
    _ = context.translations(to.locale).gettext
    variables = {
        "product": order.product_title,
        "amount": i18n.format_money(refund.amount_santim, to.locale, order.currency),
        "paid": i18n.format_money(order.amount_santim, to.locale, order.currency),
        "number": order.number,
        "reason": refund.reason,
    }
    if payload.get("closed"):  # nothing is left of the order: its downloads closed
        body = (
            _("Your order %(number)s (%(product)s) was refunded: %(amount)s is on its way back to you.")
            % variables
        )
    else:
        body = (
            _(
                "Part of your order %(number)s (%(product)s) was refunded: %(amount)s of the %(paid)s you paid "
                "is on its way back to you. Your download stays yours."
            )
            % variables
        )
    body += "\n" + _("Reason: %(reason)s") % variables
    if to.email:
        await context.email.send_email(
            Email(to=to.email, subject=_("Refund for order %(number)s") % variables, body=body)
        )
    if to.phone:
        await context.sms.send_sms(Sms(to=to.phone, body=body))

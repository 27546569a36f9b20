"""The audience's background jobs: sending a broadcast and a test send (idempotent per delivery), and the
automations (welcome, thank-you, the unpaid checkout reminder)."""

from __future__ import annotations

import uuid
from typing import Any

from windsurf.audience import automations, broadcasts, contacts
from windsurf.checkout import service as checkout
from windsurf.core import jobs
from windsurf.core.errors import NotFoundError
from windsurf.core.uow import tenant_for
from windsurf.identity import service as identity


def _senders(context: jobs.JobContext) -> broadcasts.Senders:
    settings = context.settings
    bot = broadcasts.TelegramBot(settings.telegram_api_url, settings.telegram_bot_token)
    return broadcasts.Senders(settings, context.email, context.sms, bot)


@jobs.job(broadcasts.SEND_JOB)
async def send_broadcast(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    await broadcasts.send_some(
        _senders(context), uuid.UUID(payload["creator_id"]), uuid.UUID(payload["broadcast_id"])
    )


@jobs.job(broadcasts.TEST_SEND_JOB)
async def test_send(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    await broadcasts.test_send(
        _senders(context), uuid.UUID(payload["creator_id"]), uuid.UUID(payload["broadcast_id"]), payload["to"]
    )


# --- automations --------------------------------------------------------------------------------------------


async def _creator(uow: Any, creator_id: uuid.UUID) -> tuple[str, str, str]:
    """The store's name, its address and the creator's language, for the messages sent on its behalf."""
    account = await identity.get_account(uow, creator_id)
    if account is None:
        return "", "", "am"
    return account.display_name, account.handle or "", account.locale


async def _automated(
    context: jobs.JobContext,
    creator_id: uuid.UUID,
    contact_id: uuid.UUID,
    compose: Any,
) -> None:
    async with tenant_for(creator_id) as tenant:
        try:
            contact = await contacts.get_contact(tenant, contact_id)
        except NotFoundError:
            return  # deleted on request since
        channel = await contacts.reachable_by(tenant, contact)
        store, handle, locale = await _creator(tenant.uow, creator_id)
    if channel is None:
        return
    gettext = context.translations(locale if locale in ("am", "en") else "am").gettext
    subject, body = compose(gettext, store, handle, channel)
    await automations.send(
        settings=context.settings,
        email_backend=context.email,
        sms_backend=context.sms,
        creator_id=creator_id,
        contact=contact,
        channel=channel,
        subject=subject,
        body=body,
        gettext=gettext,
    )


@jobs.job(automations.WELCOME_JOB)
async def welcome(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    def compose(_: Any, store: str, handle: str, channel: str) -> tuple[str, str]:
        subject = _("Welcome to %(store)s") % {"store": store}
        if channel == "sms":
            return subject, _("Thank you for joining %(store)s. Reply STOP to stop these messages.") % {
                "store": store
            }
        return subject, _("Thank you for joining %(store)s. You will hear about new products here.") % {
            "store": store
        }

    await _automated(context, uuid.UUID(payload["creator_id"]), uuid.UUID(payload["contact_id"]), compose)


@jobs.job(automations.THANK_YOU_JOB)
async def thank_you(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    product = str(payload.get("product", ""))

    def compose(_: Any, store: str, handle: str, channel: str) -> tuple[str, str]:
        subject = _("Thank you for your purchase")
        return subject, _("Thank you for buying %(product)s from %(store)s!") % {
            "product": product,
            "store": store,
        }

    await _automated(context, uuid.UUID(payload["creator_id"]), uuid.UUID(payload["contact_id"]), compose)


@jobs.job(automations.CHECKOUT_REMINDER_JOB)
async def checkout_reminder(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    creator_id = uuid.UUID(payload["creator_id"])
    async with tenant_for(creator_id) as tenant:
        try:
            order = await checkout.get_order(tenant, uuid.UUID(payload["order_id"]))
        except NotFoundError:
            return
        if order.status not in ("pending", "expired"):
            return  # paid (or refunded) meanwhile: nothing to remind
        contact = await contacts.find_contact(tenant, order.email, order.phone)
    if contact is None:
        return

    def compose(_: Any, store: str, handle: str, channel: str) -> tuple[str, str]:
        link = f"{context.settings.public_url.rstrip('/')}/@{handle}"
        subject = _("Your order is waiting")
        body = _("You started buying %(product)s from %(store)s. It is still waiting for you: %(link)s") % {
            "product": order.product_title,
            "store": store,
            "link": link,
        }
        return subject, body

    await _automated(context, creator_id, contact.id, compose)

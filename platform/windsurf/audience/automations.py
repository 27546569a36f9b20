"""Automations: a welcome when a contact joins, a thank-you after a purchase, and one reminder an hour after a
checkout that was not paid, each sent only where the contact's consent (and no suppression) allows it.

The triggers enqueue a job in the unit of work of the change that causes it (a contact joining, an order paid or
placed); the job decides at send time, so an unsubscribe in between is honoured. Email goes first, SMS when the
contact agreed to SMS only; every automated email carries the one-click unsubscribe link and headers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from windsurf.audience.inputs import Channel
from windsurf.audience.links import unsubscribe_token, unsubscribe_url
from windsurf.core import jobs
from windsurf.core.messaging import Email, EmailBackend, Sms, SmsBackend
from windsurf.core.uow import Tenant
from windsurf.settings import Settings

if TYPE_CHECKING:  # contacts triggers the welcome: it imports this module
    from windsurf.audience.contacts import ContactView

WELCOME_JOB = jobs.declare("audience.welcome")
THANK_YOU_JOB = jobs.declare("audience.thank_you")
CHECKOUT_REMINDER_JOB = jobs.declare("audience.checkout_reminder")
REMINDER_DELAY = dt.timedelta(hours=1)


async def welcome(tenant: Tenant, contact_id: uuid.UUID) -> None:
    await jobs.enqueue(
        tenant.uow, WELCOME_JOB, {"creator_id": str(tenant.creator_id), "contact_id": str(contact_id)}
    )


async def thank_buyer(tenant: Tenant, contact_id: uuid.UUID, product_title: str) -> None:
    payload = {"creator_id": str(tenant.creator_id), "contact_id": str(contact_id), "product": product_title}
    await jobs.enqueue(tenant.uow, THANK_YOU_JOB, payload)


async def remind_unpaid_checkout(tenant: Tenant, order_id: uuid.UUID) -> None:
    """One reminder, an hour from now, if the order is still unpaid then (the job checks)."""
    payload = {"creator_id": str(tenant.creator_id), "order_id": str(order_id)}
    await jobs.enqueue(tenant.uow, CHECKOUT_REMINDER_JOB, payload, delay=REMINDER_DELAY)


async def send(
    *,
    settings: Settings,
    email_backend: EmailBackend,
    sms_backend: SmsBackend,
    creator_id: uuid.UUID,
    contact: ContactView,
    channel: Channel,
    subject: str,
    body: str,
    gettext: Callable[[str], str],
) -> None:
    if channel == "sms":
        assert contact.phone is not None
        await sms_backend.send_sms(Sms(to=contact.phone, body=body))
        return
    assert contact.email is not None
    url = unsubscribe_url(
        settings.public_url, unsubscribe_token(settings.secret_key, creator_id, contact.id, "email")
    )
    headers: dict[str, Any] = {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    footer = gettext("To stop these emails: %(link)s") % {"link": url}
    await email_backend.send_email(
        Email(to=contact.email, subject=subject, body=f"{body}\n\n--\n{footer}", headers=headers)
    )

"""Messages identity sends through the outbox: phone codes by SMS and password-reset links by email."""

from __future__ import annotations

from typing import Any

from windsurf.core.jobs import JobContext, job
from windsurf.core.messaging import Email, Sms


@job("identity.send_code")
async def send_code(context: JobContext, payload: dict[str, Any]) -> None:
    _ = context.translations(payload["locale"]).gettext
    body = _("Your Stan Store Windsurf code is %(code)s. It expires in 10 minutes. Never share it.") % {
        "code": payload["code"]
    }
    await context.sms.send_sms(Sms(to=payload["phone"], body=body))


@job("identity.send_reset_link")
async def send_reset_link(context: JobContext, payload: dict[str, Any]) -> None:
    _ = context.translations(payload["locale"]).gettext
    subject = _("Reset your Stan Store Windsurf password")
    body = _(
        "Someone asked to reset the password of your Stan Store Windsurf account.\n\n"
        "To choose a new password, open this link within one hour:\n%(url)s\n\n"
        "If it was not you, ignore this email: your password stays as it is."
    ) % {"url": payload["url"]}
    await context.email.send_email(Email(to=payload["email"], subject=subject, body=body))

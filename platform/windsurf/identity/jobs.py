"""Messages identity sends through the outbox: phone codes by SMS, password-reset links and account notices.

A job's payload is stored until the job is pruned, so it never holds a secret in clear: codes and reset tokens
travel sealed (``security.seal``: encrypted and authenticated with a key derived from the secret key) and are
opened only here, at send time, within the lifetime of what they unlock. A sealed value that has outlived it is
dropped: the message would only carry a dead code.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import urlencode

from windsurf.core import security
from windsurf.core.jobs import JobContext, job
from windsurf.core.messaging import Email, Sms
from windsurf.identity.service import (
    CODE_LIFETIME,
    RESET_LIFETIME,
    email_change_token,
    email_verification_token,
)

_log = logging.getLogger("windsurf.identity.jobs")


def _unseal(context: JobContext, payload: dict[str, Any], key: str, lifetime_seconds: int) -> str | None:
    try:
        return security.unseal(context.settings.secret_key, payload[key], max_age_seconds=lifetime_seconds)
    except security.SealExpired:
        _log.warning("dropping a message whose secret has expired", extra={"field": key})
        return None


@job("identity.send_code")
async def send_code(context: JobContext, payload: dict[str, Any]) -> None:
    code = _unseal(context, payload, "sealed_code", int(CODE_LIFETIME.total_seconds()))
    if code is None:
        return
    _ = context.translations(payload["locale"]).gettext
    body = _("Your Stan Store Windsurf code is %(code)s. It expires in 10 minutes. Never share it.") % {
        "code": code
    }
    await context.sms.send_sms(Sms(to=payload["phone"], body=body))


@job("identity.send_reset_link")
async def send_reset_link(context: JobContext, payload: dict[str, Any]) -> None:
    token = _unseal(context, payload, "sealed_token", int(RESET_LIFETIME.total_seconds()))
    if token is None:
        return
    url = f"{payload['reset_url']}?{urlencode({'token': token})}"
    _ = context.translations(payload["locale"]).gettext
    subject = _("Reset your Stan Store Windsurf password")
    body = _(
        "Someone asked to reset the password of your Stan Store Windsurf account.\n\n"
        "To choose a new password, open this link within one hour:\n%(url)s\n\n"
        "If it was not you, ignore this email: your password stays as it is."
    ) % {"url": url}
    await context.email.send_email(Email(to=payload["email"], subject=subject, body=body))


@job("identity.send_account_exists")
async def send_account_exists(context: JobContext, payload: dict[str, Any]) -> None:
    """Someone tried to sign up with an address or number that has an account: tell its owner, not them."""
    _ = context.translations(payload["locale"]).gettext
    login = f"{context.settings.public_url}/login"
    if payload.get("phone"):
        body = _("You already have a Stan Store Windsurf account with this number. Log in here: %(url)s") % {
            "url": login
        }
        await context.sms.send_sms(Sms(to=payload["phone"], body=body))
        return
    subject = _("You already have a Stan Store Windsurf account")
    body = _(
        "Someone, probably you, tried to sign up to Stan Store Windsurf with this email address, "
        "but it already has an account.\n\nLog in here: %(url)s\n"
        "Forgot your password? Choose a new one here: %(reset)s\n\n"
        "If it was not you, you can ignore this email."
    ) % {"url": login, "reset": f"{context.settings.public_url}/password-reset"}
    await context.email.send_email(Email(to=payload["email"], subject=subject, body=body))


@job("identity.send_no_account")
async def send_no_account(context: JobContext, payload: dict[str, Any]) -> None:
    """A password reset was asked for an address without an account: say so to the address, not the page."""
    _ = context.translations(payload["locale"]).gettext
    subject = _("Reset your Stan Store Windsurf password")
    body = _(
        "Someone asked to reset the password of a Stan Store Windsurf account with this email address, "
        "but no account uses it.\n\nTo create one, sign up here: %(url)s\n\n"
        "If it was not you, you can ignore this email."
    ) % {"url": f"{context.settings.public_url}/signup"}
    await context.email.send_email(Email(to=payload["email"], subject=subject, body=body))


@job("identity.send_email_verification")
async def send_email_verification(context: JobContext, payload: dict[str, Any]) -> None:
    """The link that verifies an account's email. Minted here, at send time, so the outbox holds no link."""
    token = email_verification_token(
        context.settings.secret_key, uuid.UUID(payload["creator_id"]), payload["email"]
    )
    url = f"{context.settings.public_url}/verify-email?{urlencode({'token': token})}"
    _ = context.translations(payload["locale"]).gettext
    subject = _("Verify your email for Stan Store Windsurf")
    body = _(
        "Welcome to Stan Store Windsurf!\n\n"
        "To publish your store, sell and get paid, verify your email address by opening this link within "
        "three days:\n%(url)s\n\n"
        "If you did not sign up, ignore this email."
    ) % {"url": url}
    await context.email.send_email(Email(to=payload["email"], subject=subject, body=body))


@job("identity.send_email_change")
async def send_email_change(context: JobContext, payload: dict[str, Any]) -> None:
    """The link that makes a new address the account's email; minted at send time, like the verification."""
    token = email_change_token(
        context.settings.secret_key, uuid.UUID(payload["creator_id"]), payload["email"]
    )
    url = f"{context.settings.public_url}/account/email/confirm?{urlencode({'token': token})}"
    _ = context.translations(payload["locale"]).gettext
    subject = _("Confirm your new email for Stan Store Windsurf")
    body = _(
        "Someone asked to use this address for a Stan Store Windsurf account.\n\n"
        "To confirm it, open this link within three days:\n%(url)s\n\n"
        "If it was not you, ignore this email: nothing changes."
    ) % {"url": url}
    await context.email.send_email(Email(to=payload["email"], subject=subject, body=body))

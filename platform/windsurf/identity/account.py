"""What the account page changes: the password, the email and the phone (each proven before it takes effect),
and deleting the account's personal data. Re-exported by ``windsurf.identity.service``.

A new email takes effect only when its emailed link is opened (the link names the account and the address,
sealed); a new phone only when its SMS code is confirmed. Until then the old ones stay, so a typo never locks
anybody out.
"""

from __future__ import annotations

import datetime as dt
import uuid

from windsurf.core import jobs, rendered_pages, security
from windsurf.core.db import is_unique_violation
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import Tenant, UnitOfWork
from windsurf.identity import inputs
from windsurf.identity.tables import Creator, PasswordReset, PhoneCode, RetiredHandle, SignIn

EMAIL_CHANGE_LIFETIME = dt.timedelta(days=3)
WRONG_PASSWORD = N_("That is not your current password.")
DELETED_NAME = "—"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _check_password(tenant: Tenant, password: str) -> None:
    async with tenant.scope():
        row = await Creator.select(Creator.password_hash).where(Creator.id == tenant.creator_id).first()
    if row is None:
        raise NotFoundError()
    if not await security.verify_password(row["password_hash"], password):
        raise InvalidInput({"current_password": WRONG_PASSWORD}, {"current_password": "wrong_password"})


async def change_password(tenant: Tenant, form: inputs.PasswordChange) -> None:
    """A new password, only with the current one (a phone left logged in must not let anybody take over)."""
    await _check_password(tenant, form.current_password)
    new_hash = await security.hash_password(form.password)
    async with tenant.scope():
        await Creator.update({Creator.password_hash: new_hash}).where(Creator.id == tenant.creator_id)


def email_change_token(secret_key: str, creator_id: uuid.UUID, email: str) -> str:
    return security.seal(secret_key, f"change-email:{creator_id}:{email}")


async def start_email_change(tenant: Tenant, form: inputs.EmailChange, *, locale: str) -> str:
    """Email a confirmation link to the new address; the account keeps its email until it is opened."""
    clean = form.email
    await _check_password(tenant, form.current_password)
    async with tenant.scope():
        await tenant.uow.look_up(clean)
        if await Creator.exists().where(Creator.email == clean):
            # Said to the person asking: they proved their password, and the address gets nothing.
            raise InvalidInput({"email": N_("Another account uses this email.")}, {"email": "email_taken"})
    payload = {"creator_id": str(tenant.creator_id), "email": clean, "locale": locale}
    await jobs.enqueue(tenant.uow, "identity.send_email_change", payload)
    return clean


def open_email_link(
    secret_key: str, token: str, kind: str, lifetime: dt.timedelta, failure: ServiceError
) -> tuple[uuid.UUID, str]:
    """The account and address a sealed email link of ``kind`` names; ``failure`` for a forged, damaged, expired
    or other kind of link (all the same to the person who clicked)."""
    try:
        opened = security.unseal(secret_key, token[:500], max_age_seconds=int(lifetime.total_seconds()))
    except security.SealExpired:
        raise failure from None
    found, _, rest = opened.partition(":")
    creator_hex, _, email = rest.partition(":")
    try:
        creator_id = uuid.UUID(creator_hex)
    except ValueError:
        raise failure from None
    if found != kind or not email:
        raise failure
    return creator_id, email


async def confirm_email_change(uow: UnitOfWork, *, secret_key: str, token: str) -> str:
    """Make the linked address the account's email (verified by this very link); returns it."""
    failure = ServiceError(N_("That verification link is not valid or has expired. Ask for a new one."))
    creator_id, email = open_email_link(secret_key, token, "change-email", EMAIL_CHANGE_LIFETIME, failure)
    try:
        async with uow.savepoint():
            await uow.look_up(str(creator_id))
            changed = (
                await Creator.update(
                    {Creator.email: email, Creator.email_verified_at: _now(), Creator.unconfirmed_email: None}
                )
                .where((Creator.id == creator_id) & Creator.handle.is_not_null())
                .returning(Creator.id)
            )
    except Exception as exc:
        if is_unique_violation(exc):
            raise ServiceError(N_("Another account uses this email.")) from exc
        raise
    if not changed:
        raise failure
    return email


async def start_phone_change(
    tenant: Tenant, form: inputs.PhoneNumber, *, secret_key: str, locale: str
) -> str:
    """Text a code to the new number; it becomes the account's phone when the code is confirmed."""
    clean = form.phone
    async with tenant.scope():
        await tenant.uow.look_up(clean)  # another account with the number, and the codes sent to it
        if await Creator.exists().where(Creator.phone == clean):
            raise InvalidInput(
                {"phone": N_("Another account uses this phone number.")}, {"phone": "phone_taken"}
            )
        code = security.new_numeric_code()
        await PhoneCode.update({PhoneCode.consumed_at: _now()}).where(
            (PhoneCode.phone == clean) & (PhoneCode.purpose == "change") & PhoneCode.consumed_at.is_null()
        )
        await PhoneCode(
            id=uuid.uuid4(),
            phone=clean,
            purpose="change",
            pending={"creator_id": str(tenant.creator_id)},
            code_digest=security.keyed_digest(secret_key, f"{clean}:{code}"),
            expires_at=_now() + dt.timedelta(minutes=10),
        ).save()
        await jobs.enqueue(
            tenant.uow,
            "identity.send_code",
            {"phone": clean, "sealed_code": security.seal(secret_key, code), "locale": locale},
        )
    return clean


async def confirm_phone_change(tenant: Tenant, form: inputs.PhoneCode, *, secret_key: str) -> str:
    """The code texted to the new number, typed back by the account that asked for it: the number is theirs."""
    from windsurf.identity import service  # the shared code check

    invalid = ServiceError(N_("That code is not right. Check the SMS and try again."), field="code")
    clean_phone, clean_code = form.phone, form.code
    async with tenant.scope():
        await tenant.uow.look_up(clean_phone)  # the codes sent to it
        pending = await service.consume_code(secret_key, clean_phone, "change", clean_code, invalid)
        if pending.get("creator_id") != str(tenant.creator_id):
            raise invalid
        try:
            async with tenant.savepoint():
                await Creator.update({Creator.phone: clean_phone, Creator.phone_verified_at: _now()}).where(
                    Creator.id == tenant.creator_id
                )
        except Exception as exc:
            if is_unique_violation(exc):
                raise ServiceError(N_("Another account uses this phone number."), field="phone") from exc
            raise
    return clean_phone


async def delete_personal_data(tenant: Tenant, form: inputs.CurrentPassword) -> str | None:
    """Delete the account's personal data, confirmed by its password; returns the handle it had.

    The creator row stays, emptied (its orders and ledger entries, which the law requires us to keep, refer
    to it): no name, email, phone, password or handle, so nobody can log in to it. The handle stays reserved
    to it for a year, so nobody can open a store under the address its buyers knew. The sign-in history and
    reset links go.
    """
    await _check_password(tenant, form.current_password)
    creator_id = tenant.creator_id
    async with tenant.scope():
        row = await Creator.select(Creator.handle).where(Creator.id == creator_id).first()
        handle = row["handle"] if row else None
        await Creator.update(
            {
                Creator.display_name: DELETED_NAME,
                Creator.email: None,
                Creator.unconfirmed_email: None,
                Creator.phone: None,
                Creator.password_hash: None,
                Creator.handle: None,
                Creator.email_verified_at: None,
                Creator.phone_verified_at: None,
            }
        ).where(Creator.id == creator_id)
        await SignIn.delete().where(SignIn.creator_id == creator_id)
        await PasswordReset.delete().where(PasswordReset.creator_id == creator_id)
        if handle:
            now = _now()
            await RetiredHandle.delete().where(RetiredHandle.handle == handle)
            await RetiredHandle(
                id=uuid.uuid4(),
                handle=handle,
                creator_id=creator_id,
                retired_at=now,
                until=now + dt.timedelta(days=366),
            ).save()
            # Offline at once: the stored pages go in this transaction; the render job then drops the rest.
            await rendered_pages.forget(handle)
            await rendered_pages.pages_changed(tenant.uow, creator_id, old_handle=handle)
    return handle

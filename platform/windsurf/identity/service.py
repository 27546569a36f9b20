"""Identity operations: the only code that writes the identity tables.

Sign-up and log-in by email and password or by Ethiopian phone number and a one-time SMS code, password
resets by emailed link, and the sign-in history. Every function runs in the caller's unit of work (``uow``), or
for one creator's own rows its ``tenant``. Handles, emails and phones are unique in the schema; a duplicate is
told by its error code. Every rule violation raises a ServiceError/InvalidInput carrying msgids and codes;
messages never reveal whether an email or phone has an account where that would help an attacker.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from windsurf.core import jobs, security
from windsurf.core.db import is_unique_violation
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.rendered_pages import pages_changed
from windsurf.core.uow import Tenant, UnitOfWork
from windsurf.identity import inputs, validation

# The account page's operations live in a module of their own; re-exported here, the domain's one entry point.
from windsurf.identity.account import change_password as change_password
from windsurf.identity.account import confirm_email_change as confirm_email_change
from windsurf.identity.account import confirm_phone_change as confirm_phone_change
from windsurf.identity.account import delete_personal_data as delete_personal_data
from windsurf.identity.account import email_change_token as email_change_token
from windsurf.identity.account import open_email_link
from windsurf.identity.account import start_email_change as start_email_change
from windsurf.identity.account import start_phone_change as start_phone_change
from windsurf.identity.tables import Creator, PasswordReset, PhoneCode, RetiredHandle, SignIn
from windsurf.identity.validation import FieldError

CODE_LIFETIME = dt.timedelta(minutes=10)
CODE_ATTEMPTS = 5
RESET_LIFETIME = dt.timedelta(hours=1)
SIGN_IN_HISTORY = 20
# How long an old handle keeps redirecting to its creator's store and stays theirs alone: printed QR codes and
# links in bios outlive a rename by months.
HANDLE_RESERVED_FOR = dt.timedelta(days=366)
HANDLE_TAKEN = N_("That handle is taken. Please choose another.")
TAKEN = {
    "email": ("email_taken", N_("An account with this email already exists. Log in instead.")),
    "phone": ("phone_taken", N_("An account with this phone number already exists. Log in instead.")),
    "handle": ("handle_taken", HANDLE_TAKEN),
}


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    handle: str | None
    display_name: str
    email: str | None
    phone: str | None
    locale: str
    is_staff: bool
    # Whether the email (by its link) or the phone (by an SMS code) is proven: publishing, selling and payouts
    # wait for it.
    verified: bool = False
    # The address signed up with when it already had another account (see sign_up_with_email): shown, never used.
    unconfirmed_email: str | None = None

    @property
    def shown_email(self) -> str | None:
        """The address the account's own pages show: its email, or the one it signed up with."""
        return self.email or self.unconfirmed_email


class Unverified(ServiceError):
    """Publishing, selling or a payout asked of an account whose email or phone is not verified yet."""

    status_code = 403

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or N_("Verify your email address or phone number first: we sent you a link."),
            code="unverified",
        )


def _account(row: dict[str, Any]) -> Account:
    return Account(
        id=row["id"],
        handle=row["handle"],
        display_name=row["display_name"],
        email=row["email"],
        phone=row["phone"],
        locale=row["locale"],
        is_staff=row["is_staff"],
        verified=bool(row.get("email_verified_at") or row.get("phone_verified_at")),
        unconfirmed_email=row.get("unconfirmed_email"),
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _clean(errors: dict[str, str], field: str, cleaner: Any, raw: str) -> Any:
    try:
        return cleaner(raw)
    except FieldError as exc:
        errors[field] = exc.message
        return None


async def get_account(uow: UnitOfWork, account_id: uuid.UUID) -> Account | None:
    row = await uow.read_known(str(account_id), Creator.select().where(Creator.id == account_id).first())
    return _account(row) if row else None


async def find_by_handle(uow: UnitOfWork, handle: str) -> Account | None:
    async with uow.scope():
        await uow.look_up(handle.lower())
        row = await Creator.select().where(Creator.handle == handle.lower()).first()
    return _account(row) if row else None


async def _taken(
    uow: UnitOfWork, errors: dict[str, str], codes: dict[str, str], **values: str | None
) -> None:
    """Name the taken values among ``values`` (email, phone, handle): for the message only. The unique
    constraints are what keep them unique; a sign-up form just says every problem at once."""
    async with uow.scope():
        for field, value in values.items():
            if not value:
                continue
            await uow.look_up(value)
            if await Creator.exists().where(getattr(Creator, field) == value):
                codes[field], errors[field] = TAKEN[field]
        handle = values.get("handle")
        if handle and "handle" not in errors and await _retired_by_another(handle, None):
            codes["handle"], errors["handle"] = TAKEN["handle"]


async def add_taken_handle(uow: UnitOfWork, refused: InvalidInput, handle: str) -> None:
    """Add to a sign-up form's refusal that its handle is taken, if it is: the form says every problem at once.
    Whether the email or phone has an account is never said (it would tell anyone which addresses do)."""
    if "handle" in refused.errors:
        return
    try:
        clean_handle = validation.clean_handle(handle)
    except FieldError:
        return
    await _taken(uow, refused.errors, refused.codes, handle=clean_handle)


async def sign_up_with_email(uow: UnitOfWork, form: inputs.EmailSignUp, *, locale: str) -> Account:
    """A new account, logged in at once, whose email waits for its link.

    An address that already has an account gets an account too, which reads the same on every page but can never
    have that address (``unconfirmed_email``): its "verify" mails go to the address as "you already have an
    account", and logging in by email needs a verified address. So nothing the person signing up sees, then or
    later, tells whether the address was taken; only the address's owner learns of it.
    """
    password_hash = await security.hash_password(form.password)  # before the transaction begins
    async with uow.scope():
        await uow.look_up(form.email)
        taken = await Creator.exists().where(Creator.email == form.email)
    address = {"unconfirmed_email": form.email} if taken else {"email": form.email}
    account = await _create(
        uow,
        display_name=form.display_name,
        handle=form.handle,
        password_hash=password_hash,
        locale=locale,
        **address,
    )
    await send_email_verification(uow, account, locale)
    return account


async def _create(uow: UnitOfWork, **values: Any) -> Account:
    """Insert a creator; a taken handle, email or phone (the unique constraints) is an InvalidInput."""
    creator = Creator(id=uuid.uuid4(), **values)
    try:
        async with uow.savepoint():
            await uow.look_up(values["handle"])  # the new row must be visible to this unit
            await creator.save()
            # Checked after the insert: a rename that retires this handle at the same moment has committed
            # by now (the unique handle made this insert wait for it), so the check cannot miss it.
            if values.get("handle") and await _retired_by_another(values["handle"], creator.id):
                raise InvalidInput({"handle": HANDLE_TAKEN}, {"handle": "handle_taken"})
    except InvalidInput:
        raise
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        errors: dict[str, str] = {}
        codes: dict[str, str] = {}
        await _taken(uow, errors, codes, **{k: values.get(k) for k in TAKEN})
        raise InvalidInput(errors or {"handle": HANDLE_TAKEN}, codes or {"handle": "handle_taken"}) from exc
    return _account(creator.to_dict())


async def authenticate(uow: UnitOfWork, credentials: inputs.Credentials) -> Account:
    """The account for this email and password; one message for every failure, so none reveals an account."""
    failure = ServiceError(inputs.LOGIN_FAILED, field="email")
    row = None
    if credentials.email is not None:
        async with uow.scope():
            await uow.look_up(credentials.email)
            row = await Creator.select().where(Creator.email == credentials.email).first()
    if row is None:
        await security.verify_password(None, credentials.password)  # the same time as a real check
        raise failure
    if not await security.verify_password(row["password_hash"], credentials.password):
        raise failure
    if row["email_verified_at"] is None:
        # An address nobody has proven yet does not log in: a sign-up with somebody else's address gets an
        # account without it (see sign_up_with_email), so letting this one in would tell that the other was
        # taken. The right password sends the link again; the page reads as for a wrong one.
        await send_email_verification(uow, _account(row), row["locale"])
        raise failure
    return _account(row)


async def request_phone_code(
    uow: UnitOfWork, form: inputs.PhoneSignUp | inputs.PhoneNumber, *, secret_key: str, locale: str
) -> str:
    """Send a 6-digit code to the form's phone: to sign up (PhoneSignUp) or to log in (PhoneNumber); returns
    the phone in E.164."""
    clean_phone = form.phone
    purpose = "signup" if isinstance(form, inputs.PhoneSignUp) else "login"
    pending: dict[str, str] = {}
    if isinstance(form, inputs.PhoneSignUp):
        pending = {"display_name": form.display_name, "handle": form.handle}
        # Said early, before an SMS is paid for (the phone is not: see below); the unique constraints decide
        # when the code is confirmed.
        errors: dict[str, str] = {}
        codes: dict[str, str] = {}
        await _taken(uow, errors, codes, handle=form.handle)
        if errors:
            raise InvalidInput(errors, codes)
    async with uow.scope():
        await uow.look_up(clean_phone)  # the phone's account and codes
        if purpose == "signup" and await Creator.exists().where(Creator.phone == clean_phone):
            # The page reads as for a new number (go to /verify); the SMS tells the owner to log in instead.
            await jobs.enqueue(uow, "identity.send_account_exists", {"phone": clean_phone, "locale": locale})
            return clean_phone
        if purpose == "login" and not await Creator.exists().where(Creator.phone == clean_phone):
            # Say nothing: the page reads the same whether or not the number has an account.
            return clean_phone
    code = security.new_numeric_code()
    async with uow.scope():
        # A new code replaces any earlier one, so only the latest message works.
        await PhoneCode.update({PhoneCode.consumed_at: _now()}).where(
            (PhoneCode.phone == clean_phone)
            & (PhoneCode.purpose == purpose)
            & PhoneCode.consumed_at.is_null()
        )
        await PhoneCode(
            id=uuid.uuid4(),
            phone=clean_phone,
            purpose=purpose,
            pending=pending,
            code_digest=security.keyed_digest(secret_key, f"{clean_phone}:{code}"),
            expires_at=_now() + CODE_LIFETIME,
        ).save()
        # The outbox holds the code only sealed (encrypted, expiring with the code), never in clear.
        await jobs.enqueue(
            uow,
            "identity.send_code",
            {"phone": clean_phone, "sealed_code": security.seal(secret_key, code), "locale": locale},
        )
    return clean_phone


async def confirm_phone_code(
    uow: UnitOfWork, form: inputs.PhoneCode, *, secret_key: str, purpose: str, locale: str
) -> Account:
    invalid = ServiceError(N_("That code is not right. Check the SMS and try again."), field="code")
    async with uow.scope():
        await uow.look_up(form.phone)  # the phone's account and codes
        return await _confirm(uow, secret_key, form.phone, purpose, form.code, locale, invalid)


async def _confirm(
    uow: UnitOfWork,
    secret_key: str,
    clean_phone: str,
    purpose: str,
    clean_code: str,
    locale: str,
    invalid: ServiceError,
) -> Account:
    pending = await consume_code(secret_key, clean_phone, purpose, clean_code, invalid)
    if purpose == "login":
        account = await Creator.select().where(Creator.phone == clean_phone).first()
        if account is None:
            raise invalid
        return _account(account)
    # The code just confirmed came to this phone: it is verified.
    return await _create(
        uow,
        display_name=pending["display_name"],
        handle=pending["handle"],
        phone=clean_phone,
        phone_verified_at=_now(),
        locale=locale,
    )


async def consume_code(
    secret_key: str, clean_phone: str, purpose: str, clean_code: str, invalid: ServiceError
) -> dict[str, Any]:
    """Check and use up the latest code texted to ``clean_phone`` for ``purpose`` (in the caller's scope);
    returns what was pending on it. Wrong, expired, overused or already used codes raise."""
    row = (
        await PhoneCode.select()
        .where(
            (PhoneCode.phone == clean_phone)
            & (PhoneCode.purpose == purpose)
            & PhoneCode.consumed_at.is_null()
        )
        .order_by(PhoneCode.created_at, ascending=False)
        .first()
    )
    if row is None:
        raise invalid
    if _as_utc(row["expires_at"]) < _now():
        raise ServiceError(N_("That code has expired. Ask for a new one."), field="code")
    # Count the attempt before comparing, atomically: concurrent guesses can never get past CODE_ATTEMPTS.
    counted = (
        await PhoneCode.update({PhoneCode.attempts: PhoneCode.attempts + 1})
        .where((PhoneCode.id == row["id"]) & (PhoneCode.attempts < CODE_ATTEMPTS))
        .returning(PhoneCode.id)
    )
    if not counted:
        raise ServiceError(N_("Too many wrong codes. Ask for a new one."), field="code")
    expected = row["code_digest"]
    if not security.digests_match(expected, security.keyed_digest(secret_key, f"{clean_phone}:{clean_code}")):
        raise invalid
    consumed = (
        await PhoneCode.update({PhoneCode.consumed_at: _now()})
        .where((PhoneCode.id == row["id"]) & PhoneCode.consumed_at.is_null())
        .returning(PhoneCode.id)
    )
    if not consumed:  # a concurrent request used the same code first
        raise invalid
    pending = row["pending"] if isinstance(row["pending"], dict) else json.loads(row["pending"] or "{}")
    return dict(pending)


def _reset_token(creator_id: uuid.UUID) -> str:
    """``<creator id>.<random>``: the id (not a secret) says whose rows to act on, the random part proves
    it."""
    return f"{creator_id.hex}.{security.new_token()}"


def _reset_creator(token: str) -> uuid.UUID | None:
    creator_hex, _, secret = token.partition(".")
    if len(creator_hex) != 32 or not secret:
        return None
    try:
        return uuid.UUID(hex=creator_hex)
    except ValueError:
        return None


async def start_password_reset(
    uow: UnitOfWork, form: inputs.EmailAddress, *, secret_key: str, reset_url: str, locale: str
) -> None:
    """Email a reset link if the address has an account, else tell the address it has none; the page is alike."""
    clean_email = form.email
    async with uow.scope():
        await uow.look_up(clean_email)
        row = await Creator.select(Creator.id).where(Creator.email == clean_email).first()
        if row is None:
            # The page reads the same; the address learns that it has no account (and how to make one).
            await jobs.enqueue(uow, "identity.send_no_account", {"email": clean_email, "locale": locale})
            return
    token = _reset_token(row["id"])
    # password_reset is creator-owned (RLS on PostgreSQL): write it acting for its creator, with the job.
    tenant = await uow.act_for(row["id"])
    async with tenant.scope():
        await PasswordReset(
            id=uuid.uuid4(),
            creator_id=row["id"],
            token_digest=security.keyed_digest(secret_key, token),
            expires_at=_now() + RESET_LIFETIME,
        ).save()
        await jobs.enqueue(
            uow,
            "identity.send_reset_link",
            {
                "email": clean_email,
                "reset_url": reset_url,
                "sealed_token": security.seal(secret_key, token),
                "locale": locale,
            },
        )


async def reset_password(uow: UnitOfWork, form: inputs.PasswordReset, *, secret_key: str) -> Account:
    """Set a new password from an emailed link; the link works once, for RESET_LIFETIME."""
    token, clean_password = form.token, form.password
    expired = ServiceError(N_("This reset link has expired or was already used. Ask for a new one."))
    creator_id = _reset_creator(token[:200])
    if creator_id is None:
        raise expired
    digest = security.keyed_digest(secret_key, token[:200])
    # Hashed before the first query (the transaction begins there), so no connection waits on argon2.
    new_hash = await security.hash_password(clean_password)
    tenant = await uow.act_for(creator_id)
    async with tenant.scope():
        row = (
            await PasswordReset.select()
            .where((PasswordReset.token_digest == digest) & (PasswordReset.creator_id == creator_id))
            .first()
        )
        if row is None or row["used_at"] is not None or _as_utc(row["expires_at"]) < _now():
            raise expired
        used = (
            await PasswordReset.update({PasswordReset.used_at: _now()})
            .where((PasswordReset.id == row["id"]) & PasswordReset.used_at.is_null())
            .returning(PasswordReset.id)
        )
        if not used:
            raise expired
        # Using one link ends every other one still outstanding: an older email must not reset it again.
        await PasswordReset.update({PasswordReset.used_at: _now()}).where(
            (PasswordReset.creator_id == creator_id) & PasswordReset.used_at.is_null()
        )
        await Creator.update({Creator.password_hash: new_hash}).where(Creator.id == creator_id)
        # The link came to the account's email, so the address is proven, as by its verification link.
        await Creator.update({Creator.email_verified_at: _now()}).where(
            (Creator.id == creator_id) & Creator.email.is_not_null() & Creator.email_verified_at.is_null()
        )
    account = await get_account(uow, creator_id)
    if account is None:
        raise NotFoundError()
    return account


async def record_sign_in(uow: UnitOfWork, account: Account, *, method: str, ip: str, user_agent: str) -> None:
    tenant = await uow.act_for(account.id)
    async with tenant.scope():
        await Creator.update({Creator.last_login_at: _now()}).where(Creator.id == account.id)
        await SignIn(
            id=uuid.uuid4(), creator_id=account.id, method=method, ip=ip[:45], user_agent=user_agent[:200]
        ).save()


async def list_sign_ins(tenant: Tenant) -> list[dict[str, Any]]:
    async with tenant.scope():
        return await (
            SignIn.select()
            .where(SignIn.creator_id == tenant.creator_id)
            .order_by(SignIn.created_at, ascending=False)
            .limit(SIGN_IN_HISTORY)
        )


async def get_sign_in(tenant: Tenant, sign_in_id: uuid.UUID) -> dict[str, Any]:
    async with tenant.scope():
        row = (
            await SignIn.select()
            .where((SignIn.id == sign_in_id) & (SignIn.creator_id == tenant.creator_id))
            .first()
        )
    if row is None:
        raise NotFoundError()
    return row


async def create_staff(uow: UnitOfWork, *, email: str, password: str, display_name: str) -> Account:
    """A staff account for ``email``; an existing account with that email becomes staff with this password."""
    errors: dict[str, str] = {}
    clean_email = _clean(errors, "email", validation.clean_email, email)
    clean_password = _clean(errors, "password", validation.clean_password, password)
    name = _clean(errors, "display_name", validation.clean_display_name, display_name)
    if errors:
        raise InvalidInput(errors)
    password_hash = await security.hash_password(clean_password)  # before the transaction begins
    async with uow.scope():
        await uow.look_up(clean_email)
        # One statement, whichever comes first: the unique email decides between insert and update.
        await Creator.insert(
            Creator(
                id=uuid.uuid4(),
                display_name=name,
                email=clean_email,
                password_hash=password_hash,
                is_staff=True,
                email_verified_at=_now(),  # vouched for by whoever runs the command
            )
        ).on_conflict(
            target=Creator.email,
            action="DO UPDATE",
            values=[
                (Creator.is_staff, True),
                (Creator.password_hash, password_hash),
                (Creator.email_verified_at, _now()),
            ],
        )
        row = await Creator.select().where(Creator.email == clean_email).first()
    assert row is not None
    return _account(row)


async def change_handle(tenant: Tenant, handle: str) -> Account:
    """Give the creator a new public handle (/@handle): validated, unique (the schema's), reserved words
    refused. Runs in the caller's unit of work, so it commits together with whatever else the request saves."""
    try:
        clean_handle = validation.clean_handle(handle)
    except FieldError as exc:
        raise InvalidInput({"handle": exc.message}) from None
    async with tenant.scope():
        before = await Creator.select(Creator.handle).where(Creator.id == tenant.creator_id).first()
    if before is None:
        raise NotFoundError()
    try:
        async with tenant.savepoint():
            rows = (
                await Creator.update({Creator.handle: clean_handle})
                .where(Creator.id == tenant.creator_id)
                .returning(*Creator.all_columns())
            )
            if before["handle"] != clean_handle:
                await _move_handle(tenant.creator_id, before["handle"], clean_handle)
    except InvalidInput:
        raise
    except Exception as exc:
        if is_unique_violation(exc):
            raise InvalidInput({"handle": HANDLE_TAKEN}, {"handle": "handle_taken"}) from exc
        raise
    if not rows:
        raise NotFoundError()
    if before["handle"] != clean_handle:
        # The store moves to its new address: its pages are rendered there, and dropped from the old one.
        async with tenant.scope():
            await pages_changed(tenant.uow, tenant.creator_id, old_handle=before["handle"])
    return _account(rows[0])


# --- retired handles ----------------------------------------------------------------------------------------


async def _retired_by_another(handle: str, creator_id: uuid.UUID | None) -> bool:
    """Whether ``handle`` is still reserved for a creator other than ``creator_id`` (in the caller's scope)."""
    query = RetiredHandle.exists().where((RetiredHandle.handle == handle) & (RetiredHandle.until > _now()))
    if creator_id is not None:
        query = query.where(RetiredHandle.creator_id != creator_id)
    return bool(await query)


async def _move_handle(creator_id: uuid.UUID, old: str | None, new: str) -> None:
    """After the creator's row took ``new``: refuse it if it is another creator's retired handle, take it back
    if it is their own, and keep ``old`` for them (redirecting to ``new``) for HANDLE_RESERVED_FOR.

    Runs after the UPDATE on purpose: a concurrent rename that retires ``new`` held its row's unique handle
    until it committed, so by now its retired row is visible here (a check before the UPDATE could miss it).
    """
    if await _retired_by_another(new, creator_id):
        raise InvalidInput({"handle": HANDLE_TAKEN}, {"handle": "handle_taken"})
    # Taking back one's own old handle, or a long-expired one of somebody else, ends its redirect.
    await RetiredHandle.delete().where(RetiredHandle.handle == new)
    if not old:
        return
    now = _now()
    await RetiredHandle.insert(
        RetiredHandle(
            id=uuid.uuid4(),
            handle=old,
            creator_id=creator_id,
            retired_at=now,
            until=now + HANDLE_RESERVED_FOR,
        )
    ).on_conflict(
        target=RetiredHandle.handle,
        action="DO UPDATE",
        values=[
            (RetiredHandle.creator_id, creator_id),
            (RetiredHandle.retired_at, now),
            (RetiredHandle.until, now + HANDLE_RESERVED_FOR),
        ],
    )


async def handle_moved_to(uow: UnitOfWork, handle: str) -> str | None:
    """The current handle of the creator who retired ``handle`` (still reserved), for a 301 from the old
    address; None when nobody did or the reservation is over."""
    async with uow.scope():
        retired = (
            await RetiredHandle.select(RetiredHandle.creator_id)
            .where((RetiredHandle.handle == handle.lower()) & (RetiredHandle.until > _now()))
            .first()
        )
        if retired is None:
            return None
        await uow.look_up(str(retired["creator_id"]))
        row = await Creator.select(Creator.handle).where(Creator.id == retired["creator_id"]).first()
    current = row["handle"] if row else None
    return current if current and current != handle.lower() else None


# --- verification -------------------------------------------------------------------------------------------

EMAIL_LINK_LIFETIME = dt.timedelta(days=3)


def email_verification_token(secret_key: str, creator_id: uuid.UUID, email: str) -> str:
    """The token of a verification link: sealed (encrypted, authenticated, dated), naming the creator and the
    address it was sent to, so it proves only that address, and only while it is still the account's."""
    return security.seal(secret_key, f"verify-email:{creator_id}:{email}")


async def send_email_verification(uow: UnitOfWork, account: Account, locale: str) -> None:
    """Queue the verification link to the account's email (the job mints the link when it sends it). An account
    that signed up with somebody else's address sends that address "you already have an account" instead."""
    if account.unconfirmed_email and not account.email:
        payload = {"email": account.unconfirmed_email, "locale": locale}
        await jobs.enqueue(uow, "identity.send_account_exists", payload)
        return
    if not account.email:
        return
    payload = {"creator_id": str(account.id), "email": account.email, "locale": locale}
    await jobs.enqueue(uow, "identity.send_email_verification", payload)


async def verify_email(uow: UnitOfWork, *, secret_key: str, token: str) -> Account:
    """Mark the account's email verified by the token of its link; a wrong, expired or outdated link fails."""
    failure = ServiceError(N_("That verification link is not valid or has expired. Ask for a new one."))
    creator_id, email = open_email_link(secret_key, token, "verify-email", EMAIL_LINK_LIFETIME, failure)
    async with uow.scope():
        await uow.look_up(str(creator_id))
        # Only while the address is still the account's: a link sent before an email change proves nothing.
        await Creator.update({Creator.email_verified_at: _now()}).where(
            (Creator.id == creator_id) & (Creator.email == email) & Creator.email_verified_at.is_null()
        )
        row = await Creator.select().where((Creator.id == creator_id) & (Creator.email == email)).first()
    if row is None:
        raise failure
    return _account(row)


def require_verified(account: Account, message: str = "") -> None:
    """Raise Unverified unless the account's email or phone is verified (publishing, selling, payouts)."""
    if not account.verified:
        raise Unverified(message)

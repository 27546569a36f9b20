"""Typed inputs of the identity service, and the cleaning that makes them from the sign-up, log-in, password
reset and account forms.

The pages clean; the service takes these values. A cleaning function returns the typed value or raises
InvalidInput with one msgid per field (the names the forms use). What depends on stored state (a taken handle,
email or phone, the right password, a live code or link) is still checked by the service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from windsurf.core.errors import InvalidInput, ServiceError
from windsurf.core.i18n import N_
from windsurf.identity import validation
from windsurf.identity.validation import FieldError

LOGIN_FAILED = N_(
    "That email and password do not match an account. "
    "If you signed up recently, first open the link we emailed you."
)
TOKEN_MAX = 500


@dataclass(frozen=True)
class EmailSignUp:
    display_name: str
    handle: str
    email: str  # normalised, lower case
    password: str


@dataclass(frozen=True)
class PhoneSignUp:
    display_name: str
    handle: str
    phone: str  # E.164


@dataclass(frozen=True)
class PhoneNumber:
    phone: str  # E.164


@dataclass(frozen=True)
class Credentials:
    """What the log-in form gave. ``email`` is None when it was not an address at all: it matches no account,
    and the service answers as for a wrong password (after the same password check), so no failure differs."""

    email: str | None
    password: str  # at most PASSWORD_MAX characters: longer ones never match


@dataclass(frozen=True)
class PhoneCode:
    phone: str  # E.164
    code: str  # six digits


@dataclass(frozen=True)
class EmailAddress:
    email: str


@dataclass(frozen=True)
class PasswordReset:
    token: str  # as emailed, at most TOKEN_MAX characters; the service checks it
    password: str


@dataclass(frozen=True)
class PasswordChange:
    current_password: str
    password: str


@dataclass(frozen=True)
class EmailChange:
    email: str
    current_password: str


@dataclass(frozen=True)
class CurrentPassword:
    current_password: str


def _collect(errors: dict[str, str], name: str, cleaner: Callable[[str], Any], raw: str) -> Any:
    try:
        return cleaner(raw)
    except FieldError as exc:
        errors[name] = exc.message
        return None


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidInput(errors)


def _typed_password(raw: str) -> str:
    """The current password as typed, cut to the longest a password can be (a check costs the same)."""
    return raw[: validation.PASSWORD_MAX]


# --- sign up and log in -------------------------------------------------------------------------------------


def email_sign_up_form(*, display_name: str, handle: str, email: str, password: str) -> EmailSignUp:
    errors: dict[str, str] = {}
    name = _collect(errors, "display_name", validation.clean_display_name, display_name)
    clean_handle = _collect(errors, "handle", validation.clean_handle, handle)
    clean_email = _collect(errors, "email", validation.clean_email, email)
    clean_password = _collect(errors, "password", validation.clean_password, password)
    _raise(errors)
    return EmailSignUp(name, clean_handle, clean_email, clean_password)


def phone_sign_up_form(*, display_name: str, handle: str, phone: str) -> PhoneSignUp:
    errors: dict[str, str] = {}
    clean_phone = _collect(errors, "phone", validation.clean_phone, phone)
    name = _collect(errors, "display_name", validation.clean_display_name, display_name)
    clean_handle = _collect(errors, "handle", validation.clean_handle, handle)
    _raise(errors)
    return PhoneSignUp(name, clean_handle, clean_phone)


def phone_number_form(*, phone: str) -> PhoneNumber:
    errors: dict[str, str] = {}
    clean_phone = _collect(errors, "phone", validation.clean_phone, phone)
    _raise(errors)
    return PhoneNumber(clean_phone)


def login_form(*, email: str, password: str) -> Credentials:
    """Never refuses: a malformed address is one that has no account (see Credentials)."""
    try:
        clean_email: str | None = validation.clean_email(email)
    except FieldError:
        clean_email = None
    return Credentials(clean_email, _typed_password(password))


def phone_code_form(*, phone: str, code: str) -> PhoneCode:
    """The number the code went to and the code typed back. Both problems are the code's: the number is a
    hidden field of the code page."""
    try:
        return PhoneCode(validation.clean_phone(phone), validation.clean_code(code))
    except FieldError as exc:
        raise ServiceError(exc.message, field="code") from None


# --- passwords and account changes --------------------------------------------------------------------------


def email_address_form(*, email: str) -> EmailAddress:
    errors: dict[str, str] = {}
    clean_email = _collect(errors, "email", validation.clean_email, email)
    _raise(errors)
    return EmailAddress(clean_email)


def password_reset_form(*, token: str, password: str) -> PasswordReset:
    errors: dict[str, str] = {}
    clean_password = _collect(errors, "password", validation.clean_password, password)
    _raise(errors)
    return PasswordReset(token[:TOKEN_MAX], clean_password)


def password_change_form(*, current_password: str, password: str) -> PasswordChange:
    errors: dict[str, str] = {}
    clean_password = _collect(errors, "password", validation.clean_password, password)
    _raise(errors)
    return PasswordChange(_typed_password(current_password), clean_password)


def email_change_form(*, email: str, current_password: str) -> EmailChange:
    errors: dict[str, str] = {}
    clean_email = _collect(errors, "email", validation.clean_email, email)
    _raise(errors)
    return EmailChange(clean_email, _typed_password(current_password))


def current_password_form(*, current_password: str) -> CurrentPassword:
    return CurrentPassword(_typed_password(current_password))

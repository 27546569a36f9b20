"""What a valid email, Ethiopian phone number, handle, name and password are. Messages are msgids."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from windsurf.core.errors import FieldError as FieldError  # one class for every domain's field checks
from windsurf.core.i18n import N_

HANDLE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9_]{1,28}[a-z0-9])$")
# Handles that would collide with platform paths, impersonate staff or confuse buyers.
RESERVED_HANDLES = frozenset(
    [
        *(
            "admin",
            "administrator",
            "api",
            "app",
            "apps",
            "assets",
            "billing",
            "blog",
            "checkout",
            "dashboard",
        ),
        *("demo-store", "docs", "download", "downloads", "health", "help", "home", "login", "logout", "me"),
        *("metrics", "official", "password-reset", "payments", "privacy", "root", "schema", "security"),
        *("settings", "signup", "static", "staff", "status", "store", "stores", "support", "system", "terms"),
        *("webhooks", "windsurf", "www"),
        # First path segments the platform serves or plans to serve, besides those its routes already take
        # (create_app reserves every route's first segment: see reserve_route_segments).
        *("abuse", "account", "accounts", "auth", "cart", "checkout", "download", "language", "library"),
        *("media", "null", "none", "undefined", "orders", "pay", "payment", "payouts", "subscribe"),
        *("verify", "well_known", "favicon", "robots", "sitemap", "oauth", "sso"),
    ]
)
_route_segments: set[str] = set()


def reserve_route_segments(paths: Iterable[str]) -> None:
    """Reserve the first segment of every route path, so that no handle can ever shadow a platform page.

    Called by create_app with the paths of every service's routes (whether or not this process mounts
    them), so the list follows the route table instead of being kept by hand.
    """
    for path in paths:
        first = path.strip("/").split("/", 1)[0].lower()
        if first and "{" not in first:
            _route_segments.add(first.removeprefix("@").replace("-", "_").replace(".", "_"))
            _route_segments.add(first.removeprefix("@"))


def is_reserved_handle(value: str) -> bool:
    return value in RESERVED_HANDLES or value in _route_segments


PASSWORD_MIN, PASSWORD_MAX = 8, 128
NAME_MAX = 80
EMAIL_MAX = 254


def clean_email(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise FieldError(N_("Enter your email address."))
    if len(value) > EMAIL_MAX:
        raise FieldError(N_("That email address is too long."))
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise FieldError(N_("Enter a valid email address, like name@example.com.")) from None


def clean_phone(raw: str) -> str:
    """An Ethiopian mobile number (09/07, with or without +251) in E.164."""
    value = raw.strip()
    if not value:
        raise FieldError(N_("Enter your phone number."))
    if len(value) > 20:
        raise FieldError(N_("Enter a valid Ethiopian mobile number, like 0911 234 567."))
    try:
        number = phonenumbers.parse(value, "ET")
    except phonenumbers.NumberParseException:
        raise FieldError(N_("Enter a valid Ethiopian mobile number, like 0911 234 567.")) from None
    mobile = phonenumbers.number_type(number) in {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    if number.country_code != 251 or not phonenumbers.is_valid_number(number) or not mobile:
        raise FieldError(N_("Enter a valid Ethiopian mobile number, like 0911 234 567."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_handle(raw: str) -> str:
    value = raw.strip().lower().removeprefix("@")
    if not HANDLE_PATTERN.match(value):
        raise FieldError(
            N_(
                "A handle has 3 to 30 characters: lowercase letters, digits and underscores, "
                "not at either end."
            )
        )
    if is_reserved_handle(value):
        raise FieldError(N_("That handle is reserved. Please choose another."))
    return value


def has_control_characters(value: str) -> bool:
    """NUL, other control characters and lone surrogates: PostgreSQL refuses them and no name needs them."""
    return any(unicodedata.category(char) in {"Cc", "Cs"} for char in value)


def clean_display_name(raw: str) -> str:
    value = " ".join(raw.split())
    if not value:
        raise FieldError(N_("Enter your name."))
    if len(value) > NAME_MAX:
        raise FieldError(N_("Your name can have at most 80 characters."))
    if has_control_characters(value):
        raise FieldError(N_("Your name can only have letters, digits, spaces and punctuation."))
    return value


def clean_password(raw: str) -> str:
    if len(raw) < PASSWORD_MIN:
        raise FieldError(N_("Use at least 8 characters for your password."))
    if len(raw) > PASSWORD_MAX:
        raise FieldError(N_("Your password can have at most 128 characters."))
    if any(unicodedata.category(char) == "Cs" for char in raw):  # cannot be encoded for hashing
        raise FieldError(N_("Your password has a character we cannot read. Please choose another."))
    return raw


def clean_code(raw: str) -> str:
    value = raw.strip().replace(" ", "")
    if not re.fullmatch(r"\d{6}", value):
        raise FieldError(N_("Enter the 6-digit code we sent you."))
    return value

"""Typed inputs of the store service, and the cleaning that makes them from the builder's forms.

The pages clean; the service takes these values. A cleaning function returns the typed value or raises
InvalidInput with one msgid per field (the names the builder's forms use). What depends on stored state (a
product block pointing at one of the creator's public products, a block's type on edit, a free handle) is
still checked by the service.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from windsurf.core.errors import InvalidInput
from windsurf.core.i18n import N_, SUPPORTED_LOCALES
from windsurf.identity import validation
from windsurf.identity.validation import FieldError

BIO_MAX = 300
TITLE_MAX = 80
URL_MAX = 500
PALETTE_KEYS = ("sand", "night", "forest", "sky", "rose")
LAYOUT_KEYS = ("list", "grid", "featured", "links")
BUTTON_KEYS = ("rounded", "pill", "square")
CONTACT_KINDS = ("email", "phone")
SOCIAL_NETWORKS = ("telegram", "tiktok", "instagram", "youtube", "facebook", "x")
_ACCENT = re.compile(r"^#[0-9a-f]{6}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Palette = Literal["sand", "night", "forest", "sky", "rose"]
Layout = Literal["list", "grid", "featured", "links"]
ButtonShape = Literal["rounded", "pill", "square"]
Language = Literal["am", "en"]
ContactKind = Literal["email", "phone"]
Network = Literal["telegram", "tiktok", "instagram", "youtube", "facebook", "x"]
Direction = Literal["up", "down"]


@dataclass(frozen=True)
class Profile:
    display_name: str
    handle: str
    bio: str


@dataclass(frozen=True)
class Theme:
    palette: Palette
    accent: str  # "#rrggbb", lower case
    layout: Layout = "list"
    button: ButtonShape = "rounded"


@dataclass(frozen=True)
class Socials:
    links: tuple[tuple[Network, str], ...]  # in SOCIAL_NETWORKS order, only the ones given


@dataclass(frozen=True)
class StoreSettings:
    language: Language
    ethiopian_calendar: bool


@dataclass(frozen=True)
class LinkBlock:
    title: str
    url: str
    type: Literal["link"] = "link"


@dataclass(frozen=True)
class CaptureBlock:
    heading: str
    contact: ContactKind
    type: Literal["capture"] = "capture"


@dataclass(frozen=True)
class ProductBlock:
    product_id: uuid.UUID
    type: Literal["product"] = "product"


BlockInput = LinkBlock | CaptureBlock | ProductBlock


# --- per field ----------------------------------------------------------------------------------------------


def clean_text(raw: str, *, limit: int, required: str | None = None, too_long: str) -> str:
    value = " ".join(_CONTROL.sub("", raw).split())
    if not value and required:
        raise FieldError(required)
    if len(value) > limit:
        raise FieldError(too_long)
    return value


def clean_bio(raw: str) -> str:
    """Plain text; line breaks kept (at most one empty line in a row), other control characters dropped."""
    lines = [" ".join(line.split()) for line in _CONTROL.sub("", raw.replace("\r\n", "\n")).split("\n")]
    value = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if len(value) > BIO_MAX:
        raise FieldError(N_("Your bio can have at most 300 characters."))
    return value


def clean_url(raw: str, *, required: bool = True) -> str:
    """An absolute http(s) URL; javascript:, data: and every other scheme are refused."""
    value = raw.strip()
    if not value:
        if required:
            raise FieldError(N_("Enter a link starting with https://"))
        return ""
    if len(value) > URL_MAX or _CONTROL.search(value) or any(c.isspace() for c in value):
        raise FieldError(N_("Enter a link starting with https://"))
    try:
        parts = urlsplit(value)
    except ValueError:
        raise FieldError(N_("Enter a link starting with https://")) from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or "." not in parts.hostname:
        raise FieldError(N_("Enter a link starting with https://"))
    return value


def clean_accent(raw: str) -> str:
    value = raw.strip().lower()
    if not _ACCENT.match(value):
        raise FieldError(N_("Choose a colour like #0b7a53."))
    return value


def _collect(errors: dict[str, str], name: str, cleaner: Callable[[str], Any], raw: str) -> Any:
    try:
        return cleaner(raw)
    except FieldError as exc:
        errors[name] = exc.message
        return None


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidInput(errors)


# --- forms --------------------------------------------------------------------------------------------------


def profile_form(*, display_name: str, handle: str, bio: str) -> Profile:
    errors: dict[str, str] = {}
    name = _collect(errors, "display_name", validation.clean_display_name, display_name)
    clean_bio_value = _collect(errors, "bio", clean_bio, bio)
    new_handle = _collect(errors, "handle", validation.clean_handle, handle)
    _raise(errors)
    return Profile(name, new_handle, clean_bio_value)


def theme_form(*, palette: str, accent: str, layout: str = "list", button: str = "rounded") -> Theme:
    errors: dict[str, str] = {}
    if palette not in PALETTE_KEYS:
        errors["palette"] = N_("Choose one of the palettes.")
    clean = _collect(errors, "accent", clean_accent, accent)
    # A form from before layouts existed sends neither: the store keeps the list and rounded buttons.
    layout = layout or "list"
    button = button or "rounded"
    if layout not in LAYOUT_KEYS:
        errors["layout"] = N_("Choose one of the layouts.")
    if button not in BUTTON_KEYS:
        errors["button"] = N_("Choose one of the button shapes.")
    _raise(errors)
    return Theme(cast(Palette, palette), clean, cast(Layout, layout), cast(ButtonShape, button))


# Where a bare name (``@name`` or ``name``) lives on each network, and the hosts a link may be written without
# its scheme (``t.me/name``). What a creator copies from a bio is completed into the full link.
SOCIAL_PROFILE_URLS = {
    "telegram": "https://t.me/{name}",
    "tiktok": "https://www.tiktok.com/@{name}",
    "instagram": "https://www.instagram.com/{name}",
    "youtube": "https://www.youtube.com/@{name}",
    "facebook": "https://www.facebook.com/{name}",
    "x": "https://x.com/{name}",
}
_SOCIAL_NAME = re.compile(r"^@?([A-Za-z0-9_.]{1,64})$")
_SCHEMELESS = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/|$)", re.IGNORECASE)


def complete_social(network: str, raw: str) -> str:
    """``@name`` or ``name`` -> the network's profile link; ``t.me/name`` or ``instagram.com/name`` -> the same
    with https:// in front; anything else is left for clean_url to accept or refuse."""
    value = raw.strip()
    name = _SOCIAL_NAME.match(value)
    if name and (value.startswith("@") or "." not in value):
        return SOCIAL_PROFILE_URLS[network].format(name=name.group(1))
    if _SCHEMELESS.match(value):
        return f"https://{value}"
    return value


def socials_form(links: Mapping[str, str]) -> Socials:
    errors: dict[str, str] = {}
    socials: list[tuple[Network, str]] = []
    for network in SOCIAL_NETWORKS:
        typed = complete_social(network, links.get(network, ""))
        url = _collect(errors, network, lambda raw: clean_url(raw, required=False), typed)
        if url:
            socials.append((cast(Network, network), url))
    _raise(errors)
    return Socials(tuple(socials))


def settings_form(*, language: str, ethiopian_calendar: bool) -> StoreSettings:
    if language not in SUPPORTED_LOCALES:
        raise InvalidInput({"language": N_("Choose Amharic or English.")})
    return StoreSettings(cast(Language, language), ethiopian_calendar)


def block_form(kind: str, fields: Mapping[str, str]) -> BlockInput:
    """A block of ``kind`` from the builder's block form (a product block's product is checked by the
    service: only it can see whether the product is the creator's and public)."""
    errors: dict[str, str] = {}
    if kind == "link":
        title = _collect(
            errors,
            "title",
            lambda raw: clean_text(
                raw,
                limit=TITLE_MAX,
                required=N_("Give the link a title."),
                too_long=N_("A title can have at most 80 characters."),
            ),
            fields.get("title", ""),
        )
        url = _collect(errors, "url", clean_url, fields.get("url", ""))
        _raise(errors)
        return LinkBlock(title=title, url=url)
    if kind == "capture":
        heading = _collect(
            errors,
            "heading",
            lambda raw: clean_text(
                raw,
                limit=TITLE_MAX,
                required=N_("Write a heading, like “Get my free guide”."),
                too_long=N_("A title can have at most 80 characters."),
            ),
            fields.get("heading", ""),
        )
        contact = fields.get("contact", "")
        if contact not in CONTACT_KINDS:
            errors["contact"] = N_("Choose email or phone.")
        _raise(errors)
        return CaptureBlock(heading=heading, contact=cast(ContactKind, contact))
    if kind == "product":
        try:
            return ProductBlock(uuid.UUID(fields.get("product_id", "")))
        except ValueError:
            raise InvalidInput({"product_id": PRODUCT_MISSING}) from None
    raise InvalidInput({"type": N_("Choose what to add.")})


PRODUCT_MISSING = N_("Choose one of your products.")


def clean_direction(raw: str) -> Direction:
    if raw not in {"up", "down"}:
        raise InvalidInput({"direction": N_("Choose up or down.")})
    return cast(Direction, raw)

"""What a valid product field is: prices in birr, slugs, titles, links, durations, and safe description HTML.

Every function takes the raw text a creator typed and returns the clean value, or raises FieldError (a msgid).
Descriptions are Markdown rendered with markdown-it-py (raw HTML off), then sanitised with nh3 against a small
allow-list: the stored HTML can go into a page as is, links http/https only and rel=nofollow noopener.
"""

from __future__ import annotations

import html
import re
import secrets
import unicodedata
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

from windsurf.core.errors import FieldError as FieldError  # one class for every domain's field checks
from windsurf.core.i18n import N_

KINDS = ("download", "lead_magnet", "link", "coaching")
PAID_KINDS = ("download", "coaching")
VISIBILITIES = ("draft", "published", "unlisted")
TITLE_MAX = 120
DESCRIPTION_MAX = 8000
SLUG_MAX = 80
URL_MAX = 500
SHORT_MAX = 140
MAX_PRICE_SANTIM = 1_000_000 * 100  # one million birr: anything above is a typo, not a product
MIN_PRICE_SANTIM = 100  # one birr
DURATION_RANGE = (15, 8 * 60)
SALES_LIMIT_MAX = 1_000_000
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
# Paths under /@handle/ that pages of the store itself may use.
RESERVED_SLUGS = frozenset(
    {"checkout", "lead", "leads", "qr", "preview", "manifest", "media", "static", "edit"}
)
_PRICE = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?$|^\d+(?:\.\d{1,2})?$")

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "s",
    "del",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
}
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "strikethrough"
)


def clean_kind(raw: str) -> str:
    if raw not in KINDS:
        raise FieldError(N_("Choose what kind of product this is."))
    return raw


def clean_visibility(raw: str) -> str:
    if raw not in VISIBILITIES:
        raise FieldError(N_("Choose draft, published or unlisted."))
    return raw


def clean_title(raw: str) -> str:
    value = " ".join(unicodedata.normalize("NFC", raw).split())
    if not value:
        raise FieldError(N_("Give your product a title."))
    if len(value) > TITLE_MAX:
        raise FieldError(N_("Keep the title under 120 characters."))
    return value


def slugify(title: str) -> str:
    """An address-friendly slug from a title; titles in Ge'ez script (no Latin letters) get a random one."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60].strip("-")
    if not slug:
        slug = f"product-{secrets.token_hex(3)}"
    if slug in RESERVED_SLUGS:
        slug = f"{slug}-1"
    return slug


def clean_slug(raw: str) -> str:
    value = raw.strip().lower()
    if not SLUG_PATTERN.match(value):
        raise FieldError(N_("Use lower-case letters, digits and dashes only (for example: my-ebook)."))
    if value in RESERVED_SLUGS:
        raise FieldError(N_("That address is reserved. Please choose another."))
    return value


def parse_price(raw: str, *, required: bool = True) -> int | None:
    """Birr as typed ('150', '150.50', '1,500') to santim; None for an empty optional price."""
    value = raw.strip().replace(" ", "").replace("\u00a0", "")
    for prefix in ("ETB", "etb", "Br", "br", "ብር"):
        value = value.removeprefix(prefix)
    if not value:
        if required:
            raise FieldError(N_("Enter a price in birr, for example 150 or 150.50."))
        return None
    if not _PRICE.match(value):
        raise FieldError(N_("Enter a price in birr, for example 150 or 150.50."))
    try:
        santim = int(Decimal(value.replace(",", "")) * 100)
    except InvalidOperation:
        raise FieldError(N_("Enter a price in birr, for example 150 or 150.50.")) from None
    if santim > MAX_PRICE_SANTIM:
        raise FieldError(N_("That price is too high. The most a product may cost is 1,000,000 birr."))
    return santim


def santim_to_input(santim: int | None) -> str:
    """A santim amount as the birr text a form field shows ('150' or '150.50')."""
    if santim is None:
        return ""
    birr, cents = divmod(santim, 100)
    return f"{birr}" if cents == 0 else f"{birr}.{cents:02d}"


def clean_url(raw: str, *, required: bool) -> str:
    value = raw.strip()
    if not value:
        if required:
            raise FieldError(N_("Enter the link, starting with https://"))
        return ""
    parts = urlsplit(value)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.netloc
        or len(value) > URL_MAX
        or any(ch.isspace() or ord(ch) < 32 for ch in value)
    ):
        raise FieldError(N_("Enter a full web address starting with https://"))
    return value


def clean_whole_number(raw: str, *, low: int, high: int, message: str) -> int | None:
    value = raw.strip()
    if not value:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise FieldError(message)
    return int(value)


def clean_description(raw: str) -> str:
    value = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").strip()
    if len(value) > DESCRIPTION_MAX:
        raise FieldError(N_("Keep the description under 8,000 characters."))
    return value


def render_markdown(source: str) -> str:
    """Markdown -> HTML that is safe to embed: raw HTML is escaped, then only allow-listed tags survive."""
    rendered = _markdown.render(source)
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow noopener",
        strip_comments=True,
    )


_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)


def excerpt(description_html: str, limit: int = SHORT_MAX) -> str:
    """Plain text of the first words of a description, at most ``limit`` characters.

    Paragraphs, headings, list items and line breaks stay on lines of their own (a store card shows them
    with ``white-space: pre-line``): "Ten recipes" and "For beginners" must not run into one sentence.
    """
    marked = _BLOCK_END.sub("\n", description_html)
    text = html.unescape(nh3.clean(marked, tags=set()))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :] or "\n" in cut[limit // 2 :]:
        cut = cut[: max(cut.rfind(" "), cut.rfind("\n"))]
    return cut.rstrip(" ,.;:·-\n") + "…"

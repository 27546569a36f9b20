"""Languages, translations, money and dates for Amharic and English.

Domain code marks user-facing text with ``N_`` (a no-op the extractor knows) and the presentation layer
translates it for the request's language. Catalogs are the ``*.po`` files under a locales folder, merged per
language and compiled in memory once, so there is no build step to forget.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import ethiocalendar
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import Translations

SUPPORTED_LOCALES = ("am", "en")
LANGUAGE_COOKIE = "lang"
ADDIS_ABABA = ZoneInfo("Africa/Addis_Ababa")
_BABEL_LOCALE = {"am": "am_ET", "en": "en"}
_MONEY_PATTERN = "¤#,##0.00"
ETHIOPIAN_MONTHS = {
    "am": ["መስከረም", "ጥቅምት", "ኅዳር", "ታኅሣሥ", "ጥር", "የካቲት", "መጋቢት", "ሚያዝያ", "ግንቦት", "ሰኔ", "ሐምሌ", "ነሐሴ", "ጳጉሜ"],
    "en": [
        "Meskerem",
        "Tikimt",
        "Hidar",
        "Tahsas",
        "Tir",
        "Yekatit",
        "Megabit",
        "Miazia",
        "Ginbot",
        "Sene",
        "Hamle",
        "Nehase",
        "Pagume",
    ],
}


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here."""
    return message


@lru_cache(maxsize=8)
def translations_for(locales_dir: Path, locale: str) -> Translations:
    """All ``*.po`` catalogs of ``locale`` merged into one compiled gettext translation."""
    merged = Catalog(locale=_BABEL_LOCALE[locale])
    for po_path in sorted((locales_dir / locale / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale=_BABEL_LOCALE[locale]):
                if message.id and message.string:
                    merged.add(message.id, message.string)
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer)


def preferred_locale(cookie: str | None, accept_language: str | None) -> str | None:
    """What the visitor asked for: the language cookie, then the first supported Accept-Language entry by weight."""
    if cookie in SUPPORTED_LOCALES:
        return cookie
    for tag in _accepted_languages(accept_language or ""):
        primary = tag.split("-")[0].lower()
        if primary in SUPPORTED_LOCALES:
            return primary
    return None


def negotiate_locale(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The language cookie wins, then the first supported Accept-Language entry by weight, then ``default``."""
    preferred = preferred_locale(cookie, accept_language)
    if preferred:
        return preferred
    return default if default in SUPPORTED_LOCALES else SUPPORTED_LOCALES[0]


def _accepted_languages(header: str) -> Iterable[str]:
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag:
            weighted.append((-weight, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def format_money(santim: int, locale: str, currency: str = "ETB") -> str:
    """'ብር1,234.50' in Amharic, 'ETB 1,234.50' in English, from an integer number of santim."""
    amount = Decimal(santim) / 100
    if locale == "en":
        # Babel's English pattern glues the ISO code to the number; a space reads better for a code.
        return format_currency(amount, currency, format="¤\u00a0#,##0.00", locale="en", currency_digits=False)
    return format_currency(
        amount, currency, format=_MONEY_PATTERN, locale=_BABEL_LOCALE[locale], currency_digits=False
    )


def format_date(moment: dt.datetime | dt.date, locale: str, *, ethiopian: bool = False) -> str:
    """A date in Addis Ababa time, in the Gregorian or (per store setting) the Ethiopian calendar."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(ADDIS_ABABA).date() if moment.tzinfo else moment.date()
    if ethiopian:
        year, month, day = ethiocalendar.from_gregorian(moment.year, moment.month, moment.day)
        month_name = ETHIOPIAN_MONTHS[locale][month - 1]
        return f"{month_name} {day}, {year}"
    return babel_format_date(moment, format="medium", locale=_BABEL_LOCALE[locale])


def format_datetime(moment: dt.datetime, locale: str, *, ethiopian: bool = False) -> str:
    """A moment in Addis Ababa time; with the Ethiopian calendar, its date in that calendar and the clock time."""
    if ethiopian:
        local = moment.astimezone(ADDIS_ABABA)
        clock = babel_format_time(local, format="short", locale=_BABEL_LOCALE[locale])
        return f"{format_date(local, locale, ethiopian=True)} {clock}"
    return babel_format_datetime(moment, format="medium", tzinfo=ADDIS_ABABA, locale=_BABEL_LOCALE[locale])

"""Typed inputs of the audience service, and the cleaning that makes them from forms and CSV files.

The transport layer cleans; the service takes these values and never parses text. Cleaning raises
``InvalidInput`` with one msgid per form field, or (for an import) lists each bad row with its reasons while the
good rows are kept.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

from windsurf.core.errors import InvalidInput
from windsurf.core.i18n import N_
from windsurf.identity import validation
from windsurf.identity.validation import FieldError

Source = Literal["lead_block", "lead_magnet", "purchase", "import", "manual"]
Channel = Literal["email", "sms"]  # how a contact is reached (and consents)
BroadcastChannel = Literal["email", "sms", "telegram"]  # telegram: one post to the creator's channel
TELEGRAM_CHANNEL = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
ContactKind = Literal["email", "phone"]

MAX_TAGS = 20
TAG_MAX = 30
NOTES_MAX = 4000
NAME_MAX = 100
IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 1_000_000
YES = {"yes", "y", "true", "1", "x", "አዎ", "አዎን"}
NO = {"", "no", "n", "false", "0", "አይ", "አይደለም"}
CONSENT_COLUMNS = ("email_consent", "sms_consent")
SUBJECT_MAX = 150
BODY_MAX = 10_000
SMS_BODY_MAX = 1_000
TELEGRAM_BODY_MAX = 4_000  # Telegram's limit is 4,096


@dataclass(frozen=True)
class NewContact:
    """A person joining (or joining again): merged with the contact of the same email or phone.

    A consent of ``True`` is recorded with ``consent_how``; ``None`` or ``False`` never withdraws one given
    before (only the person does that, by unsubscribing).
    """

    source: Source
    email: str | None = None
    phone: str | None = None
    name: str = ""
    email_consent: bool | None = None
    sms_consent: bool | None = None
    consent_how: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class BroadcastDraft:
    """A broadcast as composed: ``body_md`` is Markdown for email (sanitised when shown), plain text for SMS."""

    channel: BroadcastChannel
    subject: str
    body_md: str
    tag: str = ""


@dataclass(frozen=True)
class ContactEdit:
    tags: tuple[str, ...]
    notes: str


@dataclass(frozen=True)
class LeadCapture:
    """What a buyer typed into a capture form, cleaned to the kind the form asks for."""

    kind: ContactKind
    address: str

    def as_contact(self, source: Source, how: str) -> NewContact:
        if self.kind == "email":
            return NewContact(source=source, email=self.address, email_consent=True, consent_how=how)
        return NewContact(source=source, phone=self.address, sms_consent=True, consent_how=how)


@dataclass(frozen=True)
class BadRow:
    line: int
    text: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ImportPreview:
    good: list[NewContact] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)


def lead_capture(kind: str, raw: str) -> LeadCapture:
    """The buyer's capture form: an email or an Ethiopian mobile number, as the block or lead magnet asks."""
    try:
        if kind == "email":
            return LeadCapture("email", validation.clean_email(raw))
        return LeadCapture("phone", validation.clean_phone(raw))
    except FieldError as exc:
        raise InvalidInput({"contact": exc.message}) from None


def clean_tags(raw: str) -> tuple[str, ...]:
    """Comma-separated tags, lower case, each once, in the order given."""
    tags: list[str] = []
    for part in unicodedata.normalize("NFC", raw).split(","):
        tag = " ".join(part.split()).lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise FieldError(N_("Keep each tag under 30 characters."))
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise FieldError(N_("Use at most 20 tags."))
    return tuple(tags)


def clean_notes(raw: str) -> str:
    value = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").strip()
    if len(value) > NOTES_MAX:
        raise FieldError(N_("Keep the notes under 4,000 characters."))
    return value


def contact_form(raw: Mapping[str, str]) -> ContactEdit:
    errors: dict[str, str] = {}
    tags: tuple[str, ...] = ()
    notes = ""
    try:
        tags = clean_tags(raw.get("tags", ""))
    except FieldError as exc:
        errors["tags"] = exc.message
    try:
        notes = clean_notes(raw.get("notes", ""))
    except FieldError as exc:
        errors["notes"] = exc.message
    if errors:
        raise InvalidInput(errors)
    return ContactEdit(tags, notes)


def _consent(value: str) -> bool | None:
    text = value.strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def parse_import(text: str) -> ImportPreview:
    """A CSV of contacts: a header row naming ``email``, ``phone``, ``name``, ``tags`` and at least one consent
    column (``email_consent``, ``sms_consent``: yes / no). Bad rows are listed with their reasons; good rows
    are kept. A file that cannot be read at all is an ``InvalidInput`` on ``file``."""
    if len(text.encode()) > IMPORT_MAX_BYTES:
        raise InvalidInput({"file": N_("The file is too large. Import at most 1 MB at a time.")})
    try:
        # newline="": the csv module reads line breaks itself, so a spreadsheet's \r\n, a lone \r and a break
        # inside a quoted cell all mean what they mean in CSV.
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    except csv.Error:
        raise InvalidInput({"file": N_("Save the file as CSV in UTF-8 and try again.")}) from None
    if not rows:
        raise InvalidInput({"file": N_("The file is empty.")})
    header = [" ".join(name.split()).lower().replace(" ", "_") for name in rows[0]]
    if "email" not in header and "phone" not in header:
        raise InvalidInput(
            {"file": N_("The first row must name the columns, with email or phone among them.")}
        )
    if not any(name in header for name in CONSENT_COLUMNS):
        raise InvalidInput(
            {
                "file": N_(
                    "Add a consent column (email_consent or sms_consent, yes or no): we only write to "
                    "people who agreed."
                )
            }
        )
    if len(rows) - 1 > IMPORT_MAX_ROWS:
        raise InvalidInput({"file": N_("Import at most 5,000 contacts at a time.")})
    preview = ImportPreview()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        result = _import_row(cells)
        if isinstance(result, NewContact):
            preview.good.append(result)
        else:
            preview.bad.append(BadRow(number, ",".join(row)[:200], result))
    return preview


def _import_row(cells: Mapping[str, str]) -> NewContact | tuple[str, ...]:
    reasons: list[str] = []
    email = phone = None
    if cells.get("email"):
        try:
            email = validation.clean_email(cells["email"])
        except FieldError:
            reasons.append(N_("The email address is not valid."))
    if cells.get("phone"):
        try:
            phone = validation.clean_phone(cells["phone"])
        except FieldError:
            reasons.append(N_("The phone number is not a valid Ethiopian mobile number."))
    if not cells.get("email") and not cells.get("phone"):
        reasons.append(N_("The row has neither an email address nor a phone number."))
    email_consent = _consent(cells.get("email_consent", ""))
    sms_consent = _consent(cells.get("sms_consent", ""))
    if email_consent is None or sms_consent is None:
        reasons.append(N_("Write yes or no in the consent columns."))
    if email_consent and not cells.get("email"):
        reasons.append(N_("Email consent needs an email address."))
    if sms_consent and not cells.get("phone"):
        reasons.append(N_("SMS consent needs a phone number."))
    tags: tuple[str, ...] = ()
    try:
        tags = clean_tags(cells.get("tags", "").replace(";", ","))
    except FieldError as exc:
        reasons.append(exc.message)
    name = " ".join(cells.get("name", "").split())
    if len(name) > NAME_MAX:
        reasons.append(N_("The name is too long."))
    if reasons:
        return tuple(reasons)
    return NewContact(
        source="import",
        email=email,
        phone=phone,
        name=name,
        email_consent=email_consent,
        sms_consent=sms_consent,
        consent_how="import",
        tags=tags,
    )


def broadcast_form(raw: Mapping[str, str]) -> BroadcastDraft:
    """The compose form: a channel, a subject (email), a body, and optionally one tag to narrow the list."""
    errors: dict[str, str] = {}
    channel = raw.get("channel", "")
    if channel not in ("email", "sms", "telegram"):
        errors["channel"] = N_("Choose email, SMS or Telegram.")
    subject = " ".join(unicodedata.normalize("NFC", raw.get("subject", "")).split())
    body = unicodedata.normalize("NFC", raw.get("body", "")).replace("\r\n", "\n").strip()
    if channel == "email" and not subject:
        errors["subject"] = N_("Write a subject for the email.")
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = N_("Keep the subject under 150 characters.")
    if not body:
        errors["body"] = N_("Write the message.")
    elif channel == "telegram" and len(body) > TELEGRAM_BODY_MAX:
        errors["body"] = N_("Keep a Telegram post under 4,000 characters.")
    elif channel == "sms" and len(body) > SMS_BODY_MAX:
        errors["body"] = N_("Keep a text message under 1,000 characters.")
    elif len(body) > BODY_MAX:
        errors["body"] = N_("Keep the message under 10,000 characters.")
    tag = ""
    try:
        tags = clean_tags(raw.get("tag", ""))
        tag = tags[0] if tags else ""
    except FieldError as exc:
        errors["tag"] = exc.message
    if errors:
        raise InvalidInput(errors)
    return BroadcastDraft(cast(BroadcastChannel, channel), subject if channel == "email" else "", body, tag)


def clean_telegram_channel(raw: str) -> str:
    """A public channel's name as ``@name`` (also accepted: ``name``, ``t.me/name``); "" removes it."""
    value = raw.strip()
    for prefix in ("https://", "http://", "t.me/", "telegram.me/", "@"):
        value = value.removeprefix(prefix)
    value = value.removeprefix("t.me/").strip("/")
    if not value:
        return ""
    if not TELEGRAM_CHANNEL.match(value):
        raise FieldError(N_("Enter your channel's name, like @my_channel (5-32 letters, digits or _)."))
    return f"@{value}"

"""A creator's contacts: merged by email or phone, with consent, tags and notes; unsubscribes and deletion.

Every function takes the creator's ``Tenant``; another creator's contact is a ``NotFoundError``. An address
that unsubscribed, replied STOP or was deleted is kept only as a digest in ``Suppression`` (or ``SmsOptOut``),
which every send checks: it is honoured at once and forever, whatever is imported later.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import hashlib
import io
import operator
import re
import uuid
from dataclasses import dataclass
from typing import Any

from windsurf.audience import automations
from windsurf.audience.inputs import Channel, ContactEdit, NewContact
from windsurf.audience.tables import Contact, Delivery, SmsOptOut, Suppression
from windsurf.core import db
from windsurf.core.errors import NotFoundError
from windsurf.core.uow import Tenant, UnitOfWork

LIST_LIMIT = 200
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class ContactView:
    id: uuid.UUID
    email: str | None
    phone: str | None
    name: str
    source: str
    joined_at: dt.datetime
    email_consent: bool
    email_consent_at: dt.datetime | None
    email_consent_how: str
    sms_consent: bool
    sms_consent_at: dt.datetime | None
    sms_consent_how: str
    tags: tuple[str, ...]
    notes: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def address_digest(address: str) -> str:
    """What a suppression keeps of an address: enough to recognise it, not to write to it."""
    return hashlib.sha256(f"windsurf-suppression:{address.strip().lower()}".encode()).hexdigest()


def _tags_text(tags: tuple[str, ...] | list[str]) -> str:
    return f",{','.join(tags)}," if tags else ""


def _view(row: dict[str, Any]) -> ContactView:
    return ContactView(
        id=row["id"],
        email=row["email"],
        phone=row["phone"],
        name=row["name"],
        source=row["source"],
        joined_at=row["joined_at"],
        email_consent=bool(row["email_consent"]),
        email_consent_at=row["email_consent_at"],
        email_consent_how=row["email_consent_how"],
        sms_consent=bool(row["sms_consent"]),
        sms_consent_at=row["sms_consent_at"],
        sms_consent_how=row["sms_consent_how"],
        tags=tuple(tag for tag in row["tags"].split(",") if tag),
        notes=row["notes"],
    )


async def _find(tenant: Tenant, email: str | None, phone: str | None) -> dict[str, Any] | None:
    mine = Contact.creator_id == tenant.creator_id
    async with tenant.scope():
        for column, value in ((Contact.email, email), (Contact.phone, phone)):
            if value:
                row = await Contact.select().where(mine & (column == value)).first()
                if row is not None:
                    return row
    return None


async def add_contact(tenant: Tenant, new: NewContact) -> ContactView:
    """Add ``new`` to the list, or merge it into the contact with the same email or phone."""
    for _ in range(3):
        existing = await _find(tenant, new.email, new.phone)
        if existing is not None:
            return await _merge(tenant, existing, new)
        now = _now()
        row = Contact(
            id=uuid.uuid4(),
            creator_id=tenant.creator_id,
            email=new.email,
            phone=new.phone,
            name=new.name[:100],
            source=new.source,
            joined_at=now,
            email_consent=bool(new.email_consent and new.email),
            email_consent_at=now if new.email_consent and new.email else None,
            email_consent_how=new.consent_how if new.email_consent and new.email else "",
            sms_consent=bool(new.sms_consent and new.phone),
            sms_consent_at=now if new.sms_consent and new.phone else None,
            sms_consent_how=new.consent_how if new.sms_consent and new.phone else "",
            tags=_tags_text(new.tags),
            updated_at=now,
        )
        try:
            async with tenant.savepoint():
                await Contact.insert(row)
        except Exception as exc:
            if not db.is_unique_violation(exc):
                raise
            continue  # joined a moment ago by a concurrent request: merge into that one
        if new.source in ("lead_block", "lead_magnet") and (row.email_consent or row.sms_consent):
            await automations.welcome(tenant, row.id)
        return await get_contact(tenant, row.id)
    raise RuntimeError("could not add the contact")


async def _merge(tenant: Tenant, existing: dict[str, Any], new: NewContact) -> ContactView:
    now = _now()
    changes: dict[Any, Any] = {}
    if new.email and not existing["email"] and await _find(tenant, new.email, None) is None:
        changes[Contact.email] = new.email
    if new.phone and not existing["phone"] and await _find(tenant, None, new.phone) is None:
        changes[Contact.phone] = new.phone
    email = changes.get(Contact.email, existing["email"])
    phone = changes.get(Contact.phone, existing["phone"])
    if new.email_consent and email and not existing["email_consent"]:
        changes.update(
            {
                Contact.email_consent: True,
                Contact.email_consent_at: now,
                Contact.email_consent_how: new.consent_how,
            }
        )
    if new.sms_consent and phone and not existing["sms_consent"]:
        changes.update(
            {Contact.sms_consent: True, Contact.sms_consent_at: now, Contact.sms_consent_how: new.consent_how}
        )
    if new.name and not existing["name"]:
        changes[Contact.name] = new.name[:100]
    tags = [tag for tag in existing["tags"].split(",") if tag]
    merged_tags = tags + [tag for tag in new.tags if tag not in tags]
    if merged_tags != tags:
        changes[Contact.tags] = _tags_text(merged_tags[:20])
    if changes:
        changes[Contact.updated_at] = now
        async with tenant.scope():
            await Contact.update(changes).where(
                (Contact.creator_id == tenant.creator_id) & (Contact.id == existing["id"])
            )
    return await get_contact(tenant, existing["id"])


async def get_contact(tenant: Tenant, contact_id: uuid.UUID) -> ContactView:
    async with tenant.scope():
        row = (
            await Contact.select()
            .where((Contact.creator_id == tenant.creator_id) & (Contact.id == contact_id))
            .first()
        )
    if row is None:
        raise NotFoundError()
    return _view(row)


def _matching(tenant: Tenant, search: str, tag: str) -> Any:
    query: Any = Contact.creator_id == tenant.creator_id
    text = " ".join(search.split())[:100]
    if text:
        pattern = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
        # SQLite's LIKE already ignores the case of ASCII letters; PostgreSQL needs ILIKE.
        postgres = db.is_postgres(db.bound_engine())
        query = query & functools.reduce(
            operator.or_,
            [
                column.ilike(pattern) if postgres else column.like(pattern)
                for column in (Contact.email, Contact.phone, Contact.name, Contact.notes)
            ],
        )
    if tag:
        query = query & Contact.tags.like(f"%,{tag.replace('%', '').replace('_', '')},%")
    return query


async def list_contacts(
    tenant: Tenant, *, search: str = "", tag: str = "", limit: int = LIST_LIMIT
) -> tuple[list[ContactView], int]:
    """The newest contacts matching ``search`` (email, phone, name, notes) and ``tag``, and how many match."""
    query = _matching(tenant, search, tag)
    async with tenant.scope():
        rows = await Contact.select().where(query).order_by(Contact.joined_at, ascending=False).limit(limit)
        total = await Contact.count().where(query)
    return [_view(row) for row in rows], int(total)


async def all_tags(tenant: Tenant) -> list[str]:
    async with tenant.scope():
        rows = await Contact.select(Contact.tags).where(
            (Contact.creator_id == tenant.creator_id) & (Contact.tags != "")
        )
    return sorted({tag for row in rows for tag in row["tags"].split(",") if tag})


async def edit_contact(tenant: Tenant, contact_id: uuid.UUID, edit: ContactEdit) -> ContactView:
    await get_contact(tenant, contact_id)
    async with tenant.scope():
        await Contact.update(
            {Contact.tags: _tags_text(edit.tags), Contact.notes: edit.notes, Contact.updated_at: _now()}
        ).where((Contact.creator_id == tenant.creator_id) & (Contact.id == contact_id))
    return await get_contact(tenant, contact_id)


async def _suppress(tenant: Tenant, channel: Channel, address: str, reason: str) -> None:
    try:
        async with tenant.savepoint():
            await Suppression.insert(
                Suppression(
                    id=uuid.uuid4(),
                    creator_id=tenant.creator_id,
                    channel=channel,
                    digest=address_digest(address),
                    reason=reason,
                )
            )
    except Exception as exc:
        if not db.is_unique_violation(exc):
            raise


async def delete_contact(tenant: Tenant, contact_id: uuid.UUID) -> None:
    """Data rights: the contact, its notes and its delivery records go; its addresses are never sent to again."""
    contact = await get_contact(tenant, contact_id)
    if contact.email:
        await _suppress(tenant, "email", contact.email, "deleted")
    if contact.phone:
        await _suppress(tenant, "sms", contact.phone, "deleted")
    async with tenant.scope():
        await Delivery.delete().where(
            (Delivery.creator_id == tenant.creator_id) & (Delivery.contact_id == contact_id)
        )
        await Contact.delete().where((Contact.creator_id == tenant.creator_id) & (Contact.id == contact_id))


async def erase(tenant: Tenant) -> None:
    """The creator's account is being deleted: every contact and delivery record goes with it (the people on the
    list gave their addresses to that creator, and nobody can send to them any more)."""
    async with tenant.scope():
        await Delivery.delete().where(Delivery.creator_id == tenant.creator_id)
        await Contact.delete().where(Contact.creator_id == tenant.creator_id)


async def unsubscribe(tenant: Tenant, contact_id: uuid.UUID, channel: Channel, how: str) -> ContactView:
    """The person asked to hear no more on ``channel``: withdrawn now, and the address suppressed for good."""
    contact = await get_contact(tenant, contact_id)
    address = contact.email if channel == "email" else contact.phone
    if address:
        await _suppress(tenant, channel, address, "unsubscribed")
    consent, at, how_column = (
        (Contact.email_consent, Contact.email_consent_at, Contact.email_consent_how)
        if channel == "email"
        else (Contact.sms_consent, Contact.sms_consent_at, Contact.sms_consent_how)
    )
    async with tenant.scope():
        await Contact.update({consent: False, at: _now(), how_column: how, Contact.updated_at: _now()}).where(
            (Contact.creator_id == tenant.creator_id) & (Contact.id == contact_id)
        )
    return await get_contact(tenant, contact_id)


async def stop_sms(uow: UnitOfWork, phone: str) -> None:
    """A STOP reply to the platform's shared sender: no creator texts this phone again."""
    async with uow.scope():
        await SmsOptOut.insert(SmsOptOut(digest=address_digest(phone))).on_conflict(action="DO NOTHING")


async def may_send(tenant: Tenant, contact: ContactView, channel: Channel) -> bool:
    """Whether ``contact`` still consents on ``channel`` and its address was never suppressed."""
    address = contact.email if channel == "email" else contact.phone
    consent = contact.email_consent if channel == "email" else contact.sms_consent
    if not address or not consent:
        return False
    digest = address_digest(address)
    async with tenant.scope():
        suppressed = await Suppression.exists().where(
            (Suppression.creator_id == tenant.creator_id)
            & (Suppression.channel == channel)
            & (Suppression.digest == digest)
        )
        stopped = channel == "sms" and await SmsOptOut.exists().where(SmsOptOut.digest == digest)
    return not (suppressed or stopped)


async def import_contacts(tenant: Tenant, rows: list[NewContact]) -> int:
    for row in rows:
        await add_contact(tenant, row)
    return len(rows)


EXPORT_COLUMNS = (
    "email",
    "phone",
    "name",
    "source",
    "joined_at",
    "email_consent",
    "email_consent_at",
    "email_consent_how",
    "sms_consent",
    "sms_consent_at",
    "sms_consent_how",
    "tags",
    "notes",
)


def _cell(value: Any) -> str:
    text = "" if value is None else value.isoformat() if isinstance(value, dt.datetime) else str(value)
    if isinstance(value, bool):
        text = "yes" if value else "no"
    # A spreadsheet runs a cell that starts with = + - @ as a formula: never hand it one from a stranger.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not E164.match(text):
        return "'" + text
    return text


async def export_csv(tenant: Tenant) -> str:
    async with tenant.scope():
        rows = (
            await Contact.select().where(Contact.creator_id == tenant.creator_id).order_by(Contact.joined_at)
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        view = _view(row)
        values = {**vars(view), "tags": ";".join(view.tags)}
        writer.writerow([_cell(values[column]) for column in EXPORT_COLUMNS])
    return out.getvalue()


async def unsubscribe_if_present(tenant: Tenant, contact_id: uuid.UUID, channel: Channel, how: str) -> None:
    """An unsubscribe link of a contact deleted since: nothing is left to send to, which is what they asked."""
    with contextlib.suppress(NotFoundError):
        await unsubscribe(tenant, contact_id, channel, how)


async def reachable_by(tenant: Tenant, contact: ContactView) -> Channel | None:
    """The channel this contact may be written on now (email first), or None."""
    if await may_send(tenant, contact, "email"):
        return "email"
    if await may_send(tenant, contact, "sms"):
        return "sms"
    return None


async def find_contact(tenant: Tenant, email: str | None, phone: str | None) -> ContactView | None:
    row = await _find(tenant, email, phone)
    return _view(row) if row else None

"""Delivery: the only code that writes grants, their files and library links.

A paid order gets one grant (``grant_for_order``, in the same transaction as the payment), which snapshots the
product's files as they were when the buyer paid. A buyer downloads through signed links that expire; each use of
a grant is counted by one conditional UPDATE, so its download limit holds however many requests arrive at once.
PDFs are stamped with the buyer's contact and the order number by a job; until that has run (or if it fails) the
original is delivered, so delivery never waits on stamping. A refund revokes the grant.

The buyer's library is reached by a one-time link sent to the buyer's email or phone; the buyer is known by a keyed
digest of that contact (``buyer_key``), never by the contact itself in a URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
import uuid
from dataclasses import dataclass
from typing import Any

from windsurf.core import jobs, security
from windsurf.core.errors import NotFoundError, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import Buyer, Tenant, UnitOfWork
from windsurf.delivery.tables import Grant, GrantFile, LibraryLink

DOWNLOAD_LIMIT = 10
LINK_LIFETIME = dt.timedelta(days=7)
LIBRARY_LINK_LIFETIME = dt.timedelta(hours=1)
STAMP_JOB = "delivery.stamp_file"
SEND_JOB = "delivery.send_links"
LIBRARY_JOB = "delivery.send_library_link"
PDF = "application/pdf"


class DownloadRefused(ServiceError):
    """The link is valid but the grant is used up or revoked: 410, with a message that says what to do."""

    status_code = 410

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class FileRef:
    """A product file as the catalog holds it when the order is paid."""

    file_id: uuid.UUID
    filename: str
    content_type: str
    storage_key: str


@dataclass(frozen=True)
class NewGrant:
    order_id: uuid.UUID
    order_number: str
    product_id: uuid.UUID
    product_title: str
    store_name: str
    email: str | None
    phone: str | None
    files: tuple[FileRef, ...]
    locale: str = "am"


@dataclass(frozen=True)
class GrantFileView:
    file_id: uuid.UUID
    filename: str
    content_type: str
    stamped: bool


@dataclass(frozen=True)
class GrantView:
    id: uuid.UUID
    creator_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    product_title: str
    store_name: str
    downloads: int
    download_limit: int
    revoked: bool
    created_at: dt.datetime
    files: tuple[GrantFileView, ...]


@dataclass(frozen=True)
class Download:
    """What to send for one download: the stamped copy when there is one."""

    storage_key: str
    filename: str
    content_type: str


def buyer_key(secret_key: str, contact: str) -> str:
    """The library's name for a buyer: a keyed digest of their normalised email or E.164 phone."""
    return security.keyed_digest(secret_key, f"buyer:{contact.strip().lower()}")


def _view(row: dict[str, Any], files: list[dict[str, Any]]) -> GrantView:
    return GrantView(
        id=row["id"],
        creator_id=row["creator_id"],
        order_id=row["order_id"],
        order_number=row["order_number"],
        product_title=row["product_title"],
        store_name=row["store_name"],
        downloads=row["downloads"],
        download_limit=row["download_limit"],
        revoked=row["revoked_at"] is not None,
        created_at=row["created_at"],
        files=tuple(
            GrantFileView(f["file_id"], f["filename"], f["content_type"], f["stamped_key"] is not None)
            for f in files
        ),
    )


async def _files(grant_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    by_grant: dict[uuid.UUID, list[dict[str, Any]]] = {grant_id: [] for grant_id in grant_ids}
    if grant_ids:
        rows = (
            await GrantFile.select().where(GrantFile.grant_id.is_in(grant_ids)).order_by(GrantFile.filename)
        )
        for row in rows:
            by_grant[row["grant_id"]].append(row)
    return by_grant


def _one_file(tenant: Tenant, grant_id: uuid.UUID, file_id: uuid.UUID) -> Any:
    return (
        (GrantFile.creator_id == tenant.creator_id)
        & (GrantFile.grant_id == grant_id)
        & (GrantFile.file_id == file_id)
    )


# --- granting -----------------------------------------------------------------------------------------------


async def grant_for_order(tenant: Tenant, new: NewGrant, *, secret_key: str) -> GrantView:
    """The order's grant, made once (``order_id`` is unique): a repeated call returns the first one."""
    contact = new.email or new.phone or ""
    # A buyer who gave both can open the library by either: the phone gets a key of its own.
    phone_key = buyer_key(secret_key, new.phone) if new.email and new.phone else None
    grant_id = uuid.uuid4()
    async with tenant.scope():
        inserted = (
            await Grant.insert(
                Grant(
                    id=grant_id,
                    creator_id=tenant.creator_id,
                    order_id=new.order_id,
                    order_number=new.order_number,
                    product_id=new.product_id,
                    product_title=new.product_title,
                    store_name=new.store_name,
                    buyer_email=new.email,
                    buyer_phone=new.phone,
                    locale=new.locale,
                    buyer_key=buyer_key(secret_key, contact),
                    phone_buyer_key=phone_key,
                    download_limit=DOWNLOAD_LIMIT,
                )
            )
            .on_conflict(target=Grant.order_id, action="DO NOTHING")
            .returning(Grant.id)
        )
        if inserted:
            for ref in new.files:
                await GrantFile.insert(
                    GrantFile(
                        id=uuid.uuid4(),
                        creator_id=tenant.creator_id,
                        grant_id=grant_id,
                        file_id=ref.file_id,
                        filename=ref.filename,
                        content_type=ref.content_type,
                        storage_key=ref.storage_key,
                    )
                )
                if ref.content_type == PDF:
                    await jobs.enqueue(
                        tenant.uow,
                        STAMP_JOB,
                        {
                            "creator_id": str(tenant.creator_id),
                            "grant_id": str(grant_id),
                            "file_id": str(ref.file_id),
                        },
                    )
            await jobs.enqueue(
                tenant.uow, SEND_JOB, {"creator_id": str(tenant.creator_id), "grant_id": str(grant_id)}
            )
    return await grant_for(tenant, order_id=new.order_id)


async def grant_for(tenant: Tenant, *, order_id: uuid.UUID) -> GrantView:
    async with tenant.scope():
        row = (
            await Grant.select()
            .where((Grant.creator_id == tenant.creator_id) & (Grant.order_id == order_id))
            .first()
        )
        if row is None:
            raise NotFoundError()
        files = await _files([row["id"]])
    return _view(row, files[row["id"]])


async def get_grant(tenant: Tenant, grant_id: uuid.UUID) -> GrantView:
    async with tenant.scope():
        row = (
            await Grant.select()
            .where((Grant.creator_id == tenant.creator_id) & (Grant.id == grant_id))
            .first()
        )
        if row is None:
            raise NotFoundError()
        files = await _files([row["id"]])
    return _view(row, files[row["id"]])


@dataclass(frozen=True)
class Recipient:
    email: str | None
    phone: str | None
    locale: str


async def recipient(tenant: Tenant, grant_id: uuid.UUID) -> Recipient:
    """Where the buyer's links go, read at send time (the outbox carries ids, not contacts)."""
    async with tenant.scope():
        row = (
            await Grant.select(Grant.buyer_email, Grant.buyer_phone, Grant.locale)
            .where((Grant.creator_id == tenant.creator_id) & (Grant.id == grant_id))
            .first()
        )
    if row is None:
        raise NotFoundError()
    return Recipient(row["buyer_email"], row["buyer_phone"], row["locale"])


async def revoke(tenant: Tenant, order_id: uuid.UUID) -> bool:
    """A refund ends access; True when this call revoked it."""
    async with tenant.scope():
        rows = (
            await Grant.update({Grant.revoked_at: dt.datetime.now(dt.UTC)})
            .where(
                (Grant.creator_id == tenant.creator_id)
                & (Grant.order_id == order_id)
                & Grant.revoked_at.is_null()
            )
            .returning(Grant.id)
        )
    return bool(rows)


# --- stamping -----------------------------------------------------------------------------------------------


async def stamp_target(tenant: Tenant, grant_id: uuid.UUID, file_id: uuid.UUID) -> tuple[str, str] | None:
    """(original storage key, the line to stamp) for a file still unstamped, or None when there is nothing to do."""
    async with tenant.scope():
        grant = (
            await Grant.select()
            .where((Grant.creator_id == tenant.creator_id) & (Grant.id == grant_id))
            .first()
        )
        file = (
            await GrantFile.select()
            .where(
                (GrantFile.creator_id == tenant.creator_id)
                & (GrantFile.grant_id == grant_id)
                & (GrantFile.file_id == file_id)
            )
            .first()
        )
    if grant is None or file is None or file["stamped_key"] is not None:
        return None
    who = grant["buyer_email"] or grant["buyer_phone"] or ""
    return file["storage_key"], f"{who} - {grant['order_number']}"


def stamped_key(creator_id: uuid.UUID, grant_id: uuid.UUID, file_id: uuid.UUID) -> str:
    return f"private/{creator_id}/stamped/{grant_id}/{file_id}.pdf"


async def record_stamp(tenant: Tenant, grant_id: uuid.UUID, file_id: uuid.UUID, key: str) -> None:
    async with tenant.scope():
        await GrantFile.update({GrantFile.stamped_key: key}).where(
            (GrantFile.creator_id == tenant.creator_id)
            & (GrantFile.grant_id == grant_id)
            & (GrantFile.file_id == file_id)
        )


# --- signed links -------------------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def download_token(
    secret_key: str,
    creator_id: uuid.UUID,
    grant_id: uuid.UUID,
    file_id: uuid.UUID,
    *,
    lifetime: dt.timedelta = LINK_LIFETIME,
    now: float | None = None,
) -> str:
    """A signed, expiring capability for one file of one grant; changing any part breaks the signature."""
    expires = int((now if now is not None else time.time()) + lifetime.total_seconds())
    body = _b64(creator_id.bytes + grant_id.bytes + file_id.bytes + expires.to_bytes(8, "big"))
    return f"{body}.{_signature(secret_key, body)}"


def _signature(secret_key: str, body: str) -> str:
    return security.keyed_digest(secret_key, f"download:{body}")[:43]


@dataclass(frozen=True)
class LinkClaims:
    creator_id: uuid.UUID
    grant_id: uuid.UUID
    file_id: uuid.UUID
    expires: int


def read_download_token(secret_key: str, token: str, *, now: float | None = None) -> LinkClaims:
    """The claims of a genuine token; a forged or altered one is a 404, an expired one a 410 that says so."""
    body, _, signature = token.partition(".")
    if not body or not security.digests_match(_signature(secret_key, body), signature):
        raise NotFoundError()
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:
        raise NotFoundError() from None
    if len(raw) != 56:
        raise NotFoundError()
    claims = LinkClaims(
        uuid.UUID(bytes=raw[:16]),
        uuid.UUID(bytes=raw[16:32]),
        uuid.UUID(bytes=raw[32:48]),
        int.from_bytes(raw[48:], "big"),
    )
    if claims.expires < (now if now is not None else time.time()):
        raise DownloadRefused(
            N_("This download link has expired. Open your library to get a new one."), code="link_expired"
        )
    return claims


async def use_download(tenant: Tenant, grant_id: uuid.UUID, file_id: uuid.UUID) -> Download:
    """Count one download against the grant's limit and say what to send."""
    async with tenant.scope():
        file = (
            await GrantFile.select()
            .where(
                (GrantFile.creator_id == tenant.creator_id)
                & (GrantFile.grant_id == grant_id)
                & (GrantFile.file_id == file_id)
            )
            .first()
        )
        if file is None:
            raise NotFoundError()
        counted = await Grant.raw(
            "UPDATE delivery_grant SET downloads = downloads + 1 WHERE id = {} AND creator_id = {} "
            "AND revoked_at IS NULL AND downloads < download_limit RETURNING downloads",
            grant_id,
            tenant.creator_id,
        )
        if not counted:
            revoked = await Grant.exists().where((Grant.id == grant_id) & Grant.revoked_at.is_not_null())
            if revoked:
                raise DownloadRefused(
                    N_("This purchase was refunded, so it can no longer be downloaded."), "revoked"
                )
            raise DownloadRefused(
                N_("This purchase has been downloaded as many times as allowed. Please contact the creator."),
                "limit_reached",
            )
    return Download(file["stamped_key"] or file["storage_key"], file["filename"], file["content_type"])


# --- the buyer's library ------------------------------------------------------------------------------------


async def new_library_link(uow: UnitOfWork, secret_key: str, key: str) -> str:
    """A one-time token opening the library of the buyer whose ``buyer_key`` is ``key`` (sent to their contact,
    never shown here)."""
    token = security.new_token()
    async with uow.scope():
        await LibraryLink.insert(
            LibraryLink(
                token_digest=security.keyed_digest(secret_key, f"library:{token}"),
                buyer_key=key,
                expires_at=dt.datetime.now(dt.UTC) + LIBRARY_LINK_LIFETIME,
            )
        )
    return token


async def redeem_library_link(uow: UnitOfWork, secret_key: str, token: str) -> str:
    """The buyer key a fresh, unused token opens; the token is spent by this call (one UPDATE, so only once)."""
    now = dt.datetime.now(dt.UTC)
    async with uow.scope():
        rows = await LibraryLink.raw(
            "UPDATE library_link SET used_at = {} WHERE token_digest = {} AND used_at IS NULL AND expires_at > {} "
            "RETURNING buyer_key",
            now,
            security.keyed_digest(secret_key, f"library:{token}"),
            now,
        )
    if not rows:
        raise DownloadRefused(
            N_("This library link has expired or was already used. Ask for a new one."),
            code="library_link_used",
        )
    return str(rows[0]["buyer_key"])


def _bought_by(buyer: Buyer) -> Any:
    return (Grant.buyer_key == buyer.buyer_key) | (Grant.phone_buyer_key == buyer.buyer_key)


async def library_contact(buyer: Buyer, secret_key: str) -> str | None:
    """The email or phone behind the buyer's key, read from one of their grants; None when they bought nothing.

    The library's job carries the key only (never the contact in clear) and finds where to send the link here.
    """
    async with buyer.scope():
        rows = await Grant.select(Grant.buyer_email, Grant.buyer_phone).where(_bought_by(buyer)).limit(5)
    for row in rows:
        for contact in (row["buyer_email"], row["buyer_phone"]):
            if contact and security.digests_match(buyer_key(secret_key, contact), buyer.buyer_key):
                return str(contact)
    return None


async def library(buyer: Buyer) -> list[GrantView]:
    """Every purchase of the buyer, newest first, across stores (found by either of their contacts)."""
    async with buyer.scope():
        rows = await Grant.select().where(_bought_by(buyer)).order_by(Grant.created_at, ascending=False)
        files = await _files([row["id"] for row in rows])
    return [_view(row, files[row["id"]]) for row in rows]

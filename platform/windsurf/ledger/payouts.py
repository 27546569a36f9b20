"""Payouts: destinations, requests that can never overdraw, staff decisions, execution, and the audit trail.

States: requested -> approved | rejected (staff, with a reason) -> paid | failed. A request holds its amount out of
the creator's available balance at once (a ``payout_hold`` transaction), under the lock of the creator's book, so
two requests at the same moment cannot both spend the same birr. Rejected and failed payouts release the hold;
paid ones move it to ``payouts_sent``. Every transition is one conditional UPDATE (``WHERE status = <expected>``),
so two staff members clicking at once change it once, and writes a ``PayoutEvent``: who, when, why.

Staff read payouts across creators through the ``staff_review`` policy (see the ledger migrations), which admits
rows only while ``windsurf.staff_id`` is set in the transaction; ``_as_staff`` sets it after checking the account.
Every write still acts for the payout's creator.

Sending money goes through a ``PayoutExecutor`` (Chapa transfers plugs in here); staff may instead mark a payout
paid by hand with the provider's or bank's reference.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import phonenumbers
from piccolo.querystring import QueryString

from windsurf.core import db, jobs
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import Tenant, UnitOfWork, unit_of_work
from windsurf.identity.service import Account
from windsurf.ledger import books
from windsurf.ledger.books import LedgerPolicy
from windsurf.ledger.tables import Payout, PayoutDestination, PayoutEvent

STAFF_SETTING = "windsurf.staff_id"
OPEN = ("requested", "approved")
# Ethiopian banks a creator may be paid into: code -> name (names are translated on the page).
BANKS = {
    "cbe": N_("Commercial Bank of Ethiopia"),
    "awash": N_("Awash Bank"),
    "dashen": N_("Dashen Bank"),
    "abyssinia": N_("Bank of Abyssinia"),
    "coop": N_("Cooperative Bank of Oromia"),
}
STATUS_LABELS = {
    "requested": N_("In review"),
    "approved": N_("Approved, being sent"),
    "rejected": N_("Rejected"),
    "paid": N_("Paid"),
    "failed": N_("Failed"),
}
# When a creator may expect the money, counted from the request (review) or the approval (sending).
# Reasons the platform writes itself (staff type their own): stored as msgids, translated where they are shown.
SYSTEM_REASONS = frozenset(
    {
        N_("Sent to the provider."),
        N_("The transfer failed."),
        N_("The provider confirmed the transfer."),
        N_("This destination cannot be paid through Chapa."),
    }
)
# Chapa's words for a transfer's outcome; anything else (pending, queued...) is asked about again later.
TRANSFER_PAID = frozenset({"success", "successful", "completed"})
TRANSFER_FAILED = frozenset({"failed", "failure", "cancelled", "reversed"})
TRANSFER_STATUS_JOB = jobs.declare("ledger.transfer_status")
# When the transfer-status job asks again after a pending answer; after the last, staff decide by hand.
TRANSFER_CHECKS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
    dt.timedelta(hours=6),
    dt.timedelta(days=1),
)
REVIEW_DAYS = 1
SEND_DAYS = 2
_AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
_ACCOUNT_NUMBER = re.compile(r"^\d{8,20}$")


@dataclass(frozen=True)
class Destination:
    id: uuid.UUID
    kind: str
    phone: str
    bank: str
    account_number: str
    account_name: str

    @property
    def masked(self) -> str:
        """What pages show: enough to recognise it, not the whole number."""
        number = self.phone if self.kind == "telebirr" else self.account_number
        return f"•••{number[-4:]}"


@dataclass(frozen=True)
class PayoutEventView:
    from_status: str
    to_status: str
    actor_role: str
    reason: str
    created_at: dt.datetime

    @property
    def reason_is_msgid(self) -> bool:
        """The platform wrote this reason: show it translated."""
        return self.reason in SYSTEM_REASONS


@dataclass(frozen=True)
class PayoutView:
    id: uuid.UUID
    creator_id: uuid.UUID
    destination: Destination | None
    amount: int
    currency: str
    status: str
    reason: str
    provider_reference: str
    requested_at: dt.datetime
    updated_at: dt.datetime
    events: tuple[PayoutEventView, ...] = ()

    @property
    def reason_is_msgid(self) -> bool:
        return self.reason in SYSTEM_REASONS

    @property
    def expected_by(self) -> dt.datetime | None:
        """When the creator may expect the money: after review, then after sending."""
        if self.status == "requested":
            return self.requested_at + dt.timedelta(days=REVIEW_DAYS + SEND_DAYS)
        if self.status == "approved":
            return self.updated_at + dt.timedelta(days=SEND_DAYS)
        return None


@dataclass(frozen=True)
class Outlook:
    """Why money waits, for the creator's page: each reason with its date or amount, never a silent skip."""

    balance: books.Balance
    minimum: int
    upcoming: list[tuple[dt.date, int]]
    open_payouts: list[PayoutView]

    @property
    def below_minimum(self) -> bool:
        return self.balance.available < self.minimum

    @property
    def can_request(self) -> bool:
        return not self.below_minimum


@dataclass(frozen=True)
class PayoutInstruction:
    """What an executor needs to send one payout."""

    payout_id: uuid.UUID
    amount: int
    currency: str
    destination: Destination


@dataclass(frozen=True)
class ExecutionResult:
    """``sent``: the money arrived (paid). ``queued``: the provider accepted it and confirms later, so the payout
    stays approved with the provider's reference until staff (or a status check) mark it paid or failed. Neither:
    the provider refused it (failed, with ``message``)."""

    sent: bool
    reference: str = ""
    message: str = ""
    queued: bool = False


class PayoutExecutor(Protocol):
    """Sends money to a destination (a provider's transfer API); must be idempotent per ``payout_id``."""

    async def send(self, instruction: PayoutInstruction) -> ExecutionResult: ...


def parse_amount(raw: str) -> int:
    """Birr as a person types it ('1,250.50', '300') -> santim; never a float."""
    value = raw.strip().replace(",", "").replace(" ", "").removeprefix("ETB").removeprefix("ብር")
    if not _AMOUNT.match(value):
        raise InvalidInput({"amount": N_("Enter an amount in birr, for example 250 or 250.50.")})
    birr, _, cents = value.partition(".")
    return int(birr) * 100 + int((cents + "00")[:2])


def clean_telebirr(raw: str) -> str:
    """A telebirr wallet number (an Ethio Telecom mobile) as E.164."""
    try:
        number = phonenumbers.parse(raw.strip(), "ET")
    except phonenumbers.NumberParseException:
        number = None
    valid = (
        number is not None
        and number.country_code == 251
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        and str(number.national_number)[0] == "9"  # 09: Ethio Telecom, whose wallet telebirr is
    )
    if not valid or number is None:
        raise InvalidInput({"phone": N_("Enter an Ethio Telecom mobile number, for example 0911 234 567.")})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _destination(row: dict[str, Any]) -> Destination:
    return Destination(
        id=row["id"],
        kind=row["kind"],
        phone=row["phone"],
        bank=row["bank"],
        account_number=row["account_number"],
        account_name=row["account_name"],
    )


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def add_destination(
    tenant: Tenant,
    *,
    kind: str,
    phone: str = "",
    bank: str = "",
    account_number: str = "",
    account_name: str = "",
) -> Destination:
    values: dict[str, str] = {"phone": "", "bank": "", "account_number": "", "account_name": ""}
    if kind == "telebirr":
        values["phone"] = clean_telebirr(phone)
    elif kind == "bank":
        errors: dict[str, str] = {}
        if bank not in BANKS:
            errors["bank"] = N_("Choose your bank.")
        number = re.sub(r"[\s-]", "", account_number)
        if not _ACCOUNT_NUMBER.match(number):
            errors["account_number"] = N_("Enter the account number: 8 to 20 digits.")
        name = " ".join(account_name.split())
        if not name or len(name) > 120:
            errors["account_name"] = N_("Enter the name on the account.")
        if errors:
            raise InvalidInput(errors)
        values.update(bank=bank, account_number=number, account_name=name)
    else:
        raise InvalidInput({"kind": N_("Choose telebirr or a bank account.")})
    row = PayoutDestination(
        id=uuid.uuid4(),
        creator_id=tenant.creator_id,
        kind=kind,
        phone=values["phone"],
        bank=values["bank"],
        account_number=values["account_number"],
        account_name=values["account_name"],
    )
    async with tenant.scope():
        await PayoutDestination.insert(row).run()
    return _destination(row.to_dict())


async def list_destinations(tenant: Tenant) -> list[Destination]:
    async with tenant.scope():
        rows = (
            await PayoutDestination.select()
            .where(
                (PayoutDestination.creator_id == tenant.creator_id) & PayoutDestination.removed_at.is_null()
            )
            .order_by(PayoutDestination.created_at)
        )
    return [_destination(row) for row in rows]


async def request_payout(
    tenant: Tenant, *, destination_id: uuid.UUID | None, amount: int, policy: LedgerPolicy
) -> PayoutView:
    """Hold ``amount`` for a payout to one of the creator's destinations; never more than is available."""
    if amount < policy.payout_minimum:
        raise InvalidInput({"amount": N_("This is below the minimum payout.")})
    destinations = {d.id: d for d in await list_destinations(tenant)}
    if destination_id not in destinations:
        raise InvalidInput({"destination": N_("Choose where to send the money.")})
    await books.lock_book(tenant)  # from here until commit, no other request or refund of this creator runs
    balance = await books.balance(tenant)
    if amount > balance.available:
        raise InvalidInput({"amount": N_("That is more than your available balance.")})
    moment = books.now()
    payout_id = uuid.uuid4()
    async with tenant.scope():
        await Payout.insert(
            Payout(
                id=payout_id,
                creator_id=tenant.creator_id,
                destination_id=destination_id,
                amount=amount,
                status="requested",
                requested_at=moment,
                updated_at=moment,
            )
        ).run()
    await books.post_payout_step(tenant, "payout_hold", payout_id, amount, at=moment)
    await _audit(tenant, payout_id, "", "requested", tenant.creator_id, "creator", "", moment)
    return await get_payout(tenant, payout_id)


async def list_payouts(tenant: Tenant, *, limit: int = 50) -> list[PayoutView]:
    async with tenant.scope():
        rows = (
            await Payout.select()
            .where(Payout.creator_id == tenant.creator_id)
            .order_by(Payout.requested_at, ascending=False)
            .limit(limit)
        )
    destinations = {d.id: d for d in await _all_destinations(tenant)}
    return [_view(row, destinations.get(row["destination_id"])) for row in rows]


async def get_payout(tenant: Tenant, payout_id: uuid.UUID) -> PayoutView:
    """One of the creator's payouts with its history; another creator's (or no) payout is NotFound."""
    async with tenant.scope():
        row = (
            await Payout.select()
            .where((Payout.id == payout_id) & (Payout.creator_id == tenant.creator_id))
            .first()
        )
        if row is None:
            raise NotFoundError(N_("Payout not found."))
        destination = (
            await PayoutDestination.select().where(PayoutDestination.id == row["destination_id"]).first()
        )
        events = await _events(payout_id)
    return _view(row, _destination(destination) if destination else None, events)


async def outlook(tenant: Tenant, policy: LedgerPolicy) -> Outlook:
    balance = await books.balance(tenant)
    open_payouts = [p for p in await list_payouts(tenant) if p.status in OPEN]
    return Outlook(
        balance, policy.payout_minimum, await books.upcoming(tenant, at=balance.as_of), open_payouts
    )


# Staff


async def _as_staff(uow: UnitOfWork, staff: Account) -> None:
    """Admit staff to the review queue; anyone else gets the same 404 as a page that does not exist."""
    if not staff.is_staff:
        raise NotFoundError(N_("Page not found"))
    if db.is_postgres(uow.engine):
        await uow.run(QueryString("SELECT set_config({}, {}, true)", STAFF_SETTING, str(staff.id)))


async def staff_queue(
    uow: UnitOfWork, staff: Account, *, statuses: tuple[str, ...] = OPEN
) -> list[PayoutView]:
    """Payouts awaiting staff across all creators, oldest first."""
    await _as_staff(uow, staff)
    async with uow.scope():
        rows = await Payout.select().where(Payout.status.is_in(list(statuses))).order_by(Payout.requested_at)
        ids = list({row["destination_id"] for row in rows})
        destinations = (
            {
                d["id"]: _destination(d)
                for d in await PayoutDestination.select().where(PayoutDestination.id.is_in(ids))
            }
            if ids
            else {}
        )
    return [_view(row, destinations.get(row["destination_id"])) for row in rows]


async def staff_payout(uow: UnitOfWork, staff: Account, payout_id: uuid.UUID) -> PayoutView:
    await _as_staff(uow, staff)
    async with uow.scope():
        row = await Payout.select().where(Payout.id == payout_id).first()
        if row is None:
            raise NotFoundError(N_("Payout not found."))
        destination = (
            await PayoutDestination.select().where(PayoutDestination.id == row["destination_id"]).first()
        )
        events = await _events(payout_id)
    return _view(row, _destination(destination) if destination else None, events)


async def approve(uow: UnitOfWork, staff: Account, payout_id: uuid.UUID, reason: str) -> PayoutView:
    return await _decide(uow, staff, payout_id, "requested", "approved", reason)


async def reject(uow: UnitOfWork, staff: Account, payout_id: uuid.UUID, reason: str) -> PayoutView:
    return await _decide(uow, staff, payout_id, "requested", "rejected", reason)


async def mark_paid(
    uow: UnitOfWork, staff: Account, payout_id: uuid.UUID, reference: str, reason: str = ""
) -> PayoutView:
    """Record a payout sent by hand (a bank transfer, say) with the bank's or provider's reference."""
    reference = " ".join(reference.split())
    if not reference or len(reference) > 200:
        raise InvalidInput({"reference": N_("Enter the transfer reference from the bank or provider.")})
    return await _decide(uow, staff, payout_id, "approved", "paid", reason or reference, reference=reference)


async def mark_failed(uow: UnitOfWork, staff: Account, payout_id: uuid.UUID, reason: str) -> PayoutView:
    return await _decide(uow, staff, payout_id, "approved", "failed", reason)


async def execute(staff: Account, payout_id: uuid.UUID, executor: PayoutExecutor) -> PayoutView:
    """Send an approved payout through ``executor`` and record the outcome (paid, or failed with its message).

    The payout is claimed first, in a unit of its own that commits before the provider is called: it carries its
    transfer reference (the payout's id) from then on, and a job follows the transfer. So two staff pressing
    Send at once send once, no transaction stays open while the provider answers, and a transfer whose answer
    never came is still settled when the provider confirms it.
    """
    async with unit_of_work() as uow:
        payout = await staff_payout(uow, staff, payout_id)
        if payout.status != "approved" or payout.destination is None:
            raise ServiceError(N_("Only an approved payout can be sent."))
        if payout.provider_reference:  # already handed to the provider: sending again could pay twice
            raise ServiceError(N_("This payout was already sent to the provider; wait for its confirmation."))
        handed = await _handed_over(uow, staff, payout, str(payout.id))
        # The provider confirms later (or its answer is lost): a job follows the transfer until paid or failed.
        await jobs.enqueue(
            uow,
            TRANSFER_STATUS_JOB,
            {"creator_id": str(payout.creator_id), "payout_id": str(payout.id), "round": 0},
            delay=TRANSFER_CHECKS[0],
        )
    result = await executor.send(
        PayoutInstruction(payout.id, payout.amount, payout.currency, payout.destination)
    )
    if result.queued:
        return handed
    async with unit_of_work() as uow:
        if result.sent:
            return await _decide(
                uow, staff, payout_id, "approved", "paid", result.reference, reference=result.reference
            )
        return await _decide(
            uow, staff, payout_id, "approved", "failed", result.message or N_("The transfer failed.")
        )


async def _handed_over(uow: UnitOfWork, staff: Account, payout: PayoutView, reference: str) -> PayoutView:
    """Record that the provider accepted the transfer: still approved, now carrying the provider's reference."""
    tenant = await uow.act_for(payout.creator_id)
    moment = books.now()
    async with tenant.scope():
        changed = (
            await Payout.update({Payout.provider_reference: reference, Payout.updated_at: moment})
            .where(
                (Payout.id == payout.id) & (Payout.status == "approved") & (Payout.provider_reference == "")
            )
            .returning(Payout.id)
        )
    if not changed:
        raise ServiceError(N_("This payout was already decided; reload the page to see its state."))
    await _audit(
        tenant, payout.id, "approved", "approved", staff.id, "staff", N_("Sent to the provider."), moment
    )
    return await get_payout(tenant, payout.id)


async def settle_transfer(tenant: Tenant, payout_id: uuid.UUID, provider_status: str) -> PayoutView | None:
    """Record what the provider says of a transfer it accepted: paid or failed, once; None while it is pending.

    The platform decides here (role ``system``), so a staff member marking it by hand at the same moment and
    this both match only an approved payout: whichever comes first decides, the other changes nothing.
    """
    if provider_status in TRANSFER_PAID:
        new, reason, step = "paid", N_("The provider confirmed the transfer."), "payout_paid"
    elif provider_status in TRANSFER_FAILED:
        new, reason, step = "failed", N_("The transfer failed."), "payout_release"
    else:
        return None
    moment = books.now()
    async with tenant.scope():
        changed = (
            await Payout.update({Payout.status: new, Payout.reason: reason, Payout.updated_at: moment})
            .where(
                (Payout.id == payout_id)
                & (Payout.creator_id == tenant.creator_id)
                & (Payout.status == "approved")
                & (Payout.provider_reference != "")
            )
            .returning(Payout.amount)
        )
    if not changed:
        return None
    await books.post_payout_step(tenant, step, payout_id, changed[0]["amount"], at=moment)
    await _audit(tenant, payout_id, "approved", new, None, "system", reason, moment)
    return await get_payout(tenant, payout_id)


async def _decide(
    uow: UnitOfWork,
    staff: Account,
    payout_id: uuid.UUID,
    expected: str,
    new: str,
    reason: str,
    *,
    reference: str = "",
) -> PayoutView:
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise InvalidInput({"reason": N_("Give a reason: the creator sees it.")})
    payout = await staff_payout(uow, staff, payout_id)
    tenant = await uow.act_for(payout.creator_id)  # writes happen in the creator's book, under RLS
    moment = books.now()
    changes: dict[Any, Any] = {Payout.status: new, Payout.reason: reason, Payout.updated_at: moment}
    if reference:
        changes[Payout.provider_reference] = reference
    async with tenant.scope():
        changed = (
            await Payout.update(changes)
            .where((Payout.id == payout_id) & (Payout.status == expected))
            .returning(Payout.id)
        )
    if not changed:
        raise ServiceError(N_("This payout was already decided; reload the page to see its state."))
    if new in {"rejected", "failed"}:
        await books.post_payout_step(tenant, "payout_release", payout_id, payout.amount, at=moment)
    elif new == "paid":
        await books.post_payout_step(tenant, "payout_paid", payout_id, payout.amount, at=moment)
    await _audit(tenant, payout_id, expected, new, staff.id, "staff", reason, moment)
    return await get_payout(tenant, payout_id)


async def _audit(
    tenant: Tenant,
    payout_id: uuid.UUID,
    old: str,
    new: str,
    actor_id: uuid.UUID | None,
    role: str,
    reason: str,
    moment: dt.datetime,
) -> None:
    async with tenant.scope():
        await PayoutEvent.insert(
            PayoutEvent(
                id=uuid.uuid4(),
                creator_id=tenant.creator_id,
                payout_id=payout_id,
                from_status=old,
                to_status=new,
                actor_id=actor_id,
                actor_role=role,
                reason=reason,
                created_at=moment,
            )
        ).run()


async def _events(payout_id: uuid.UUID) -> list[PayoutEventView]:
    rows = (
        await PayoutEvent.select().where(PayoutEvent.payout_id == payout_id).order_by(PayoutEvent.created_at)
    )
    return [
        PayoutEventView(
            r["from_status"], r["to_status"], r["actor_role"], r["reason"], _as_utc(r["created_at"])
        )
        for r in rows
    ]


async def _all_destinations(tenant: Tenant) -> list[Destination]:
    async with tenant.scope():
        rows = await PayoutDestination.select().where(PayoutDestination.creator_id == tenant.creator_id)
    return [_destination(row) for row in rows]


def _view(
    row: dict[str, Any], destination: Destination | None, events: list[PayoutEventView] | None = None
) -> PayoutView:
    return PayoutView(
        id=row["id"],
        creator_id=row["creator_id"],
        destination=destination,
        amount=row["amount"],
        currency=row["currency"],
        status=row["status"],
        reason=row["reason"],
        provider_reference=row["provider_reference"],
        requested_at=_as_utc(row["requested_at"]),
        updated_at=_as_utc(row["updated_at"]),
        events=tuple(events or ()),
    )

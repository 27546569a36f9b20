"""The books: balanced double-entry transactions per creator, and balances computed as sums of entries.

The API other domains call (checkout on a paid order, refunds by the creator or staff)::

    policy = LedgerPolicy.from_settings(settings)
    await post_sale(tenant, order_reference=order.reference, gross=order.amount, provider_fee=fee, policy=policy)
    await post_refund(tenant, order_reference=order.reference, refund_reference=refund.id, amount=amount)

Both are idempotent by their reference: the transaction's ``key`` is unique, so posting again (a duplicate
notification, a retried job) inserts nothing and returns the transaction already there. Amounts are integer
santim; debit positive, credit negative; ``_post`` refuses a transaction whose legs do not sum to zero.

Accounts (legs of one creator's transactions):
    buyer_payments     what buyers paid (debit on a sale, credit on a refund)
    provider_fees      the payment provider's fee
    platform_fees      the platform's fee
    creator            what the platform owes the creator (a credit balance); each leg carries ``available_at``
    payouts_in_flight  payouts requested and not yet sent (held out of the creator's balance)
    payouts_sent       payouts sent to the creator's destination
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from windsurf.core.db import is_unique_violation
from windsurf.core.errors import InvalidInput, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import Tenant
from windsurf.ledger.tables import LedgerBook, LedgerEntry, LedgerTransaction
from windsurf.settings import Settings

BUYER = "buyer_payments"
PROVIDER_FEES = "provider_fees"
PLATFORM_FEES = "platform_fees"
CREATOR = "creator"
IN_FLIGHT = "payouts_in_flight"
SENT = "payouts_sent"
ACCOUNTS = (BUYER, PROVIDER_FEES, PLATFORM_FEES, CREATOR, IN_FLIGHT, SENT)


class UnbalancedTransaction(RuntimeError):
    """A programming error: a transaction's legs must sum to zero, and nothing unbalanced is ever written."""


@dataclass(frozen=True)
class LedgerPolicy:
    holding: dt.timedelta
    payout_minimum: int
    platform_fee_bps: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LedgerPolicy:
        return cls(
            holding=dt.timedelta(days=settings.ledger_holding_days),
            payout_minimum=settings.payout_minimum_santim,
            platform_fee_bps=settings.platform_fee_bps,
        )

    def platform_fee(self, gross: int) -> int:
        return gross * self.platform_fee_bps // 10_000


@dataclass(frozen=True)
class Leg:
    account: str
    amount: int
    available_at: dt.datetime | None = None


@dataclass(frozen=True)
class Balance:
    """A creator's money, each figure a sum of entries at ``as_of``."""

    pending: int  # earned, still in its holding period
    available: int  # may be paid out now (negative after a refund of money already paid out)
    in_review: int  # requested payouts not yet sent
    paid_out: int
    next_available_at: dt.datetime | None  # when the earliest pending earnings become available
    as_of: dt.datetime
    currency: str = "ETB"

    @property
    def total(self) -> int:
        return self.pending + self.available


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def post_sale(
    tenant: Tenant,
    *,
    order_reference: str,
    gross: int,
    provider_fee: int,
    policy: LedgerPolicy,
    platform_fee: int | None = None,
    currency: str = "ETB",
    at: dt.datetime | None = None,
) -> uuid.UUID:
    """Post a paid order: the buyer's payment shared out to the provider's fee, the platform's fee and the creator.

    Idempotent per ``order_reference``. The creator's earnings become available after the holding period.
    """
    fee = policy.platform_fee(gross) if platform_fee is None else platform_fee
    if gross <= 0 or provider_fee < 0 or fee < 0 or provider_fee + fee > gross:
        raise ServiceError(N_("These amounts cannot be posted: the fees exceed the payment."))
    moment = at or now()
    legs = [
        Leg(BUYER, gross),
        Leg(PROVIDER_FEES, -provider_fee),
        Leg(PLATFORM_FEES, -fee),
        Leg(CREATOR, -(gross - provider_fee - fee), moment + policy.holding),
    ]
    await ensure_book(tenant)
    return await _post(tenant, "sale", order_reference, legs, currency=currency, at=moment)


async def post_refund(
    tenant: Tenant,
    *,
    order_reference: str,
    refund_reference: str,
    amount: int,
    at: dt.datetime | None = None,
) -> uuid.UUID:
    """Reverse ``amount`` of a sale, every leg in proportion; never more than what is left of the sale.

    Idempotent per ``refund_reference``. Refunds of one creator are serialised on the creator's book, so two
    refunds at once cannot together exceed the sale.
    """
    existing = await _transaction_id(tenant, _key("refund", refund_reference))
    if existing is not None:
        return existing
    await lock_book(tenant)
    async with tenant.scope():
        sale = (
            await LedgerTransaction.select(LedgerTransaction.id, LedgerTransaction.currency)
            .where(
                (LedgerTransaction.key == _key("sale", order_reference))
                & (LedgerTransaction.creator_id == tenant.creator_id)
            )
            .first()
        )
        if sale is None:
            raise ServiceError(N_("There is no paid sale with that reference to refund."))
        sale_legs = await LedgerEntry.select().where(
            (LedgerEntry.transaction_id == sale["id"]) & (LedgerEntry.creator_id == tenant.creator_id)
        )
        refund_ids = await LedgerTransaction.select(LedgerTransaction.id).where(
            (LedgerTransaction.kind == "refund")
            & (LedgerTransaction.reference == order_reference)
            & (LedgerTransaction.creator_id == tenant.creator_id)
        )
        refunded_legs = (
            await LedgerEntry.select(LedgerEntry.account, LedgerEntry.amount).where(
                LedgerEntry.transaction_id.is_in([row["id"] for row in refund_ids])
            )
            if refund_ids
            else []
        )
    # A leg of zero (a provider that keeps no fee, as the sandbox) is not written: it counts as zero here.
    sold = {account: 0 for account in ACCOUNTS} | {row["account"]: row["amount"] for row in sale_legs}
    gross = sold[BUYER]
    refunded = -sum(row["amount"] for row in refunded_legs if row["account"] == BUYER)
    if amount <= 0:
        raise InvalidInput({"amount": N_("Enter an amount greater than zero.")})
    if refunded + amount > gross:
        raise InvalidInput({"amount": N_("That is more than what is left of this sale to refund.")})
    # Cumulative shares, so that partial refunds add up to exactly the sale when it is refunded in full.
    before, after = _shares(sold, refunded), _shares(sold, refunded + amount)
    creator_leg = next(row for row in sale_legs if row["account"] == CREATOR)
    legs = [
        Leg(BUYER, -amount),
        Leg(PROVIDER_FEES, after[PROVIDER_FEES] - before[PROVIDER_FEES]),
        Leg(PLATFORM_FEES, after[PLATFORM_FEES] - before[PLATFORM_FEES]),
        Leg(CREATOR, after[CREATOR] - before[CREATOR], _as_utc(creator_leg["available_at"])),
    ]
    return await _post(
        tenant, "refund", refund_reference, legs, order=order_reference, currency=sale["currency"], at=at
    )


def _shares(sold: dict[str, int], refunded: int) -> dict[str, int]:
    """How much of each credit leg a refund total of ``refunded`` gives back (the platform absorbs rounding)."""
    gross = sold[BUYER]
    provider = -sold[PROVIDER_FEES] * refunded // gross
    creator = -sold[CREATOR] * refunded // gross
    return {PROVIDER_FEES: provider, CREATOR: creator, PLATFORM_FEES: refunded - provider - creator}


async def balance(tenant: Tenant, *, at: dt.datetime | None = None) -> Balance:
    """The creator's balance at ``at``: every figure is a sum of that creator's entries."""
    moment = at or now()
    async with tenant.scope():
        rows = await LedgerEntry.select(
            LedgerEntry.account, LedgerEntry.amount, LedgerEntry.available_at
        ).where(LedgerEntry.creator_id == tenant.creator_id)
    pending = available = in_flight = sent = 0
    next_at: dt.datetime | None = None
    for row in rows:
        account, amount = row["account"], row["amount"]
        if account == CREATOR:
            ready = _as_utc(row["available_at"] or moment)
            if ready > moment:
                pending -= amount
                if amount < 0 and (next_at is None or ready < next_at):
                    next_at = ready
            else:
                available -= amount
        elif account == IN_FLIGHT:
            in_flight -= amount
        elif account == SENT:
            sent -= amount
    return Balance(pending, available, in_flight, sent, next_at if pending > 0 else None, moment)


async def upcoming(
    tenant: Tenant, *, at: dt.datetime | None = None, limit: int = 5
) -> list[tuple[dt.date, int]]:
    """Pending earnings by the day they become available: what the creator is told is on its way."""
    moment = at or now()
    async with tenant.scope():
        rows = await LedgerEntry.select(LedgerEntry.amount, LedgerEntry.available_at).where(
            (LedgerEntry.creator_id == tenant.creator_id)
            & (LedgerEntry.account == CREATOR)
            & (LedgerEntry.available_at > moment)
        )
    by_day: dict[dt.date, int] = {}
    for row in rows:
        day = _as_utc(row["available_at"]).date()
        by_day[day] = by_day.get(day, 0) - row["amount"]
    return sorted((day, amount) for day, amount in by_day.items() if amount > 0)[:limit]


async def ensure_book(tenant: Tenant) -> None:
    """Make sure the creator's book row exists (a concurrent creation is a harmless duplicate)."""
    async with tenant.scope():
        if await LedgerBook.exists().where(LedgerBook.creator_id == tenant.creator_id):
            return
    try:
        async with tenant.savepoint():
            await LedgerBook.insert(LedgerBook(id=uuid.uuid4(), creator_id=tenant.creator_id)).run()
    except Exception as exc:
        if not is_unique_violation(exc):
            raise


async def lock_book(tenant: Tenant) -> None:
    """Hold the creator's book row until the unit of work ends: balance checks after this see every earlier one."""
    await ensure_book(tenant)
    async with tenant.scope():
        # An UPDATE that changes nothing still takes the row lock (PostgreSQL) or the write lock (SQLite).
        await LedgerBook.update({LedgerBook.creator_id: tenant.creator_id}).where(
            LedgerBook.creator_id == tenant.creator_id
        )


def _key(kind: str, reference: str) -> str:
    return f"{kind}:{reference}"


async def _transaction_id(tenant: Tenant, key: str) -> uuid.UUID | None:
    async with tenant.scope():
        row = (
            await LedgerTransaction.select(LedgerTransaction.id)
            .where((LedgerTransaction.key == key) & (LedgerTransaction.creator_id == tenant.creator_id))
            .first()
        )
    return row["id"] if row else None


async def _post(
    tenant: Tenant,
    kind: str,
    reference: str,
    legs: list[Leg],
    *,
    order: str | None = None,
    currency: str = "ETB",
    at: dt.datetime | None = None,
) -> uuid.UUID:
    """Write one balanced transaction, once per ``kind:reference`` (the unique key decides, not a lookup)."""
    if sum(leg.amount for leg in legs) != 0:
        raise UnbalancedTransaction(f"{kind} {reference}: legs sum to {sum(leg.amount for leg in legs)}")
    if any(leg.account not in ACCOUNTS for leg in legs):
        raise UnbalancedTransaction(f"{kind} {reference}: unknown account")
    moment = at or now()
    transaction_id = uuid.uuid4()
    key = _key(kind, reference)
    try:
        async with tenant.savepoint():
            await LedgerTransaction.insert(
                LedgerTransaction(
                    id=transaction_id,
                    creator_id=tenant.creator_id,
                    kind=kind,
                    key=key,
                    reference=order or reference,
                    currency=currency,
                    created_at=moment,
                )
            ).run()
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        existing = await _transaction_id(tenant, key)
        if existing is None:  # the key belongs to another creator's book: never post into it
            raise ServiceError(N_("That reference is already used.")) from exc
        return existing
    entries: list[Any] = [
        LedgerEntry(
            id=uuid.uuid4(),
            creator_id=tenant.creator_id,
            transaction_id=transaction_id,
            account=leg.account,
            amount=leg.amount,
            available_at=leg.available_at if leg.account == CREATOR else None,
            created_at=moment,
        )
        for leg in legs
        if leg.amount != 0 or leg.account == CREATOR
    ]
    async with tenant.scope():
        await LedgerEntry.insert(*entries).run()
    return transaction_id


async def post_payout_step(
    tenant: Tenant, kind: str, payout_id: uuid.UUID, amount: int, *, at: dt.datetime | None = None
) -> uuid.UUID:
    """The ledger side of a payout: ``payout_hold`` on request, ``payout_release`` when rejected or failed,
    ``payout_paid`` when sent. Each happens once per payout (its key is unique)."""
    moment = at or now()
    legs = {
        "payout_hold": [Leg(CREATOR, amount, moment), Leg(IN_FLIGHT, -amount)],
        "payout_release": [Leg(CREATOR, -amount, moment), Leg(IN_FLIGHT, amount)],
        "payout_paid": [Leg(IN_FLIGHT, amount), Leg(SENT, -amount)],
    }[kind]
    return await _post(tenant, kind, str(payout_id), legs, at=moment)

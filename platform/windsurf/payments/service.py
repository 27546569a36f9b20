"""Taking payment for an order and settling it exactly once: the only code that writes payment attempts.

The money path of DESIGN.md §7:

- ``start_payment`` records an attempt under a fresh reference of ours, asks the provider outside any database
  transaction (a provider that takes ten seconds must not hold a connection or a lock), and records what it
  answered. A start that timed out is ``unknown``: the provider may or may not have the payment, so the buyer
  is told to try again and reconciliation finds out. A refreshed page reuses the attempt it has.
- ``refund_order`` asks the provider to give a paid order's money back (outside any transaction), then in one
  unit of work marks the order refunded (one conditional UPDATE), posts the reverse in the ledger, revokes the
  downloads and queues the buyer's message; a double click asks the provider twice under one refund reference
  (refunded once) and changes the books once.
- ``confirm`` is the one way an order gets paid, whether a notification arrived or reconciliation asked. It
  never trusts a notification: it queries the provider, and the reference, amount and currency must be the
  attempt's own. The paid transition is one conditional UPDATE (checkout.mark_paid); only the call that made it
  grants the download and queues the messages, in the same transaction, so fifty notifications at once deliver
  once.

Each step opens its own short unit of work for the creator named by the reference, because a provider call sits
between them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from windsurf.analytics import service as analytics
from windsurf.audience import service as audience
from windsurf.catalog import service as catalog
from windsurf.catalog.validation import parse_price
from windsurf.checkout import service as checkout
from windsurf.checkout.service import OrderView
from windsurf.core import jobs
from windsurf.core.errors import FieldError, InvalidInput, NotFoundError, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.metrics import PAYMENTS_STARTED
from windsurf.core.uow import Tenant, UnitOfWork, tenant_for
from windsurf.delivery import service as delivery
from windsurf.flags import service as flags
from windsurf.ledger import service as ledger
from windsurf.payments.providers.base import (
    ErrorCode,
    PaymentError,
    PaymentRequest,
    PaymentState,
    PaymentStatus,
    RefundingProvider,
    RefundRequest,
)
from windsurf.payments.providers.registry import Providers, fee_rates
from windsurf.payments.tables import PaymentAttempt
from windsurf.settings import Settings

_log = logging.getLogger("windsurf.payments")
RECONCILE_JOB = "payments.reconcile"
SALE_NOTICE_JOB = "payments.sale_notice"
REFUND_NOTICE_JOB = "payments.refund_notice"
REFUND_RETRY_JOB = "payments.refund_retry"
REFUND_RETRY_AFTER = dt.timedelta(minutes=2)  # past any provider call's timeouts and retries
# A refund the provider answered with one of these never happened: its held amount may be released.
REFUND_NEVER_MADE = frozenset({ErrorCode.PROVIDER_DECLINED, ErrorCode.PAYMENT_NOT_FOUND})
REASON_MAX = 500
# When reconciliation asks the provider about an attempt that heard nothing: soon, then less often.
RECONCILE_AFTER = (
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
)
# The providers that can take each payment method, in order of preference; the first enabled one is used.
METHOD_PROVIDERS: dict[str, tuple[str, ...]] = {
    "telebirr": ("telebirr", "chapa", "sandbox"),
    "cbebirr": ("chapa", "sandbox"),
    "mpesa": ("chapa", "sandbox"),
    "card": ("chapa", "sandbox"),
    "webirr": ("webirr", "sandbox"),
}


class PaymentMismatch(ServiceError):
    """The provider's answer is about another payment, or another amount: nothing changes, and it is logged."""

    status_code = 409

    def __init__(self, code: str) -> None:
        super().__init__(N_("The payment does not belong to this order."))
        self.code = code


class NotPayable(ServiceError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(N_("This order can no longer be paid. Please start a new order."))
        self.code = "not_payable"


@dataclass(frozen=True)
class Attempt:
    id: uuid.UUID
    creator_id: uuid.UUID
    order_id: uuid.UUID
    provider: str
    reference: str
    provider_reference: str
    redirect_url: str
    payment_code: str
    amount_santim: int
    currency: str
    status: str
    error_code: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Links:
    """Where a provider sends the buyer back, and where it posts its notification."""

    return_url: str
    notify_url: str


def _attempt(row: dict[str, Any]) -> Attempt:
    return Attempt(
        id=row["id"],
        creator_id=row["creator_id"],
        order_id=row["order_id"],
        provider=row["provider"],
        reference=row["reference"],
        provider_reference=row["provider_reference"],
        redirect_url=row["redirect_url"],
        payment_code=row["payment_code"],
        amount_santim=row["amount_santim"],
        currency=row["currency"],
        status=row["status"],
        error_code=row["error_code"],
        created_at=row["created_at"],
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- methods and references ---------------------------------------------------------------------------------


def switch_name(provider: str) -> str:
    """The kill switch of one provider: staff turn it off (/staff/flags, `windsurf flags`) during an outage."""
    return f"payments.{provider}"


async def switched_off(uow: UnitOfWork, providers: Providers, creator_id: uuid.UUID) -> frozenset[str]:
    """The enabled providers whose kill switch is off for this creator (read through the flag cache)."""
    return frozenset(
        [name for name in providers if not await flags.is_switched_on(uow, switch_name(name), creator_id)]
    )


def available_methods(providers: Providers, off: frozenset[str] = frozenset()) -> list[str]:
    """The payment methods a buyer can choose, given the enabled providers and those switched off."""
    return [
        method
        for method, names in METHOD_PROVIDERS.items()
        if any(name in providers and name not in off for name in names)
    ]


def provider_for(method: str, providers: Providers, off: frozenset[str] = frozenset()) -> str:
    for name in METHOD_PROVIDERS.get(method, ()):
        if name in providers and name not in off:
            return name
    raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, method, "no enabled provider takes this method")


def new_reference(creator_id: uuid.UUID) -> str:
    """Ours, unique per attempt: the creator's id (so a callback can act for them) and 48 random bits."""
    return f"{creator_id.hex}-{secrets.token_hex(6)}"


def creator_of(reference: str) -> uuid.UUID:
    """The creator a reference belongs to; anything that is not one of ours is an unknown payment (404)."""
    head, _, tail = reference.partition("-")
    try:
        if len(head) != 32 or len(tail) != 12:
            raise ValueError
        int(tail, 16)
        return uuid.UUID(hex=head)
    except ValueError:
        raise NotFoundError() from None


# --- attempts -----------------------------------------------------------------------------------------------


async def _find(tenant: Tenant, provider: str, reference: str) -> Attempt:
    async with tenant.scope():
        row = (
            await PaymentAttempt.select()
            .where(
                (PaymentAttempt.creator_id == tenant.creator_id)
                & (PaymentAttempt.provider == provider)
                & (PaymentAttempt.reference == reference)
            )
            .first()
        )
    if row is None:
        raise NotFoundError()
    return _attempt(row)


async def attempts_for(tenant: Tenant, order_id: uuid.UUID) -> list[Attempt]:
    async with tenant.scope():
        rows = (
            await PaymentAttempt.select()
            .where((PaymentAttempt.creator_id == tenant.creator_id) & (PaymentAttempt.order_id == order_id))
            .order_by(PaymentAttempt.created_at, ascending=False)
        )
    return [_attempt(row) for row in rows]


async def _record(tenant: Tenant, attempt_id: uuid.UUID, **changes: Any) -> None:
    values = {getattr(PaymentAttempt, name): value for name, value in changes.items()}
    values[PaymentAttempt.updated_at] = _now()
    async with tenant.scope():
        await PaymentAttempt.update(values).where(
            (PaymentAttempt.creator_id == tenant.creator_id) & (PaymentAttempt.id == attempt_id)
        )


async def _schedule_reconcile(uow: UnitOfWork, attempt: Attempt, round_: int) -> None:
    if round_ < len(RECONCILE_AFTER):
        await jobs.enqueue(
            uow,
            RECONCILE_JOB,
            {
                "creator_id": str(attempt.creator_id),
                "provider": attempt.provider,
                "reference": attempt.reference,
                "round": round_,
            },
            delay=RECONCILE_AFTER[round_],
        )


# --- starting -----------------------------------------------------------------------------------------------


async def start_payment(
    creator_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    providers: Providers,
    links: Links,
    locale: str,
) -> Attempt:
    """Ask the provider for the order's payment; an attempt already started for it is reused, not repeated."""
    async with tenant_for(creator_id) as tenant:
        order = await checkout.get_order(tenant, order_id)
        if order.status != "pending":
            raise NotPayable()
        # A provider switched off starts nothing new; what it already started still settles (webhooks and
        # reconciliation name the provider of the attempt, not the switch).
        name = provider_for(order.method, providers, await switched_off(tenant.uow, providers, creator_id))
        for earlier in await attempts_for(tenant, order_id):
            if earlier.provider == name and earlier.status == "started":
                return earlier
        attempt_id, reference = uuid.uuid4(), new_reference(creator_id)
        async with tenant.scope():
            await PaymentAttempt.insert(
                PaymentAttempt(
                    id=attempt_id,
                    creator_id=creator_id,
                    order_id=order_id,
                    provider=name,
                    reference=reference,
                    amount_santim=order.amount_santim,
                    currency=order.currency,
                )
            )
            attempt = await _find(tenant, name, reference)
            # Reconciliation asks about it even if nothing else ever does (a lost notification, a crash here).
            await _schedule_reconcile(tenant.uow, attempt, 0)
    try:
        started = await providers.get(name).start_payment(
            PaymentRequest(
                reference=attempt.reference,
                amount=attempt.amount_santim,
                currency=attempt.currency,
                description=order.product_title[:100],
                return_url=links.return_url,
                notify_url=links.notify_url,
                customer_name=order.buyer_name,
                customer_email=order.email or "",
                customer_phone=order.phone or "",
                locale=locale,
            )
        )
    except PaymentError as error:
        # A timeout leaves it open whether the provider has the payment: reconciliation will ask.
        status = "unknown" if error.code == ErrorCode.PROVIDER_TIMEOUT else "failed"
        async with tenant_for(creator_id) as tenant:
            await _record(tenant, attempt.id, status=status, error_code=str(error.code))
        raise
    PAYMENTS_STARTED.labels(name).inc()
    async with tenant_for(creator_id) as tenant:
        await _record(
            tenant,
            attempt.id,
            status="started",
            provider_reference=started.provider_reference or "",
            redirect_url=started.redirect_url or "",
            payment_code=started.payment_code or "",
        )
        return await _find(tenant, name, attempt.reference)


# --- settling -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    attempt: Attempt
    status: str  # paid | pending | failed
    paid_now: bool  # this call made the order paid


async def confirm(reference: str, provider: str, *, providers: Providers, settings: Settings) -> Outcome:
    """Ask the provider about one of our payments and settle the order from its answer (and only from it)."""
    creator_id = creator_of(reference)
    async with tenant_for(creator_id) as tenant:
        attempt = await _find(tenant, provider, reference)
    if attempt.status == "paid":
        # Settled already, from the provider's own answer: a resent notification can change nothing, so the
        # provider is not asked again (a duplicate costs one read, not a provider round trip and a transaction).
        return Outcome(attempt, "paid", False)
    state = await providers.get(provider).query_payment(reference, attempt.provider_reference)
    async with tenant_for(creator_id) as tenant:
        return await settle(tenant, attempt, state, settings=settings)


async def settle(tenant: Tenant, attempt: Attempt, state: PaymentState, *, settings: Settings) -> Outcome:
    if (state.provider, state.reference) != (attempt.provider, attempt.reference):
        _log.warning("payment answer for another reference", extra={"reference": attempt.reference})
        raise PaymentMismatch("reference_mismatch")
    if state.status == PaymentStatus.PENDING:
        return Outcome(attempt, "pending", False)
    if state.status == PaymentStatus.FAILED:
        if attempt.status not in ("paid", "failed"):
            await _record(tenant, attempt.id, status="failed", error_code="provider_failed")
        return Outcome(attempt, "failed", False)
    if (state.amount, state.currency) != (attempt.amount_santim, attempt.currency):
        _log.warning(
            "paid amount differs from the attempt",
            extra={"reference": attempt.reference, "amount": state.amount, "currency": state.currency},
        )
        raise PaymentMismatch("amount_mismatch")
    order = await checkout.mark_paid(
        tenant,
        attempt.order_id,
        provider=attempt.provider,
        reference=attempt.reference,
        amount_santim=state.amount,
        currency=state.currency,
    )
    if attempt.status != "paid":
        await _record(tenant, attempt.id, status="paid", error_code="")
    if order is None:
        return Outcome(attempt, "paid", False)  # a duplicate: the order was paid by an earlier call
    await _on_paid(tenant, order, settings=settings)
    return Outcome(attempt, "paid", True)


def provider_fee(provider: str, gross: int, settings: Settings) -> int:
    """What the provider keeps of ``gross`` santim, by its contract's rate (``fee_rates``)."""
    return gross * fee_rates(settings).get(provider, 0) // 10_000


async def _on_paid(tenant: Tenant, order: OrderView, *, settings: Settings) -> None:
    """What exactly one paid transition causes, in its transaction: the buyer's grant and links, the creator's
    notice."""
    product = await catalog.get_product(tenant, order.product_id)
    files = tuple(
        delivery.FileRef(file.id, file.filename, file.content_type, file.storage_key)
        for file in product.files
    )
    await delivery.grant_for_order(
        tenant,
        delivery.NewGrant(
            order_id=order.id,
            order_number=order.number,
            product_id=order.product_id,
            product_title=order.product_title,
            store_name="",
            email=order.email,
            phone=order.phone,
            locale=order.locale,
            files=files,
        ),
        secret_key=settings.secret_key,
    )
    await ledger.post_sale(
        tenant,
        order_reference=order.number,
        gross=order.amount_santim,
        provider_fee=provider_fee(order.provider or "", order.amount_santim, settings),
        policy=ledger.LedgerPolicy.from_settings(settings),
        currency=order.currency,
    )
    await jobs.enqueue(
        tenant.uow, SALE_NOTICE_JOB, {"creator_id": str(tenant.creator_id), "order_id": str(order.id)}
    )
    # The buyer joins the creator's contact list (a purchase is no consent to marketing), and is thanked where
    # an earlier consent allows it.
    buyer = await audience.add_contact(
        tenant,
        audience.NewContact(source="purchase", email=order.email, phone=order.phone, name=order.buyer_name),
    )
    await audience.thank_buyer(tenant, buyer.id, order.product_title)
    # Last: the day's counter row is shared by every sale of the product and locked until commit, so it is
    # taken as late as possible (earlier, concurrent notifications queued behind it for the whole settlement).
    await analytics.record_paid(
        tenant, order.id, order.product_id, order.amount_santim, order.paid_at or dt.datetime.now(dt.UTC)
    )


async def reconcile(
    creator_id: uuid.UUID,
    provider: str,
    reference: str,
    round_: int,
    *,
    providers: Providers,
    settings: Settings,
) -> Outcome | None:
    """Settle an attempt that heard nothing; ask again later while the provider still says pending."""
    async with tenant_for(creator_id) as tenant:
        attempt = await _find(tenant, provider, reference)
    if attempt.status in ("paid", "failed"):
        return None
    try:
        outcome = await confirm(reference, provider, providers=providers, settings=settings)
    except PaymentError as error:
        if error.code != ErrorCode.PAYMENT_NOT_FOUND:
            raise  # the outbox retries a provider that is down
        async with tenant_for(creator_id) as tenant:
            await _record(tenant, attempt.id, status="failed", error_code=str(error.code))
        return None
    if outcome.status == "pending":
        async with tenant_for(creator_id) as tenant:
            await _schedule_reconcile(tenant.uow, attempt, round_ + 1)
    return outcome


# --- refunds ------------------------------------------------------------------------------------------------


class NotRefundable(ServiceError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(N_("Only a paid order can be refunded."))
        self.code = "not_refundable"


class RefundByHand(ServiceError):
    """The provider that took the payment has no refund API (telebirr, WeBirr): the money goes back by hand."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__(
            N_(
                "This payment method cannot be refunded from here. Please contact support to refund the buyer."
            )
        )
        self.code = "refund_by_hand"


@dataclass(frozen=True)
class RefundOutcome:
    order: OrderView
    refunded_now: bool  # this call made the refund (a double click's second call did not)


REFUND_KEY = re.compile(r"[A-Za-z0-9_-]{8,40}")


def new_refund_key() -> str:
    """The key a refund form carries: submitting the same form again (a double click, a retry) is one refund."""
    return secrets.token_urlsafe(12)


def refund_reference(order: OrderView, key: str) -> str:
    """The reference the provider and the ledger know the refund of ``key`` by."""
    return f"{order.number}-r-{key}"


def refund_key(order: OrderView, refund: checkout.RefundView) -> str:
    """The form key ``refund`` was made with (its form can be sent again to finish it)."""
    return refund.reference.removeprefix(refund_reference(order, ""))


def clean_reason(raw: str) -> str:
    reason = " ".join(raw.split())
    if not reason:
        raise InvalidInput({"reason": N_("Give a reason for the refund: the buyer sees it.")})
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": N_("Keep the reason under 500 characters.")})
    return reason


def clean_refund_amount(raw: str) -> int | None:
    """Birr as typed ('150', '150.50'); None (empty) refunds whatever is left of the order."""
    try:
        return parse_price(raw, required=False)
    except FieldError:
        raise InvalidInput(
            {"amount": N_("Enter the amount to refund in birr, for example 150 or 150.50.")}
        ) from None


async def refund_order(
    creator_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    key: str,
    reason: str,
    actor: str,
    providers: Providers,
    amount: int | None = None,
) -> RefundOutcome:
    """Refund ``amount`` santim of a paid order (None: all that is left): held first, the provider asked with no
    transaction open, then our records changed once, in one unit of work.

    ``key`` comes with the form: the same key is the same refund, so a double click, a refresh or a retry after
    the provider timed out refunds once; a refund nobody sends again is finished by its retry job. ``actor``
    ("creator" or "staff") is logged. When nothing is left of the order it becomes refunded and its downloads
    close; after a part refund the buyer keeps them. The ledger takes the refund from the creator's earnings even
    when they were paid out already (the balance goes below zero, and later sales make it up; no payout can be
    requested meanwhile), as its rules say.
    """
    reason = clean_reason(reason)
    if not REFUND_KEY.fullmatch(key):
        raise InvalidInput({"_form": N_("This form has expired. Open the refund page again.")})
    async with tenant_for(creator_id) as tenant:
        order = await checkout.get_order(tenant, order_id)  # another creator's order is a 404
        if order.status == "refunded":
            return RefundOutcome(order, False)
        if order.status not in checkout.REFUNDABLE or not order.provider or not order.provider_reference:
            raise NotRefundable()
        provider = providers.get(order.provider)
        if not isinstance(provider, RefundingProvider):
            raise RefundByHand()
        refund, held_now = await checkout.request_refund(
            tenant,
            order,
            reference=refund_reference(order, key),
            amount_santim=order.refundable_santim if amount is None else amount,
            reason=reason,
            actor=actor,
        )
        if held_now:
            # Should this request never hear back (the provider times out, the process dies), the job finishes it;
            # the same refund sent again is already followed by that job.
            await jobs.enqueue(
                tenant.uow,
                REFUND_RETRY_JOB,
                {"creator_id": str(creator_id), "refund_id": str(refund.id)},
                delay=REFUND_RETRY_AFTER,
            )
    if refund.status == "done":
        return RefundOutcome(order, False)
    changed = await settle_refund(creator_id, order, refund, provider, may_release=held_now)
    if changed is None:
        async with tenant_for(creator_id) as tenant:
            return RefundOutcome(await checkout.get_order(tenant, order_id), False)
    _log.info(
        "order refunded",
        extra={
            "order": order.number,
            "by": actor,
            "amount": refund.amount_santim,
            "full": changed.status == "refunded",
        },
    )
    return RefundOutcome(changed, True)


async def settle_refund(
    creator_id: uuid.UUID,
    order: OrderView,
    refund: checkout.RefundView,
    provider: RefundingProvider,
    *,
    may_release: bool,
) -> OrderView | None:
    """Ask the provider for a held refund and record it once: the ledger, the downloads when nothing is left, the
    buyer's message. The order when this call recorded it; None when it was recorded already.

    No transaction is open while the provider answers; asking again with the same reference refunds once there.
    A decline releases the held amount when ``may_release``: the request that held it, or the retry job. Another
    request for the same refund must not, as a provider may decline it as a repeat of one it is honouring at that
    moment; the retry job settles it then. Any other error leaves it held (the refund may have been made) for the
    same form, or the retry job, to finish.
    """
    try:
        await provider.refund(
            RefundRequest(
                reference=order.provider_reference or "",
                refund_reference=refund.reference,
                amount=refund.amount_santim,
                currency=order.currency,
                reason=refund.reason,
            )
        )
    except PaymentError as error:
        if may_release and error.code in REFUND_NEVER_MADE:
            async with tenant_for(creator_id) as tenant:
                await checkout.release_refund(tenant, refund)
        raise
    async with tenant_for(creator_id) as tenant:
        changed = await checkout.complete_refund(tenant, refund)
        if changed is None:
            return None
        await ledger.post_refund(
            tenant,
            order_reference=order.number,
            refund_reference=refund.reference,
            amount=refund.amount_santim,
        )
        if changed.status == "refunded":
            await delivery.revoke(tenant, order.id)
        await jobs.enqueue(
            tenant.uow,
            REFUND_NOTICE_JOB,
            {
                "creator_id": str(creator_id),
                "refund_id": str(refund.id),
                "closed": changed.status == "refunded",
            },
        )
    return changed


async def retry_refund(creator_id: uuid.UUID, refund_id: uuid.UUID, *, providers: Providers) -> None:
    """The retry job: a refund still waiting for the provider's answer is asked for again (once there, as its
    reference is the same), then recorded or released. A provider still down makes the outbox retry later."""
    async with tenant_for(creator_id) as tenant:
        refund = await checkout.get_refund(tenant, refund_id)
        if refund.status != "requested":
            return
        order = await checkout.get_order(tenant, refund.order_id)
    provider = providers.get(order.provider or "")
    if not isinstance(provider, RefundingProvider):
        return
    try:
        await settle_refund(creator_id, order, refund, provider, may_release=True)
    except PaymentError as error:
        if error.code in REFUND_NEVER_MADE:
            return  # released: the refund never happened
        raise  # unanswered again: the outbox runs this job again after its backoff

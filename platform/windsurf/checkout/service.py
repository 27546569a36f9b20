"""Checkout operations: the only code that writes orders, discount codes and sales counts.

Prices come only from the server: the transport layer builds an ``Offer`` from the catalog, and whatever a form
says about price, currency or quantity is never read. Every place a race could double-count is one conditional
UPDATE (a sales-limit slot, a discount use, the pending -> paid transition), so concurrent buyers and concurrent
payment notifications each win at most once, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from windsurf.analytics import service as analytics
from windsurf.audience import service as audience
from windsurf.checkout.tables import DiscountCode, Order, ProductSales, Refund
from windsurf.core import db, jobs
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.i18n import N_, SUPPORTED_LOCALES
from windsurf.core.uow import Tenant

ORDER_TTL = dt.timedelta(minutes=30)
PAYMENT_METHODS = ("telebirr", "cbebirr", "mpesa", "card", "webirr")
CURRENCY = "ETB"
NAME_MAX = 100
CODE_PATTERN = re.compile(r"^[A-Z0-9_-]{3,32}$")
MAX_PRICE_SANTIM = 10_000_000_00  # 10 million birr: above any product, below integer overflow in every engine
_NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O or 1/I/L to misread over the phone


class OrderError(ServiceError):
    """A checkout rule refused the order; ``code`` names the rule for the JSON API and the tests."""

    def __init__(self, message: str, *, code: str, field: str | None = None, status: int = 409) -> None:
        super().__init__(message, field=field)
        self.code = code
        self.status_code = status


@dataclass(frozen=True)
class Offer:
    """What the catalog says a product costs: the only source of a price."""

    product_id: uuid.UUID
    creator_id: uuid.UUID
    title: str
    price_santim: int
    pwyw_min_santim: int | None = None
    sales_limit: int | None = None
    currency: str = CURRENCY


@dataclass(frozen=True)
class CheckoutRequest:
    """A buyer's cleaned checkout form. ``submission_key`` is the form's one-time key: a resubmission reuses it."""

    submission_key: str
    buyer_name: str
    email: str | None
    phone: str | None  # E.164
    method: str
    discount_code: str = ""
    offered_santim: int | None = None  # pay what you want
    locale: str = "am"  # the language of the checkout page: the buyer's receipt and messages use it
    source: str = "direct"  # where the buyer came from (analytics.classify.SOURCES)
    device: str = "desktop"  # mobile | tablet | desktop


@dataclass(frozen=True)
class Quote:
    list_santim: int
    discount_santim: int
    amount_santim: int
    currency: str
    discount_code_id: uuid.UUID | None


@dataclass(frozen=True)
class OrderView:
    id: uuid.UUID
    creator_id: uuid.UUID
    number: str
    status: str
    product_id: uuid.UUID
    product_title: str
    buyer_name: str
    email: str | None
    phone: str | None
    method: str
    list_santim: int
    discount_santim: int
    amount_santim: int
    currency: str
    provider: str | None
    provider_reference: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    paid_at: dt.datetime | None
    locale: str = "am"
    refunded_santim: int = 0  # given back, or being given back

    @property
    def refundable_santim(self) -> int:
        """What a refund may still give back (nothing unless the order is paid)."""
        return self.amount_santim - self.refunded_santim if self.status in REFUNDABLE else 0


@dataclass(frozen=True)
class DiscountView:
    id: uuid.UUID
    code: str
    kind: str
    value: int
    product_id: uuid.UUID | None
    max_uses: int | None
    uses: int
    expires_at: dt.datetime | None
    active: bool


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _order(row: dict[str, Any]) -> OrderView:
    return OrderView(
        id=row["id"],
        creator_id=row["creator_id"],
        number=row["number"],
        status=row["status"],
        product_id=row["product_id"],
        product_title=row["product_title"],
        buyer_name=row["buyer_name"],
        email=row["buyer_email"],
        phone=row["buyer_phone"],
        method=row["method"],
        list_santim=row["list_santim"],
        discount_santim=row["discount_santim"],
        amount_santim=row["amount_santim"],
        currency=row["currency"],
        provider=row["provider"],
        provider_reference=row["provider_reference"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        paid_at=row["paid_at"],
        locale=row.get("locale") or "am",
        refunded_santim=row.get("refunded_santim") or 0,
    )


def _discount(row: dict[str, Any]) -> DiscountView:
    return DiscountView(
        id=row["id"],
        code=row["code"],
        kind=row["kind"],
        value=row["value"],
        product_id=row["product_id"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        expires_at=row["expires_at"],
        active=bool(row["active"]),
    )


def new_order_number() -> str:
    return "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(10))


# --- pricing ------------------------------------------------------------------------------------------------


def _list_price(offer: Offer, offered: int | None) -> int:
    if offer.pwyw_min_santim is None or offered is None:
        return offer.price_santim
    if offered < offer.pwyw_min_santim:
        raise OrderError(
            N_("Please pay at least the minimum price."), code="below_minimum", field="amount", status=422
        )
    if offered > MAX_PRICE_SANTIM:
        raise OrderError(N_("That amount is too large."), code="amount_too_large", field="amount", status=422)
    return offered


def _discount_off(code: dict[str, Any], list_santim: int) -> int:
    if code["kind"] == "percent":
        return list_santim * int(code["value"]) // 100
    return min(int(code["value"]), list_santim)


async def _usable_code(tenant: Tenant, offer: Offer, text: str) -> dict[str, Any] | None:
    code = text.strip().upper()
    if not code:
        return None
    async with tenant.scope():
        row = (
            await DiscountCode.select()
            .where((DiscountCode.creator_id == tenant.creator_id) & (DiscountCode.code == code))
            .first()
        )
    invalid = OrderError(N_("That discount code is not valid."), code="code_invalid", field="discount_code")
    if row is None or not row["active"]:
        raise invalid
    if row["product_id"] is not None and row["product_id"] != offer.product_id:
        raise OrderError(
            N_("That discount code is for another product."), code="code_other_product", field="discount_code"
        )
    if row["expires_at"] is not None and row["expires_at"] <= _now():
        raise OrderError(N_("That discount code has expired."), code="code_expired", field="discount_code")
    if row["max_uses"] is not None and row["uses"] >= row["max_uses"]:
        raise OrderError(
            N_("That discount code has been used up."), code="code_used_up", field="discount_code"
        )
    return row


async def quote(
    tenant: Tenant, offer: Offer, *, discount_code: str = "", offered: int | None = None
) -> Quote:
    """What the buyer would pay now, computed on the server only."""
    _same_creator(tenant, offer)
    list_santim = _list_price(offer, offered)
    code = await _usable_code(tenant, offer, discount_code)
    off = _discount_off(code, list_santim) if code else 0
    return Quote(list_santim, off, list_santim - off, offer.currency, code["id"] if code else None)


def _same_creator(tenant: Tenant, offer: Offer) -> None:
    if offer.creator_id != tenant.creator_id:
        raise NotFoundError()


# --- orders -------------------------------------------------------------------------------------------------


def _check_request(request: CheckoutRequest) -> None:
    errors: dict[str, str] = {}
    if not request.buyer_name.strip():
        errors["name"] = N_("Please enter your name.")
    elif len(request.buyer_name) > NAME_MAX:
        errors["name"] = N_("Please use at most %(count)s characters.")
    if not request.email and not request.phone:
        errors["email"] = N_("Please enter an email address or a phone number, so we can send your purchase.")
    if request.method not in PAYMENT_METHODS:
        errors["method"] = N_("Please choose how you want to pay.")
    if not request.submission_key or len(request.submission_key) > 64:
        errors["submission_key"] = N_("This form has expired. Please reload the page and try again.")
    if errors:
        raise InvalidInput(errors)


async def _find_submission(tenant: Tenant, key: str) -> OrderView | None:
    async with tenant.scope():
        row = (
            await Order.select()
            .where((Order.creator_id == tenant.creator_id) & (Order.submission_key == key))
            .first()
        )
    return _order(row) if row else None


async def place_order(tenant: Tenant, offer: Offer, request: CheckoutRequest) -> OrderView:
    """One pending order per submission: a double tap, a refresh or the back button return the same order.

    A sales-limit place and a discount use are taken in the same transaction, by conditional updates that only
    succeed while there is room, so a limit holds however many buyers press Buy at once.
    """
    _same_creator(tenant, offer)
    _check_request(request)
    existing = await _find_submission(tenant, request.submission_key)
    if existing is not None:
        return existing
    priced = await quote(tenant, offer, discount_code=request.discount_code, offered=request.offered_santim)
    now = _now()
    order_id = uuid.uuid4()
    try:
        async with tenant.savepoint():
            await Order.insert(
                Order(
                    id=order_id,
                    creator_id=tenant.creator_id,
                    number=new_order_number(),
                    submission_key=request.submission_key,
                    product_id=offer.product_id,
                    product_title=offer.title,
                    buyer_name=request.buyer_name.strip(),
                    buyer_email=request.email,
                    buyer_phone=request.phone,
                    method=request.method,
                    locale=request.locale if request.locale in SUPPORTED_LOCALES else "am",
                    list_santim=priced.list_santim,
                    discount_santim=priced.discount_santim,
                    amount_santim=priced.amount_santim,
                    currency=priced.currency,
                    discount_code_id=priced.discount_code_id,
                    created_at=now,
                    updated_at=now,
                    expires_at=now + ORDER_TTL,
                )
            )
            if offer.sales_limit is not None:
                await _take_place(tenant, offer)
            if priced.discount_code_id is not None:
                await _use_code(tenant, priced.discount_code_id)
            # Gives back the sales place and the discount use if nobody pays (checkout.jobs.expire_order).
            await jobs.enqueue(
                tenant.uow,
                "checkout.expire_order",
                {"creator_id": str(tenant.creator_id), "order_id": str(order_id)},
                delay=ORDER_TTL + dt.timedelta(seconds=5),
            )
            # One reminder in an hour if it is still unpaid, where the buyer's consent allows (audience).
            await audience.remind_unpaid_checkout(tenant, order_id)
            # Last: the day's counter row is shared by every buyer of the product, and its row lock is held
            # until commit, so it is taken as late as possible (earlier, concurrent checkouts queued behind it).
            await analytics.record_checkout_start(
                tenant, order_id, offer.product_id, source=request.source, device=request.device, at=now
            )
    except Exception as exc:
        if not db.is_unique_violation(exc):
            raise
        # The same form submitted twice at once: the other request's order is the one.
        again = await _find_submission(tenant, request.submission_key)
        if again is None:
            raise
        return again
    return await get_order(tenant, order_id)


async def _take_place(tenant: Tenant, offer: Offer) -> None:
    await ProductSales.insert(
        ProductSales(product_id=offer.product_id, creator_id=tenant.creator_id, taken=0)
    ).on_conflict(action="DO NOTHING")
    taken = await ProductSales.raw(
        "UPDATE product_sales SET taken = taken + 1 WHERE product_id = {} AND creator_id = {} AND taken < {} "
        "RETURNING taken",
        offer.product_id,
        tenant.creator_id,
        offer.sales_limit,
    )
    if not taken:
        raise OrderError(N_("Sorry, this product has sold out."), code="sold_out")


async def _use_code(tenant: Tenant, code_id: uuid.UUID) -> None:
    used = await DiscountCode.raw(
        "UPDATE discount_code SET uses = uses + 1 WHERE id = {} AND creator_id = {} "
        "AND (max_uses IS NULL OR uses < max_uses) RETURNING uses",
        code_id,
        tenant.creator_id,
    )
    if not used:
        raise OrderError(
            N_("That discount code has been used up."), code="code_used_up", field="discount_code"
        )


async def get_order(tenant: Tenant, order_id: uuid.UUID) -> OrderView:
    async with tenant.scope():
        row = (
            await Order.select()
            .where((Order.creator_id == tenant.creator_id) & (Order.id == order_id))
            .first()
        )
    if row is None:
        raise NotFoundError()
    return _order(row)


async def list_orders(tenant: Tenant, *, limit: int = 50) -> list[OrderView]:
    async with tenant.scope():
        rows = (
            await Order.select()
            .where(Order.creator_id == tenant.creator_id)
            .order_by(Order.created_at, ascending=False)
            .limit(limit)
        )
    return [_order(row) for row in rows]


async def mark_paid(
    tenant: Tenant, order_id: uuid.UUID, *, provider: str, reference: str, amount_santim: int, currency: str
) -> OrderView | None:
    """The one pending -> paid transition; the order when this call made it, None when it was already made.

    The amount and currency must be the order's own; ``(provider, reference)`` is the payment that paid it. A
    payment confirmed after the order expired still pays it (the buyer's money was taken): its sales place is
    taken back without the limit.
    """
    order = await get_order(tenant, order_id)
    if (order.amount_santim, order.currency) != (amount_santim, currency):
        raise OrderError(N_("The amount paid does not match the order."), code="amount_mismatch")
    async with tenant.scope():
        rows = await Order.raw(
            "UPDATE checkout_order SET status = 'paid', paid_at = {}, updated_at = {}, provider = {}, "
            "provider_reference = {} WHERE id = {} AND creator_id = {} AND status IN ('pending', 'expired') "
            "RETURNING status",
            _now(),
            _now(),
            provider,
            reference,
            order_id,
            tenant.creator_id,
        )
        if not rows:
            return None
        if order.status == "expired":
            await _give_back(tenant, order, sign=+1)
    return await get_order(tenant, order_id)


# --- refunds (the provider's side is in payments) ------------------------------------------------------------

REFUNDABLE = ("paid", "fulfilled")  # two: the statements below bind them as ({}, {})


@dataclass(frozen=True)
class RefundView:
    id: uuid.UUID
    order_id: uuid.UUID
    reference: str
    amount_santim: int
    status: str  # requested | done
    reason: str
    actor: str
    created_at: dt.datetime


def _refund(row: dict[str, Any]) -> RefundView:
    return RefundView(
        id=row["id"],
        order_id=row["order_id"],
        reference=row["reference"],
        amount_santim=row["amount_santim"],
        status=row["status"],
        reason=row["reason"],
        actor=row["actor"],
        created_at=row["created_at"],
    )


async def request_refund(
    tenant: Tenant, order: OrderView, *, reference: str, amount_santim: int, reason: str, actor: str
) -> tuple[RefundView, bool]:
    """Hold ``amount_santim`` of a paid order for a refund under ``reference`` before the provider is asked;
    returns the refund and whether this call made it.

    The same reference again (a double click, a retry after a timeout) is the same refund: it is returned as it
    stands. A new one must fit in what is left of the order, counted atomically with every refund held or made,
    so two at once can never together give back more than was paid.
    """
    refund_id = uuid.uuid4()
    async with tenant.scope():
        if amount_santim < 1 and not await Refund.exists().where(Refund.reference == reference):
            raise InvalidInput({"amount": N_("Enter an amount to refund.")})
        # The refund's row first: the same reference sent twice at once waits here for the first to commit,
        # and then finds it, instead of counting its amount a second time.
        created = await Refund.raw(
            "INSERT INTO checkout_refund (id, creator_id, order_id, reference, amount_santim, status, reason, "
            "actor, created_at) VALUES ({}, {}, {}, {}, {}, 'requested', {}, {}, {}) "
            "ON CONFLICT (reference) DO NOTHING RETURNING id",
            refund_id,
            tenant.creator_id,
            order.id,
            reference,
            amount_santim,
            reason,
            actor,
            _now(),
        )
        if created:
            held = await Order.raw(
                "UPDATE checkout_order SET refunded_santim = refunded_santim + {}, updated_at = {} "
                "WHERE id = {} AND creator_id = {} AND status IN ({}, {}) "
                "AND refunded_santim + {} <= amount_santim RETURNING id",
                amount_santim,
                _now(),
                order.id,
                tenant.creator_id,
                *REFUNDABLE,
                amount_santim,
            )
            if not held:  # raising rolls the refund's row back with the rest of the unit
                if order.status not in REFUNDABLE:
                    raise OrderError(N_("Only a paid order can be refunded."), code="not_refundable")
                raise InvalidInput({"amount": N_("That is more than what is left of this sale to refund.")})
        row = await Refund.select().where(Refund.reference == reference).first()
    if row is None or row["order_id"] != order.id:  # the reference is another order's
        raise NotFoundError()
    return _refund(row), bool(created)


async def release_refund(tenant: Tenant, refund: RefundView) -> None:
    """The provider refused the refund: it never happened, and its amount may be refunded again."""
    async with tenant.scope():
        dropped = await Refund.raw(
            "DELETE FROM checkout_refund WHERE id = {} AND creator_id = {} AND status = 'requested' RETURNING id",
            refund.id,
            tenant.creator_id,
        )
        if dropped:
            await Order.raw(
                "UPDATE checkout_order SET refunded_santim = refunded_santim - {}, updated_at = {} "
                "WHERE id = {} AND creator_id = {}",
                refund.amount_santim,
                _now(),
                refund.order_id,
                tenant.creator_id,
            )


async def complete_refund(tenant: Tenant, refund: RefundView) -> OrderView | None:
    """The provider gave the money back: requested -> done, once. The order (refunded when nothing is left of
    it and no other refund is still waiting) when this call made it; None when it was made already."""
    async with tenant.scope():
        done = await Refund.raw(
            "UPDATE checkout_refund SET status = 'done', done_at = {} "
            "WHERE id = {} AND creator_id = {} AND status = 'requested' RETURNING id",
            _now(),
            refund.id,
            tenant.creator_id,
        )
        if not done:
            return None
        await Order.raw(
            "UPDATE checkout_order SET status = 'refunded', updated_at = {} "
            "WHERE id = {} AND creator_id = {} AND status IN ({}, {}) "
            "AND refunded_santim = amount_santim AND NOT EXISTS (SELECT 1 FROM checkout_refund "
            "WHERE order_id = {} AND status = 'requested')",
            _now(),
            refund.order_id,
            tenant.creator_id,
            *REFUNDABLE,
            refund.order_id,
        )
    return await get_order(tenant, refund.order_id)


async def list_refunds(tenant: Tenant, order_id: uuid.UUID) -> list[RefundView]:
    async with tenant.scope():
        rows = (
            await Refund.select()
            .where((Refund.creator_id == tenant.creator_id) & (Refund.order_id == order_id))
            .order_by(Refund.created_at)
        )
    return [_refund(row) for row in rows]


async def get_refund(tenant: Tenant, refund_id: uuid.UUID) -> RefundView:
    async with tenant.scope():
        row = (
            await Refund.select()
            .where((Refund.creator_id == tenant.creator_id) & (Refund.id == refund_id))
            .first()
        )
    if row is None:
        raise NotFoundError()
    return _refund(row)


async def expire(tenant: Tenant, order_id: uuid.UUID) -> bool:
    """An unpaid order past its time gives back its sales place and discount use; True when this call did it."""
    async with tenant.scope():
        rows = await Order.raw(
            "UPDATE checkout_order SET status = 'expired', updated_at = {} "
            "WHERE id = {} AND creator_id = {} AND status = 'pending' AND expires_at <= {} RETURNING id",
            _now(),
            order_id,
            tenant.creator_id,
            _now(),
        )
        if not rows:
            return False
        await _give_back(tenant, await get_order(tenant, order_id), sign=-1)
    return True


async def _give_back(tenant: Tenant, order: OrderView, *, sign: int) -> None:
    """Move the order's sales place and discount use by ``sign`` (-1 releases, +1 takes back)."""
    await ProductSales.raw(
        "UPDATE product_sales SET taken = taken + {} WHERE product_id = {} AND creator_id = {}",
        sign,
        order.product_id,
        tenant.creator_id,
    )
    row = await Order.select(Order.discount_code_id).where(Order.id == order.id).first()
    if row and row["discount_code_id"] is not None:
        await DiscountCode.raw(
            "UPDATE discount_code SET uses = uses + {} WHERE id = {} AND creator_id = {}",
            sign,
            row["discount_code_id"],
            tenant.creator_id,
        )


async def sales_taken(tenant: Tenant, product_id: uuid.UUID) -> int:
    async with tenant.scope():
        row = (
            await ProductSales.select(ProductSales.taken)
            .where((ProductSales.creator_id == tenant.creator_id) & (ProductSales.product_id == product_id))
            .first()
        )
    return int(row["taken"]) if row else 0


# --- discount codes (the creator's) -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewDiscount:
    code: str
    kind: str  # percent | fixed
    value: int  # percent 1-100, or santim
    product_id: uuid.UUID | None = None
    max_uses: int | None = None
    expires_at: dt.datetime | None = None


def _check_discount(new: NewDiscount) -> None:
    errors: dict[str, str] = {}
    if not CODE_PATTERN.match(new.code):
        errors["code"] = N_("Use 3-32 letters, digits, dashes or underscores.")
    if new.kind == "percent" and not 1 <= new.value <= 100:
        errors["value"] = N_("A percentage is between 1 and 100.")
    elif new.kind == "fixed" and not 1 <= new.value <= MAX_PRICE_SANTIM:
        errors["value"] = N_("Please enter an amount above zero.")
    elif new.kind not in ("percent", "fixed"):
        errors["kind"] = N_("Please choose a percentage or a fixed amount.")
    if new.max_uses is not None and new.max_uses < 1:
        errors["max_uses"] = N_("Please enter a number above zero, or leave it empty.")
    if new.expires_at is not None and new.expires_at <= _now():
        errors["expires_at"] = N_("Please choose a date in the future.")
    if errors:
        raise InvalidInput(errors)


async def create_discount(tenant: Tenant, new: NewDiscount) -> DiscountView:
    new = NewDiscount(
        new.code.strip().upper(), new.kind, new.value, new.product_id, new.max_uses, new.expires_at
    )
    _check_discount(new)
    code_id = uuid.uuid4()
    try:
        async with tenant.savepoint():
            await DiscountCode.insert(
                DiscountCode(
                    id=code_id,
                    creator_id=tenant.creator_id,
                    code=new.code,
                    kind=new.kind,
                    value=new.value,
                    product_id=new.product_id,
                    max_uses=new.max_uses,
                    expires_at=new.expires_at,
                )
            )
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise OrderError(
                N_("You already have a code with that name."), code="code_taken", field="code", status=409
            ) from exc
        raise
    return next(code for code in await list_discounts(tenant) if code.id == code_id)


async def list_discounts(tenant: Tenant) -> list[DiscountView]:
    async with tenant.scope():
        rows = (
            await DiscountCode.select()
            .where(DiscountCode.creator_id == tenant.creator_id)
            .order_by(DiscountCode.created_at, ascending=False)
        )
    return [_discount(row) for row in rows]


async def set_discount_active(tenant: Tenant, code_id: uuid.UUID, active: bool) -> None:
    async with tenant.scope():
        changed = (
            await DiscountCode.update({DiscountCode.active: int(active)})
            .where((DiscountCode.creator_id == tenant.creator_id) & (DiscountCode.id == code_id))
            .returning(DiscountCode.id)
        )
    if not changed:
        raise NotFoundError()

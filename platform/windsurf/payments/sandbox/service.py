"""The sandbox gateway's operations: the only code that writes its table (``SandboxPayment``).

The gateway plays a payment provider for the embedded default, the demo and the tests: a merchant creates a
payment through its API, the buyer decides on its hosted page (pay, fail or cancel), and the gateway posts a
signed notification to the merchant. Notifications are outbox jobs written in the same transaction as the
decision (the caller's unit of work), so they survive a restart and never hold up the buyer's request; the
switches ``delay``, ``duplicate`` and ``drop`` make them late, repeated or missing, as real providers' sometimes
are.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from windsurf.core import db, jobs
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import UnitOfWork
from windsurf.payments.tables import SandboxPayment, SandboxRefund
from windsurf.settings import Settings

NotifyMode = Literal["deliver", "delay", "duplicate", "drop"]
NOTIFY_MODES: tuple[NotifyMode, ...] = ("deliver", "delay", "duplicate", "drop")
ACTIONS = {"pay": "paid", "fail": "failed", "cancel": "cancelled"}
CURRENCIES = ("ETB", "USD")
MAX_AMOUNT = 100_000_000  # santim: one million birr, above any single purchase on the platform
REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,64}")
NOTIFY_JOB = "payments.sandbox_notify"


class DuplicateReference(ServiceError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(N_("A payment with this reference exists already."), field="reference")


@dataclass(frozen=True)
class GatewayPayment:
    reference: str
    amount: int
    currency: str
    description: str
    return_url: str
    notify_url: str
    status: str
    notify: str
    notifications_sent: int
    refunded: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "notifications_sent": self.notifications_sent,
            "refunded": self.refunded,
        }


def _view(row: dict[str, Any]) -> GatewayPayment:
    return GatewayPayment(
        reference=row["reference"],
        amount=int(row["amount"]),
        currency=row["currency"],
        description=row["description"],
        return_url=row["return_url"],
        notify_url=row["notify_url"],
        status=row["status"],
        notify=row["notify"],
        notifications_sent=int(row["notifications_sent"]),
        refunded=int(row.get("refunded") or 0),
    )


def _is_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 2000:
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def validate_new_payment(data: object) -> dict[str, Any]:
    """The fields of a create request, checked; ``InvalidInput`` names every wrong one."""
    if not isinstance(data, dict):
        raise InvalidInput({"body": N_("Send a JSON object.")})
    errors: dict[str, str] = {}
    reference, amount = data.get("reference"), data.get("amount")
    if not isinstance(reference, str) or not REFERENCE.fullmatch(reference):
        errors["reference"] = N_("The reference must be 1 to 64 letters, digits, '-' or '_'.")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        errors["amount"] = N_("The amount must be a whole number of santim above zero.")
    if data.get("currency") not in CURRENCIES:
        errors["currency"] = N_("The currency must be ETB or USD.")
    for name in ("return_url", "notify_url"):
        if not _is_url(data.get(name)):
            errors[name] = N_("This must be an http or https address.")
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > 200:
        errors["description"] = N_("The description can have at most 200 characters.")
    notify = data.get("notify", "")
    if notify not in ("", *NOTIFY_MODES):
        errors["notify"] = N_("Choose how the notification is sent.")
    if errors:
        raise InvalidInput(errors)
    return {
        "reference": reference,
        "amount": amount,
        "currency": data["currency"],
        "description": description,
        "return_url": data["return_url"],
        "notify_url": data["notify_url"],
        "notify": notify,
    }


async def create_payment(uow: UnitOfWork, data: object) -> GatewayPayment:
    fields = validate_new_payment(data)
    try:
        async with uow.savepoint():
            await SandboxPayment.insert(SandboxPayment(id=uuid.uuid4(), **fields)).run()
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise DuplicateReference() from None
        raise
    payment = await get_payment(uow, fields["reference"])
    assert payment is not None
    return payment


async def get_payment(uow: UnitOfWork, reference: str) -> GatewayPayment | None:
    if not REFERENCE.fullmatch(reference):
        return None
    async with uow.scope():
        row = await SandboxPayment.select().where(SandboxPayment.reference == reference).first()
    return _view(row) if row else None


def notification_body(payment: GatewayPayment) -> str:
    return json.dumps(
        {
            "event": "payment.updated",
            "notification_id": str(uuid.uuid4()),
            "reference": payment.reference,
            "status": payment.status,
            "amount": payment.amount,
            "currency": payment.currency,
        },
        separators=(",", ":"),
    )


async def decide(
    uow: UnitOfWork, reference: str, action: str, settings: Settings, notify: str = ""
) -> GatewayPayment:
    """The buyer's choice on the hosted page; only a pending payment changes, and notifies exactly once.

    ``notify`` (the page's switch) overrides the payment's own switch, which overrides the gateway's setting.
    Deciding twice (a double tap, the back button) changes nothing and sends nothing more.
    """
    if action not in ACTIONS:
        raise ServiceError(N_("Choose pay, fail or cancel."), field="action")
    if notify not in ("", *NOTIFY_MODES):
        raise ServiceError(N_("Choose how the notification is sent."), field="notify")
    payment = await get_payment(uow, reference)
    if payment is None:
        raise NotFoundError()
    async with uow.scope():
        changed = (
            await SandboxPayment.update(
                {SandboxPayment.status: ACTIONS[action], SandboxPayment.decided_at: dt.datetime.now(dt.UTC)}
            )
            .where((SandboxPayment.reference == reference) & (SandboxPayment.status == "pending"))
            .returning(SandboxPayment.reference)
        )
    if changed:
        decided = (await get_payment(uow, reference)) or payment
        mode = cast(NotifyMode, notify or payment.notify or settings.sandbox_notify)
        async with uow.scope():  # the notifications commit with the decision, or not at all
            await _schedule_notifications(uow, decided, mode, settings)
        return decided
    return (await get_payment(uow, reference)) or payment


async def _schedule_notifications(
    uow: UnitOfWork, payment: GatewayPayment, mode: NotifyMode, settings: Settings
) -> None:
    if mode == "drop":
        return
    payload = {
        "reference": payment.reference,
        "notify_url": payment.notify_url,
        "body": notification_body(payment),
    }
    delay = dt.timedelta(seconds=settings.sandbox_notify_delay_seconds if mode == "delay" else 0)
    # A duplicate is the same notification (same id) delivered twice, as providers' retries are.
    for _ in range(2 if mode == "duplicate" else 1):
        await jobs.enqueue(uow, NOTIFY_JOB, payload, delay=delay)


class NotRefundable(ServiceError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(N_("Only a paid payment can be refunded."))


async def refund(uow: UnitOfWork, reference: str, data: object) -> dict[str, Any]:
    """Give back ``amount`` santim of a paid payment, in full or in part, under the merchant's
    ``refund_reference``: the same reference again is answered as the first time (asking twice refunds once).
    The payment is refunded when nothing of it is left. The answer is the payment with the refund's reference
    and amount."""
    payment = await get_payment(uow, reference)
    if payment is None:
        raise NotFoundError()
    fields = data if isinstance(data, dict) else {}
    amount, refund_reference = fields.get("amount"), fields.get("refund_reference")
    if not isinstance(refund_reference, str) or not REFERENCE.fullmatch(refund_reference):
        raise InvalidInput(
            {"refund_reference": N_("The reference must be 1 to 64 letters, digits, '-' or '_'.")}
        )
    made = await _made_refund(reference, refund_reference)
    if made is not None:
        return {**payment.as_json(), **made}
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise InvalidInput({"amount": N_("The amount must be a whole number of santim above zero.")})
    if payment.status != "paid":
        raise NotRefundable()
    if amount > payment.amount - payment.refunded:
        raise InvalidInput({"amount": N_("That is more than is left of the payment to refund.")})
    try:
        async with uow.savepoint():
            await SandboxRefund.insert(
                SandboxRefund(
                    id=uuid.uuid4(), reference=refund_reference, payment_reference=reference, amount=amount
                )
            ).run()
            changed = await SandboxPayment.raw(
                "UPDATE sandbox_payment SET refunded = refunded + {}, "
                "status = CASE WHEN refunded + {} = amount THEN 'refunded' ELSE status END "
                "WHERE reference = {} AND status = 'paid' AND refunded + {} <= amount RETURNING reference",
                amount,
                amount,
                reference,
                amount,
            )
            if not changed:  # another refund took what was left meanwhile
                raise InvalidInput({"amount": N_("That is more than is left of the payment to refund.")})
    except Exception as exc:
        if not db.is_unique_violation(exc):
            raise
        # The same refund reference at the same moment: the other request made it (and has committed it).
        made = await _made_refund(reference, refund_reference)
        if made is None:  # the reference is another payment's refund
            raise InvalidInput(
                {"refund_reference": N_("A refund with this reference exists already.")}
            ) from None
        return {**payment.as_json(), **made}
    payment = (await get_payment(uow, reference)) or payment
    return {**payment.as_json(), "refund_reference": refund_reference, "refund_amount": amount}


async def _made_refund(reference: str, refund_reference: str) -> dict[str, Any] | None:
    row = (
        await SandboxRefund.select(SandboxRefund.amount)
        .where((SandboxRefund.reference == refund_reference) & (SandboxRefund.payment_reference == reference))
        .first()
    )
    return (
        None if row is None else {"refund_reference": refund_reference, "refund_amount": int(row["amount"])}
    )


async def record_delivery(uow: UnitOfWork, reference: str) -> None:
    async with uow.scope():
        await SandboxPayment.update(
            {SandboxPayment.notifications_sent: SandboxPayment.notifications_sent + 1}
        ).where(SandboxPayment.reference == reference)

"""The payment provider protocol: what checkout, the webhook endpoint and reconciliation may rely on.

Every provider (the sandbox gateway, Chapa, telebirr, WeBirr) is one ``PaymentProvider`` with three calls:

``start_payment(request)``
    Ask the provider to collect ``request.amount`` santim for our unique ``request.reference``. Returns a
    ``StartedPayment``: a ``redirect_url`` to send the buyer to (hosted page) or a ``payment_code`` the buyer
    pays from a bank or wallet app (WeBirr), and the provider's own id (``provider_reference``), which the caller
    stores next to the reference. Starting is never retried automatically: a timeout leaves it unknown whether
    the provider created the payment, so the caller shows ``provider_timeout`` and the buyer retries (with a
    new reference or after ``query_payment`` says nothing exists).

``verify_notification(body, headers, query)``
    Check a provider callback: the signature over the raw request body bytes (constant-time), or the provider's
    static key where that is all it offers. Returns the ``Notification`` naming our reference. Raises
    ``PaymentError`` with ``notification_forged`` (bad or missing signature) or ``notification_malformed``
    (unreadable). A verified notification is still only a hint: the caller must confirm with
    ``query_payment`` and compare amount, currency and reference with its order before marking it paid.

``query_payment(reference, provider_reference="")``
    The provider's answer on one payment: ``PaymentState`` with status ``pending``, ``paid`` or ``failed``, the
    amount in integer santim, the currency and the reference. Safe to repeat (retried on transient errors).
    ``provider_reference`` is what ``start_payment`` returned; providers that can look a payment up by our
    reference alone ignore it.

``refund(request)`` (``RefundingProvider``, where the provider can give money back through its API: the sandbox
gateway and Chapa)
    Give ``request.amount`` santim of a paid payment back to the buyer. ``request.refund_reference`` is ours and
    names the refund: asking again with the same one (a double click, a retry after a timeout) refunds once.
    Returns a ``RefundResult``; a provider that refuses raises ``PaymentError`` (``provider_declined``).

Every failure is a ``PaymentError`` with a stable ``code`` (see ``ErrorCode``) and a translatable ``message``
(msgid), so a page can show ``gettext(error.message)`` and a log or metric can use ``error.code``. Amounts are
integer santim everywhere (1 birr = 100 santim); adapters convert to the provider's decimal strings and back
exactly, refusing fractions of a santim.

Adapters are built from settings by ``windsurf.payments.providers.registry.build_providers``; they hold one
HTTP client each, closed by ``aclose()``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol, runtime_checkable

from windsurf.core.errors import ServiceError
from windsurf.core.i18n import N_


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"  # failed, cancelled, expired or reversed: the order will not be paid by this payment


class ErrorCode(enum.StrEnum):
    PROVIDER_UNAVAILABLE = "provider_unavailable"  # connection refused or reset, 5xx (after retries if safe)
    PROVIDER_TIMEOUT = "provider_timeout"  # no answer in time; the outcome of an unsafe call is unknown
    PROVIDER_DECLINED = "provider_declined"  # the provider refused this payment (business error)
    PROVIDER_MISCONFIGURED = "provider_misconfigured"  # our keys are missing or refused (401/403)
    PROVIDER_BAD_RESPONSE = "provider_bad_response"  # an answer we cannot read
    DUPLICATE_REFERENCE = "duplicate_reference"  # the provider already has a payment with this reference
    PAYMENT_NOT_FOUND = "payment_not_found"  # the provider knows no payment with this reference
    NOTIFICATION_FORGED = "notification_forged"  # missing or wrong signature / key
    NOTIFICATION_MALFORMED = "notification_malformed"  # signed (or keyed) but unreadable


# What a buyer (or the staff log) reads for each code; HTTP status for when the error reaches a response as is.
ERROR_MESSAGES: dict[ErrorCode, tuple[str, int]] = {
    ErrorCode.PROVIDER_UNAVAILABLE: (
        N_(
            "The payment service is not answering right now. Nothing was charged; please try again in a minute."
        ),
        503,
    ),
    ErrorCode.PROVIDER_TIMEOUT: (
        N_("The payment service took too long to answer. Please try again; you will not be charged twice."),
        504,
    ),
    ErrorCode.PROVIDER_DECLINED: (
        N_("The payment service declined this payment. Check your details or choose another payment method."),
        402,
    ),
    ErrorCode.PROVIDER_MISCONFIGURED: (
        N_("This payment method is not available at the moment. Please choose another one."),
        503,
    ),
    ErrorCode.PROVIDER_BAD_RESPONSE: (
        N_("The payment service sent an answer we could not read. Please try again in a minute."),
        502,
    ),
    ErrorCode.DUPLICATE_REFERENCE: (
        N_("This payment was already started. Please go back to your order and try again."),
        409,
    ),
    ErrorCode.PAYMENT_NOT_FOUND: (N_("The payment service does not know this payment."), 404),
    ErrorCode.NOTIFICATION_FORGED: (N_("The payment notification could not be verified."), 400),
    ErrorCode.NOTIFICATION_MALFORMED: (N_("The payment notification could not be read."), 400),
}


class PaymentError(ServiceError):
    """A provider call failed; ``code`` says how, ``message`` is the msgid to show, ``detail`` is for logs."""

    def __init__(self, code: ErrorCode, provider: str, detail: str = "") -> None:
        message, status = ERROR_MESSAGES[code]
        super().__init__(message)
        self.code = code
        self.provider = provider
        self.detail = detail[:500]
        self.status_code = status

    def __str__(self) -> str:
        return f"{self.provider}: {self.code}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class PaymentRequest:
    reference: str  # ours, unique per attempt: letters, digits, '-' and '_', at most 50 characters
    amount: int  # santim, > 0
    currency: str  # "ETB" (Chapa also takes "USD")
    description: str  # shown to the buyer on the provider's page
    return_url: str  # where the provider sends the buyer back
    notify_url: str  # where the provider posts its notification
    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""  # E.164 (+2519...); adapters convert to the provider's form
    locale: str = "am"


@dataclass(frozen=True)
class StartedPayment:
    provider: str
    reference: str
    provider_reference: str  # the provider's id for it (Chapa: tx_ref, telebirr: prepay_id, WeBirr: code)
    redirect_url: str | None = None  # send the buyer here (hosted payment page)...
    payment_code: str | None = None  # ...or show this code to pay from any bank or wallet app


@dataclass(frozen=True)
class PaymentState:
    provider: str
    reference: str
    status: PaymentStatus
    amount: int  # santim
    currency: str
    provider_reference: str = ""


@dataclass(frozen=True)
class Notification:
    """A verified callback: authentic, but only a hint. Confirm with ``query_payment`` before acting."""

    provider: str
    reference: str
    provider_reference: str = ""


@runtime_checkable
class PaymentProvider(Protocol):
    name: str

    async def start_payment(self, request: PaymentRequest) -> StartedPayment: ...

    async def verify_notification(
        self, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Notification: ...

    async def query_payment(self, reference: str, provider_reference: str = "") -> PaymentState: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class RefundRequest:
    reference: str  # ours, of the payment being refunded
    refund_reference: str  # ours, unique per refund: repeating it never refunds twice
    amount: int  # santim, > 0, at most what was paid
    currency: str
    reason: str = ""


@dataclass(frozen=True)
class RefundResult:
    provider: str
    reference: str
    refund_reference: str
    provider_reference: str = ""  # the provider's id for the refund, when it gives one


@runtime_checkable
class RefundingProvider(Protocol):
    """A provider whose API gives a paid payment back to the buyer (telebirr and WeBirr refunds go by hand)."""

    name: str

    async def refund(self, request: RefundRequest) -> RefundResult: ...


def santim_to_decimal(santim: int) -> str:
    """12345 -> '123.45': the birr amount providers expect."""
    if santim < 0:
        raise ValueError("amounts are never negative")
    return f"{santim // 100}.{santim % 100:02d}"


def decimal_to_santim(value: object, provider: str) -> int:
    """'123.45' (or 123.45 as JSON gave it) -> 12345; a fraction of a santim is a bad answer, not rounded."""
    try:
        amount = Decimal(str(value)) * 100
    except (InvalidOperation, ValueError):
        raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, provider, f"amount {value!r}") from None
    if not amount.is_finite() or amount != amount.to_integral_value() or amount < 0:
        raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, provider, f"amount {value!r}")
    return int(amount)

"""Chapa: hosted checkout for telebirr, CBE Birr, M-Pesa, bank apps and cards, through one contract.

Initialize (``POST /v1/transaction/initialize``) returns ``data.checkout_url``; verify
(``GET /v1/transaction/verify/{tx_ref}``) reports the status. Our reference is Chapa's ``tx_ref``. Webhooks
carry ``x-chapa-signature``: the hex HMAC-SHA256 of the raw request body keyed with the webhook secret, checked
on the bytes as received (re-serialising the JSON would change them). Payouts go through the transfers API
(``transfer``), which the ledger calls. Refunds: ``POST /v1/refund/{tx_ref}`` with ``reason``, ``amount`` and our
``reference`` for the refund (Chapa refuses a second refund of a refunded transaction; the same reference again is
answered as the first time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

import phonenumbers

from windsurf.payments.providers.base import (
    ErrorCode,
    Notification,
    PaymentError,
    PaymentRequest,
    PaymentState,
    PaymentStatus,
    RefundRequest,
    RefundResult,
    StartedPayment,
    decimal_to_santim,
    santim_to_decimal,
)
from windsurf.payments.providers.http import ProviderHttp
from windsurf.payments.providers.signing import hmac_matches

NAME = "chapa"
_STATUS = {"success": PaymentStatus.PAID, "pending": PaymentStatus.PENDING}
_TITLE_CHARS = re.compile(r"[^A-Za-z0-9 ._-]")


def local_phone(e164: str) -> str:
    """'+251911234567' -> '0911234567': Chapa takes Ethiopian mobiles in the 10-digit local form."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ET")
    except phonenumbers.NumberParseException:
        return ""
    if number.country_code != 251 or not phonenumbers.is_valid_number(number):
        return ""
    return "0" + str(number.national_number)


@dataclass(frozen=True)
class Transfer:
    reference: str  # ours, unique per payout
    amount: int  # santim
    account_name: str
    account_number: str  # bank account, or the telebirr / M-Pesa number for wallets
    bank_code: str  # from Chapa's /v1/banks
    currency: str = "ETB"


@dataclass(frozen=True)
class TransferResult:
    reference: str
    status: str  # "queued" when Chapa accepted it; its outcome comes from transfer_status
    message: str


class ChapaProvider:
    name = NAME

    def __init__(self, http: ProviderHttp, secret_key: str, webhook_secret: str) -> None:
        self.http = http
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret

    def _auth(self) -> dict[str, str]:
        if not self._secret_key:
            raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, NAME, "WINDSURF_CHAPA_SECRET_KEY is not set")
        return {"Authorization": f"Bearer {self._secret_key}"}

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        first, _, last = request.customer_name.strip().partition(" ")
        body = {
            "amount": santim_to_decimal(request.amount),
            "currency": request.currency,
            "email": request.customer_email,
            "first_name": first,
            "last_name": last,
            "phone_number": local_phone(request.customer_phone),
            "tx_ref": request.reference,
            "callback_url": request.notify_url,
            "return_url": request.return_url,
            # Chapa limits the title to 16 characters and both to letters, digits and a little punctuation.
            "customization": {
                "title": _TITLE_CHARS.sub("", request.description)[:16] or "Payment",
                "description": _TITLE_CHARS.sub("", request.description)[:100] or "Payment",
            },
        }
        response = await self.http.request(
            "POST", "/v1/transaction/initialize", safe=False, json_body=body, headers=self._auth()
        )
        data = self.http.json_of(response)
        checkout = data.get("data") if isinstance(data.get("data"), dict) else {}
        url = checkout.get("checkout_url") if isinstance(checkout, dict) else None
        if response.status_code == 200 and data.get("status") == "success" and isinstance(url, str) and url:
            return StartedPayment(NAME, request.reference, request.reference, redirect_url=url)
        message = _message(data)
        if response.is_success:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, f"initialize: {message}")
        if "tx_ref" in message.lower() or "reference" in message.lower():
            raise PaymentError(ErrorCode.DUPLICATE_REFERENCE, NAME, message)
        raise PaymentError(ErrorCode.PROVIDER_DECLINED, NAME, message)

    async def verify_notification(
        self, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Notification:
        signature = _header(headers, "x-chapa-signature")
        if (
            not self._webhook_secret
            or not signature
            or not hmac_matches(self._webhook_secret, body, signature)
        ):
            raise PaymentError(ErrorCode.NOTIFICATION_FORGED, NAME, "x-chapa-signature does not match")
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        reference = data.get("tx_ref") if isinstance(data, dict) else None
        if not isinstance(reference, str) or not reference:
            raise PaymentError(ErrorCode.NOTIFICATION_MALFORMED, NAME, "no tx_ref")
        chapa_reference = data.get("reference") if isinstance(data, dict) else ""
        return Notification(NAME, reference, chapa_reference if isinstance(chapa_reference, str) else "")

    async def query_payment(self, reference: str, provider_reference: str = "") -> PaymentState:
        response = await self.http.request(
            "GET", f"/v1/transaction/verify/{quote(reference, safe='')}", safe=True, headers=self._auth()
        )
        data = self.http.json_of(response)
        if response.status_code in {400, 404}:
            raise PaymentError(ErrorCode.PAYMENT_NOT_FOUND, NAME, _message(data))
        payment = data.get("data")
        if response.status_code != 200 or not isinstance(payment, dict):
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, f"verify: {_message(data)}")
        if payment.get("tx_ref", reference) != reference:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "verify answered for another tx_ref")
        status = _STATUS.get(str(payment.get("status", "")).lower(), PaymentStatus.FAILED)
        return PaymentState(
            provider=NAME,
            reference=reference,
            status=status,
            amount=decimal_to_santim(payment.get("amount"), NAME),
            currency=str(payment.get("currency", "")),
            provider_reference=str(payment.get("reference") or ""),
        )

    async def refund(self, request: RefundRequest) -> RefundResult:
        response = await self.http.request(
            "POST",
            f"/v1/refund/{quote(request.reference, safe='')}",
            safe=False,  # money moves: a timeout is reported, and the caller repeats with the same reference
            json_body={
                "reason": request.reason[:200] or "refund",
                "amount": santim_to_decimal(request.amount),
                "reference": request.refund_reference,
            },
            headers=self._auth(),
        )
        data = self.http.json_of(response)
        if response.status_code == 404:
            raise PaymentError(ErrorCode.PAYMENT_NOT_FOUND, NAME, _message(data))
        if response.is_success and data.get("status") == "success":
            refund = data.get("data")
            chapa_reference = refund.get("ref_id", "") if isinstance(refund, dict) else ""
            return RefundResult(NAME, request.reference, request.refund_reference, str(chapa_reference or ""))
        if response.is_success:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, f"refund: {_message(data)}")
        raise PaymentError(ErrorCode.PROVIDER_DECLINED, NAME, _message(data))

    async def transfer(self, transfer: Transfer) -> TransferResult:
        """Send a payout; never retried here (a timeout leaves it unknown: check ``transfer_status``)."""
        body = {
            "account_name": transfer.account_name,
            "account_number": transfer.account_number,
            "amount": santim_to_decimal(transfer.amount),
            "currency": transfer.currency,
            "reference": transfer.reference,
            "bank_code": transfer.bank_code,
        }
        response = await self.http.request(
            "POST", "/v1/transfers", safe=False, json_body=body, headers=self._auth()
        )
        data = self.http.json_of(response)
        if response.is_success and data.get("status") == "success":
            return TransferResult(transfer.reference, "queued", _message(data))
        if response.is_success:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, f"transfer: {_message(data)}")
        raise PaymentError(ErrorCode.PROVIDER_DECLINED, NAME, _message(data))

    async def transfer_status(self, reference: str) -> str:
        """Chapa's status word for a transfer ('success', 'pending', 'failed', ...); safe to repeat."""
        response = await self.http.request(
            "GET", f"/v1/transfers/verify/{quote(reference, safe='')}", safe=True, headers=self._auth()
        )
        data = self.http.json_of(response)
        payload = data.get("data")
        if response.status_code in {400, 404}:
            raise PaymentError(ErrorCode.PAYMENT_NOT_FOUND, NAME, _message(data))
        if not response.is_success or not isinstance(payload, dict):
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, f"transfer verify: {_message(data)}")
        return str(payload.get("status", "")).lower()

    async def aclose(self) -> None:
        await self.http.aclose()


def _message(data: dict[str, object]) -> str:
    message = data.get("message")
    if isinstance(message, dict):  # validation errors come as {field: [messages]}
        return "; ".join(f"{key}: {value}" for key, value in message.items())
    return str(message or "")


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""

"""The client of the sandbox gateway (windsurf.payments.sandbox.api), spoken over HTTP like any real provider.

Protocol (all under the gateway's base URL, ``WINDSURF_SANDBOX_URL``, default ``<public_url>/sandbox-pay``):

- ``POST /api/payments`` with ``Authorization: Bearer <sandbox secret>`` and JSON ``{reference, amount (santim),
  currency, description, return_url, notify_url, notify?}`` -> 201 ``{reference, status, amount, currency,
  payment_url}``; 409 when the reference exists; 422 when the payment is not acceptable.
- ``GET /api/payments/{reference}`` (same key) -> ``{reference, status, amount, currency}``; status is
  ``pending``, ``paid``, ``failed`` or ``cancelled``.
- ``POST /api/payments/{reference}/decision`` (same key) with ``{action: pay|fail|cancel, notify?}``: what the
  buyer's click on the hosted page does, for scripts (tests, benchmarks), as providers' test modes offer.
- ``POST /api/payments/{reference}/refund`` (same key) with ``{amount, refund_reference, reason?}``: gives a paid
  payment back in full -> 200 ``{reference, status: "refunded", ...}``; asking again for a refunded payment answers
  the same (idempotent); 409 when the payment is not paid, 422 when the amount is not the amount paid.
- Notifications: ``POST notify_url`` with JSON ``{event, notification_id, reference, status, amount, currency}``
  and ``X-Sandbox-Signature``: hex HMAC-SHA256 of the raw body keyed with the sandbox secret.

``notify`` (per payment: ``deliver``, ``delay``, ``duplicate``, ``drop``) lets a test or demo exercise the
paths real providers take: late, repeated and missing notifications.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import quote

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
)
from windsurf.payments.providers.http import ProviderHttp
from windsurf.payments.providers.signing import hmac_matches

NAME = "sandbox"
SIGNATURE_HEADER = "x-sandbox-signature"
_STATUS = {"pending": PaymentStatus.PENDING, "paid": PaymentStatus.PAID}


class SandboxProvider:
    name = NAME

    def __init__(self, http: ProviderHttp, secret: str, *, notify: str | None = None) -> None:
        self.http = http
        self._secret = secret
        self._notify = notify  # None: the gateway's default (WINDSURF_SANDBOX_NOTIFY)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._secret}"}

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        body: dict[str, object] = {
            "reference": request.reference,
            "amount": request.amount,
            "currency": request.currency,
            "description": request.description,
            "return_url": request.return_url,
            "notify_url": request.notify_url,
        }
        if self._notify:
            body["notify"] = self._notify
        response = await self.http.request(
            "POST", "/api/payments", safe=False, json_body=body, headers=self._auth()
        )
        data = self.http.json_of(response)
        if response.status_code == 409:
            raise PaymentError(ErrorCode.DUPLICATE_REFERENCE, NAME, str(data.get("detail", "")))
        if response.status_code != 201:
            raise PaymentError(
                ErrorCode.PROVIDER_DECLINED, NAME, f"{response.status_code}: {data.get('detail', '')}"
            )
        url = data.get("payment_url")
        if not isinstance(url, str) or not url:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "no payment_url")
        return StartedPayment(NAME, request.reference, request.reference, redirect_url=url)

    async def verify_notification(
        self, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Notification:
        signature = next((value for key, value in headers.items() if key.lower() == SIGNATURE_HEADER), "")
        if not signature or not hmac_matches(self._secret, body, signature):
            raise PaymentError(ErrorCode.NOTIFICATION_FORGED, NAME, f"{SIGNATURE_HEADER} does not match")
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        reference = data.get("reference") if isinstance(data, dict) else None
        if not isinstance(reference, str) or not reference:
            raise PaymentError(ErrorCode.NOTIFICATION_MALFORMED, NAME, "no reference")
        return Notification(NAME, reference, reference)

    async def query_payment(self, reference: str, provider_reference: str = "") -> PaymentState:
        response = await self.http.request(
            "GET", f"/api/payments/{quote(reference, safe='')}", safe=True, headers=self._auth()
        )
        data = self.http.json_of(response)
        if response.status_code == 404:
            raise PaymentError(ErrorCode.PAYMENT_NOT_FOUND, NAME, reference)
        amount = data.get("amount")
        if response.status_code != 200 or data.get("reference") != reference or not isinstance(amount, int):
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, f"status {response.status_code}")
        return PaymentState(
            provider=NAME,
            reference=reference,
            status=_STATUS.get(str(data.get("status")), PaymentStatus.FAILED),
            amount=amount,
            currency=str(data.get("currency", "")),
            provider_reference=reference,
        )

    async def refund(self, request: RefundRequest) -> RefundResult:
        response = await self.http.request(
            "POST",
            f"/api/payments/{quote(request.reference, safe='')}/refund",
            safe=True,  # the gateway refunds a payment once, however often it is asked
            json_body={
                "amount": request.amount,
                "refund_reference": request.refund_reference,
                "reason": request.reason[:200],
            },
            headers=self._auth(),
        )
        data = self.http.json_of(response)
        if response.status_code == 404:
            raise PaymentError(ErrorCode.PAYMENT_NOT_FOUND, NAME, request.reference)
        if response.status_code != 200:
            raise PaymentError(
                ErrorCode.PROVIDER_DECLINED, NAME, f"{response.status_code}: {data.get('detail', '')}"
            )
        answered = (data.get("reference"), data.get("refund_reference"), data.get("refund_amount"))
        if answered != (request.reference, request.refund_reference, request.amount):
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "refund answered for something else")
        return RefundResult(NAME, request.reference, request.refund_reference, request.refund_reference)

    async def aclose(self) -> None:
        await self.http.aclose()

"""WeBirr: a bill with a payment code the buyer pays from any bank or wallet app.

``POST /einvoice/api/bill`` (our reference is the ``billReference``) answers with the payment code in ``res``.
The status comes from ``GET /einvoice/api/paymentStatus?wbc_code=`` (``status`` 0 pending, 1 in progress, 2 paid,
3 reversed); the bill itself (amount, code) from ``GET /einvoice/api/bill?bill_reference=``. Keys travel in the
query string (``api_key``, ``merchant_id``), as WeBirr's API wants.

Business errors arrive as HTTP 200 with ``error`` and ``errorCode`` set (e.g. ``ERROR_INVALID_INPUT_DUP_REF``).
The webhook is authenticated only by a static ``authKey`` in its query string, so a notification proves little:
it is turned into our reference through the bill lookup, and the caller confirms the status with a query.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Mapping
from typing import Any

from windsurf.core.i18n import ADDIS_ABABA
from windsurf.payments.providers.base import (
    ErrorCode,
    Notification,
    PaymentError,
    PaymentRequest,
    PaymentState,
    PaymentStatus,
    StartedPayment,
    decimal_to_santim,
    santim_to_decimal,
)
from windsurf.payments.providers.http import ProviderHttp

NAME = "webirr"
_STATUS = {2: PaymentStatus.PAID, 0: PaymentStatus.PENDING, 1: PaymentStatus.PENDING}
_NOT_FOUND = {"ERROR_BILL_NOT_FOUND", "ERROR_NOT_FOUND", "ERROR_INVALID_WBC_CODE"}


class WebirrProvider:
    name = NAME

    def __init__(self, http: ProviderHttp, *, api_key: str, merchant_id: str, webhook_key: str) -> None:
        self.http = http
        self._api_key = api_key
        self._merchant_id = merchant_id
        self._webhook_key = webhook_key

    def _keys(self, **params: str) -> dict[str, str]:
        if not self._api_key or not self._merchant_id:
            raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, NAME, "WeBirr keys are not set")
        return {"api_key": self._api_key, "merchant_id": self._merchant_id, **params}

    async def _call(
        self, method: str, path: str, *, safe: bool, params: dict[str, str], body: Any = None
    ) -> Any:
        response = await self.http.request(method, path, safe=safe, params=params, json_body=body)
        data = self.http.json_of(response)
        error, code = data.get("error"), str(data.get("errorCode") or "")
        if error or code:
            if code == "ERROR_INVALID_INPUT_DUP_REF":
                raise PaymentError(ErrorCode.DUPLICATE_REFERENCE, NAME, f"{code}: {error}")
            if code in _NOT_FOUND:
                raise PaymentError(ErrorCode.PAYMENT_NOT_FOUND, NAME, f"{code}: {error}")
            if "API_KEY" in code or "UNAUTHORIZED" in code or "MERCHANT" in code:
                raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, NAME, f"{code}: {error}")
            raise PaymentError(ErrorCode.PROVIDER_DECLINED, NAME, f"{code}: {error}")
        if not response.is_success:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, f"{path}: {response.status_code}")
        return data.get("res")

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        bill = {
            "amount": santim_to_decimal(request.amount),
            "customerCode": request.customer_phone or request.customer_email or request.reference,
            "customerName": request.customer_name or request.customer_phone or request.customer_email,
            "customerPhone": request.customer_phone,
            "time": dt.datetime.now(ADDIS_ABABA).strftime("%Y-%m-%d %H:%M:%S"),
            "description": request.description[:200],
            "billReference": request.reference,
            "merchantID": self._merchant_id,
            "extras": {},
        }
        code = await self._call("POST", "/einvoice/api/bill", safe=False, params=self._keys(), body=bill)
        if not isinstance(code, str) or not code.strip():
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "bill created without a payment code")
        return StartedPayment(NAME, request.reference, code.strip(), payment_code=code.strip())

    async def verify_notification(
        self, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Notification:
        key = query.get("authKey", "")
        if not self._webhook_key or not hmac.compare_digest(key.encode(), self._webhook_key.encode()):
            raise PaymentError(ErrorCode.NOTIFICATION_FORGED, NAME, "authKey does not match")
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        payment = data.get("data") if isinstance(data, dict) else None
        code = payment.get("wbcCode") if isinstance(payment, dict) else None
        if not isinstance(code, str) or not code:
            raise PaymentError(ErrorCode.NOTIFICATION_MALFORMED, NAME, "no data.wbcCode")
        # The payload names only WeBirr's code: our reference comes from WeBirr itself, not from the caller.
        bill = await self._call("GET", "/einvoice/api/bill", safe=True, params=self._keys(wbc_code=code))
        reference = bill.get("billReference") if isinstance(bill, dict) else None
        if not isinstance(reference, str) or not reference:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "bill without billReference")
        return Notification(NAME, reference, code)

    async def query_payment(self, reference: str, provider_reference: str = "") -> PaymentState:
        bill = await self._call(
            "GET", "/einvoice/api/bill", safe=True, params=self._keys(bill_reference=reference)
        )
        if not isinstance(bill, dict) or bill.get("billReference", reference) != reference:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "bill lookup answered for another bill")
        code = str(bill.get("wbcCode") or bill.get("paymentCode") or provider_reference)
        payment = await self._call(
            "GET", "/einvoice/api/paymentStatus", safe=True, params=self._keys(wbc_code=code)
        )
        if not isinstance(payment, dict):
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "paymentStatus without res")
        try:
            raw_status = int(payment.get("status", 0))
        except (TypeError, ValueError):
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "status is not a number") from None
        status = _STATUS.get(raw_status, PaymentStatus.FAILED)
        # Once paid, the amount is what the buyer paid; before that, what the bill asks.
        amount = (
            payment.get("amount")
            if status is PaymentStatus.PAID and payment.get("amount")
            else bill.get("amount")
        )
        return PaymentState(
            provider=NAME,
            reference=reference,
            status=status,
            amount=decimal_to_santim(amount, NAME),
            currency="ETB",  # WeBirr bills are in birr only
            provider_reference=code,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

"""telebirr through its Fabric (SuperApp) API: token, signed preOrder, pay gate redirect, signed notify, queryOrder.

1. ``POST /payment/v1/token`` (``X-APP-Key``: the fabric app id, body ``appSecret``) gives a token, cached until
   shortly before it expires. Safe to repeat.
2. ``POST /payment/v1/merchant/preOrder`` with ``method=payment.preorder`` and biz_content (our reference is
   ``merch_order_id``, the amount ``total_amount`` in birr), signed with our RSA private key over the sorted,
   flattened parameters (see ``signing.telebirr_sign_string``); returns ``prepay_id``. Not repeated.
3. The buyer goes to the pay gate with ``rawRequest`` (appid, merch_code, nonce_str, prepay_id, timestamp,
   signed the same way).
4. The notify callback is a JSON body whose ``sign`` is checked with telebirr's public key over the same
   canonical string, built from the values exactly as received (numbers keep their textual form).
5. ``POST /payment/v1/merchant/queryOrder`` (``method=payment.queryorder``) when a notification is missing.

Business errors come back as ``result: FAIL`` with a ``code`` and ``msg``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric import rsa

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
from windsurf.payments.providers.signing import (
    load_private_key,
    load_public_key,
    rsa_sign,
    rsa_verify,
    telebirr_sign_string,
)

NAME = "telebirr"
SIGN_TYPE = "SHA256WithRSA"
_PAID = {"PAY_SUCCESS", "COMPLETED", "SUCCESS"}
_PENDING = {"WAIT_PAY", "PAYING", "ACCEPTED", "PENDING"}
# Codes telebirr uses for refusing our credentials rather than the payment.
_AUTH_CODES = {"401", "403", "40001", "40002", "40003"}


class TelebirrProvider:
    name = NAME

    def __init__(
        self,
        http: ProviderHttp,
        *,
        web_base_url: str,
        fabric_app_id: str,
        app_secret: str,
        merchant_app_id: str,
        merchant_code: str,
        private_key_pem: str,
        public_key_pem: str,
    ) -> None:
        self.http = http
        self._web_base_url = web_base_url
        self._fabric_app_id = fabric_app_id
        self._app_secret = app_secret
        self._merchant_app_id = merchant_app_id
        self._merchant_code = merchant_code
        self._private_key_pem = private_key_pem
        self._public_key_pem = public_key_pem
        self._token: str = ""
        self._token_expires = 0.0

    # -- keys and token -------------------------------------------------------------------------------------

    def _private_key(self) -> rsa.RSAPrivateKey:
        if not (self._fabric_app_id and self._app_secret and self._merchant_code and self._private_key_pem):
            raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, NAME, "telebirr settings are incomplete")
        try:
            return load_private_key(self._private_key_pem)
        except ValueError as exc:
            raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, NAME, f"private key: {exc}") from None

    def _public_key(self) -> rsa.RSAPublicKey:
        try:
            return load_public_key(self._public_key_pem)
        except ValueError as exc:
            raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, NAME, f"public key: {exc}") from None

    async def _token_header(self) -> str:
        if self._token and time.monotonic() < self._token_expires:
            return self._token
        response = await self.http.request(
            "POST",
            "/payment/v1/token",
            safe=True,
            json_body={"appSecret": self._app_secret},
            headers={"X-APP-Key": self._fabric_app_id},
        )
        data = self.http.json_of(response)
        token = data.get("token")
        if not response.is_success or not isinstance(token, str) or not token:
            raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, NAME, f"token: {_error(data)}")
        self._token = token
        self._token_expires = time.monotonic() + _token_lifetime(data)
        return token

    def _signed(self, method: str, biz_content: dict[str, str]) -> dict[str, Any]:
        key = self._private_key()
        params: dict[str, Any] = {
            "timestamp": str(int(time.time())),
            "nonce_str": secrets.token_hex(16),
            "method": method,
            "version": "1.0",
            "biz_content": biz_content,
        }
        params["sign"] = rsa_sign(key, telebirr_sign_string(params))
        params["sign_type"] = SIGN_TYPE
        return params

    async def _call(self, path: str, params: dict[str, Any], *, safe: bool) -> dict[str, Any]:
        token = await self._token_header()
        response = await self.http.request(
            "POST",
            path,
            safe=safe,
            json_body=params,
            headers={"X-APP-Key": self._fabric_app_id, "Authorization": token},
        )
        data = self.http.json_of(response)
        if str(data.get("result", "")).upper() != "SUCCESS":
            code = str(data.get("code", ""))
            if code in _AUTH_CODES:
                self._token = ""  # a refused token is fetched anew next time
                raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, NAME, _error(data))
            if not response.is_success and "result" not in data:
                raise PaymentError(
                    ErrorCode.PROVIDER_BAD_RESPONSE, NAME, f"{response.status_code}: {_error(data)}"
                )
            raise PaymentError(ErrorCode.PROVIDER_DECLINED, NAME, _error(data))
        biz = data.get("biz_content")
        if not isinstance(biz, dict):
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "no biz_content")
        return biz

    # -- the protocol ---------------------------------------------------------------------------------------

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        biz = {
            "notify_url": request.notify_url,
            "appid": self._merchant_app_id,
            "merch_code": self._merchant_code,
            "merch_order_id": request.reference,
            "trade_type": "Checkout",
            "title": request.description[:128],
            "total_amount": santim_to_decimal(request.amount),
            "trans_currency": request.currency,
            "timeout_express": "120m",
            "business_type": "BuyGoods",
            "redirect_url": request.return_url,
            "callback_info": request.reference,
        }
        result = await self._call(
            "/payment/v1/merchant/preOrder", self._signed("payment.preorder", biz), safe=False
        )
        prepay_id = result.get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "preOrder without prepay_id")
        return StartedPayment(NAME, request.reference, prepay_id, redirect_url=self.pay_gate_url(prepay_id))

    def pay_gate_url(self, prepay_id: str) -> str:
        """The pay gate address with ``rawRequest``: the prepay id and our signature over it."""
        params = {
            "appid": self._merchant_app_id,
            "merch_code": self._merchant_code,
            "nonce_str": secrets.token_hex(16),
            "prepay_id": prepay_id,
            "timestamp": str(int(time.time())),
        }
        sign = rsa_sign(self._private_key(), telebirr_sign_string(params))
        raw = "&".join(f"{key}={quote(value, safe='')}" for key, value in params.items())
        raw += f"&sign={quote(sign, safe='')}&sign_type={SIGN_TYPE}"
        return f"{self._web_base_url}{raw}&version=1.0&trade_type=Checkout"

    async def verify_notification(
        self, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Notification:
        try:
            # Numbers keep the text telebirr sent ("10.00", not 10.0): the signature covers that text.
            data = json.loads(body, parse_float=str, parse_int=str)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("sign"), str):
            raise PaymentError(ErrorCode.NOTIFICATION_FORGED, NAME, "no sign in the notification")
        if not rsa_verify(self._public_key(), telebirr_sign_string(data), data["sign"]):
            raise PaymentError(ErrorCode.NOTIFICATION_FORGED, NAME, "sign does not verify")
        reference = data.get("merch_order_id")
        if not isinstance(reference, str) or not reference:
            raise PaymentError(ErrorCode.NOTIFICATION_MALFORMED, NAME, "no merch_order_id")
        return Notification(NAME, reference, str(data.get("payment_order_id") or ""))

    async def query_payment(self, reference: str, provider_reference: str = "") -> PaymentState:
        biz = {"appid": self._merchant_app_id, "merch_code": self._merchant_code, "merch_order_id": reference}
        try:
            result = await self._call(
                "/payment/v1/merchant/queryOrder", self._signed("payment.queryorder", biz), safe=True
            )
        except PaymentError as error:
            if error.code is ErrorCode.PROVIDER_DECLINED:  # telebirr's answer for an order it does not know
                raise PaymentError(ErrorCode.PAYMENT_NOT_FOUND, NAME, error.detail) from None
            raise
        if result.get("merch_order_id", reference) != reference:
            raise PaymentError(ErrorCode.PROVIDER_BAD_RESPONSE, NAME, "queryOrder answered for another order")
        state = str(result.get("order_status", "")).upper()
        status = (
            PaymentStatus.PAID
            if state in _PAID
            else PaymentStatus.PENDING
            if state in _PENDING
            else PaymentStatus.FAILED
        )
        return PaymentState(
            provider=NAME,
            reference=reference,
            status=status,
            amount=decimal_to_santim(result.get("total_amount"), NAME),
            currency=str(result.get("trans_currency", "ETB")),
            provider_reference=str(result.get("payment_order_id") or provider_reference),
        )

    async def aclose(self) -> None:
        await self.http.aclose()


def _error(data: Mapping[str, Any]) -> str:
    return f"{data.get('code', '')} {data.get('msg', data.get('errorMsg', ''))}".strip()


def _token_lifetime(data: Mapping[str, Any]) -> float:
    """Seconds to keep a token: until a minute before ``expirationDate`` (yyyyMMddHHmmss), at most an hour."""
    try:
        expires = dt.datetime.strptime(str(data.get("expirationDate")), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
        effective = dt.datetime.strptime(str(data.get("effectiveDate")), "%Y%m%d%H%M%S").replace(
            tzinfo=dt.UTC
        )
    except ValueError:
        return 300.0
    return max(0.0, min((expires - effective).total_seconds() - 60, 3600.0))

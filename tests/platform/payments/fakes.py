"""Fake Chapa, telebirr and WeBirr servers: each provider's protocol and signature math, on a loopback server.

They check what a real provider checks (keys, signatures, duplicate references) and keep the payments they
were asked for, so the adapters are tested against behaviour rather than canned answers. ``fail_next`` queues
status codes to answer before the real answer (transient errors); ``stall`` makes a path never answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.platform.payments.loopback import LoopbackServer, Recorded, Reply


@dataclass
class Faults:
    fail_next: dict[str, list[int]] = field(
        default_factory=dict
    )  # path -> statuses to answer first (0: hang up)
    stall: set[str] = field(default_factory=set)  # paths that never answer

    async def intercept(self, server: LoopbackServer, request: Recorded) -> Reply | None:
        if request.path in self.stall:
            await server.never.wait()
        queued = self.fail_next.get(request.path)
        if queued:
            return Reply(queued.pop(0), {"message": "upstream unavailable"})
        return None


# -- Chapa ------------------------------------------------------------------------------------------------


class FakeChapa:
    SECRET = "CHASECK_TEST-" + "k" * 32
    WEBHOOK_SECRET = "chapa-webhook-secret-hash"

    def __init__(self) -> None:
        self.transactions: dict[str, dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.faults = Faults()
        self.server = LoopbackServer(self.handle)

    async def handle(self, request: Recorded) -> Reply:
        faulty = await self.faults.intercept(self.server, request)
        if faulty:
            return faulty
        if request.headers.get("authorization") != f"Bearer {self.SECRET}":
            return Reply(
                401, {"message": "Invalid API Key or User doesn't exist", "status": "failed", "data": None}
            )
        if request.method == "POST" and request.path == "/v1/transaction/initialize":
            body = request.json()
            if body["tx_ref"] in self.transactions:
                return Reply(
                    400, {"message": "Transaction reference has been used before", "status": "failed"}
                )
            if Decimal(body["amount"]) <= 0:
                return Reply(
                    400, {"message": {"amount": ["The amount must be at least 1."]}, "status": "failed"}
                )
            self.transactions[body["tx_ref"]] = {
                **body,
                "status": "pending",
                "reference": "AP" + secrets.token_hex(5),
            }
            url = f"https://checkout.chapa.co/checkout/payment/{secrets.token_urlsafe(12)}"
            return Reply(200, {"message": "Hosted Link", "status": "success", "data": {"checkout_url": url}})
        if request.method == "GET" and request.path.startswith("/v1/transaction/verify/"):
            tx = self.transactions.get(request.path.rsplit("/", 1)[-1])
            if tx is None:
                return Reply(
                    404, {"message": "Invalid transaction or Transaction not found", "status": "failed"}
                )
            data = {
                "tx_ref": tx["tx_ref"],
                "amount": float(tx["amount"]),  # Chapa answers with a JSON number
                "currency": tx["currency"],
                "status": tx["status"],
                "reference": tx["reference"],
                "mode": "test",
                "method": "telebirr",
            }
            return Reply(200, {"message": "Payment details", "status": "success", "data": data})
        if request.method == "POST" and request.path.startswith("/v1/refund/"):
            return self._refund(request.path.rsplit("/", 1)[-1], request.json())
        if request.method == "GET" and request.path.startswith("/v1/transfers/verify/"):
            transfer = self.transfers.get(request.path.rsplit("/", 1)[-1])
            if transfer is None:
                return Reply(404, {"message": "Transfer not found", "status": "failed", "data": None})
            data = {
                "reference": transfer["reference"],
                "amount": transfer["amount"],
                "currency": transfer["currency"],
                "account_number": transfer["account_number"],
                "bank_code": transfer["bank_code"],
                "status": transfer.get("status", "pending"),
            }
            return Reply(200, {"message": "Transfer details fetched", "status": "success", "data": data})
        if request.method == "POST" and request.path == "/v1/transfers":
            body = request.json()
            if body["reference"] in self.transfers or Decimal(body["amount"]) > 100000:
                return Reply(400, {"message": "Insufficient Balance", "status": "failed", "data": None})
            self.transfers[body["reference"]] = body
            return Reply(
                200, {"message": "Transfer Queued Successfully", "status": "success", "data": "queued"}
            )
        return Reply(404, {"message": "Not found"})

    def _refund(self, tx_ref: str, body: dict[str, Any]) -> Reply:
        """Chapa's refund: a paid transaction, in full or in part, never beyond what was paid; the same refund
        reference again is answered as the first time (our adapter relies on that to refund once when asked
        twice)."""
        tx = self.transactions.get(tx_ref)
        if tx is None:
            return Reply(404, {"message": "Invalid transaction or Transaction not found", "status": "failed"})
        refunds = tx.setdefault("refunds", {})
        if body.get("reference") in refunds:
            return Reply(
                200,
                {
                    "message": "Refund processed successfully",
                    "status": "success",
                    "data": refunds[body["reference"]],
                },
            )
        if tx["status"] != "success":
            return Reply(400, {"message": "Transaction cannot be refunded", "status": "failed", "data": None})
        given = sum(Decimal(str(refund["amount"])) for refund in refunds.values())
        if given + Decimal(str(body.get("amount", "0"))) > Decimal(str(tx["amount"])):
            return Reply(400, {"message": "Refund amount exceeds the transaction", "status": "failed"})
        refunds[body.get("reference")] = {
            "ref_id": "RF" + secrets.token_hex(5),
            "amount": body["amount"],
            "reason": body["reason"],
        }
        if given + Decimal(str(body["amount"])) == Decimal(str(tx["amount"])):
            tx["status"] = "refunded"
        return Reply(
            200,
            {
                "message": "Refund processed successfully",
                "status": "success",
                "data": refunds[body["reference"]],
            },
        )

    def webhook(self, tx_ref: str, *, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        tx = self.transactions[tx_ref]
        body = json.dumps(
            {
                "event": "charge.success",
                "tx_ref": tx_ref,
                "reference": tx["reference"],
                "status": tx["status"],
                "amount": tx["amount"],
                "currency": tx["currency"],
            }
        ).encode()
        signature = hmac.new((secret or self.WEBHOOK_SECRET).encode(), body, hashlib.sha256).hexdigest()
        return body, {"x-chapa-signature": signature, "content-type": "application/json"}


# -- telebirr ---------------------------------------------------------------------------------------------


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def telebirr_canonical(params: dict[str, Any]) -> str:
    """telebirr's string to sign, written out independently of the adapter's."""
    skip = {"sign", "sign_type", "header", "refund_info", "openType", "raw_request", "biz_content"}
    flat = {k: str(v) for k, v in params.items() if k not in skip}
    flat.update({k: str(v) for k, v in (params.get("biz_content") or {}).items() if k not in skip})
    return "&".join(f"{k}={flat[k]}" for k in sorted(flat))


def pss_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    return base64.b64encode(key.sign(text.encode(), pss, hashes.SHA256())).decode()


def pss_verifies(key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    try:
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
        key.verify(base64.b64decode(signature), text.encode(), pss, hashes.SHA256())
    except Exception:
        return False
    return True


class FakeTelebirr:
    FABRIC_APP_ID = "c4182ef8-9249-458a-985e-06d191f4d505"
    APP_SECRET = "fad0f06383c6297f545876694b974599"
    MERCHANT_APP_ID = "850000000000001"
    MERCH_CODE = "245445"

    def __init__(self) -> None:
        self.telebirr_key = new_rsa_key()  # telebirr's own key: signs notifications
        self.merchant_key = new_rsa_key()  # ours: telebirr holds the public half to check our requests
        self.orders: dict[str, dict[str, Any]] = {}
        self.tokens_issued = 0
        self.faults = Faults()
        self.server = LoopbackServer(self.handle)
        self._token = ""

    async def handle(self, request: Recorded) -> Reply:
        faulty = await self.faults.intercept(self.server, request)
        if faulty:
            return faulty
        if request.headers.get("x-app-key") != self.FABRIC_APP_ID:
            return Reply(401, {"errorCode": "401", "errorMsg": "invalid app key"})
        if request.path == "/payment/v1/token":
            if request.json().get("appSecret") != self.APP_SECRET:
                return Reply(401, {"errorCode": "401", "errorMsg": "invalid app secret"})
            self.tokens_issued += 1
            self._token = f"Bearer {secrets.token_hex(16)}"
            return Reply(
                200,
                {"effectiveDate": "20261203080000", "expirationDate": "20261203090000", "token": self._token},
            )
        if request.headers.get("authorization") != self._token:
            return Reply(200, {"result": "FAIL", "code": "40001", "msg": "invalid token"})
        params = request.json()
        if params.get("sign_type") != "SHA256WithRSA" or not pss_verifies(
            self.merchant_key.public_key(), telebirr_canonical(params), params.get("sign", "")
        ):
            return Reply(200, {"result": "FAIL", "code": "1006", "msg": "sign verify failed"})
        biz = params["biz_content"]
        if biz.get("merch_code") != self.MERCH_CODE or biz.get("appid") != self.MERCHANT_APP_ID:
            return Reply(200, {"result": "FAIL", "code": "1003", "msg": "merchant not found"})
        if request.path == "/payment/v1/merchant/preOrder" and params["method"] == "payment.preorder":
            if biz["merch_order_id"] in self.orders:
                return Reply(200, {"result": "FAIL", "code": "1008", "msg": "merch_order_id is duplicate"})
            if Decimal(biz["total_amount"]) > 75000:
                return Reply(200, {"result": "FAIL", "code": "2003", "msg": "amount exceeds the limit"})
            prepay_id = secrets.token_hex(12)
            self.orders[biz["merch_order_id"]] = {**biz, "prepay_id": prepay_id, "order_status": "WAIT_PAY"}
            return Reply(
                200, self._signed_answer({"merch_order_id": biz["merch_order_id"], "prepay_id": prepay_id})
            )
        if request.path == "/payment/v1/merchant/queryOrder" and params["method"] == "payment.queryorder":
            order = self.orders.get(biz["merch_order_id"])
            if order is None:
                return Reply(200, {"result": "FAIL", "code": "1005", "msg": "order not exist"})
            return Reply(
                200,
                self._signed_answer(
                    {
                        "merch_order_id": order["merch_order_id"],
                        "order_status": order["order_status"],
                        "payment_order_id": "P" + order["prepay_id"][:10],
                        "total_amount": order["total_amount"],
                        "trans_currency": order["trans_currency"],
                    }
                ),
            )
        return Reply(404, {"errorCode": "404", "errorMsg": "no such api"})

    def _signed_answer(self, biz: dict[str, str]) -> dict[str, Any]:
        answer: dict[str, Any] = {"result": "SUCCESS", "code": "0", "msg": "success", "nonce_str": "n" * 32}
        answer["biz_content"] = biz
        answer["sign"] = pss_sign(self.telebirr_key, telebirr_canonical(answer))
        answer["sign_type"] = "SHA256WithRSA"
        return answer

    def pay(self, reference: str) -> None:
        self.orders[reference]["order_status"] = "PAY_SUCCESS"

    def notify(self, reference: str, *, key: rsa.RSAPrivateKey | None = None) -> bytes:
        order = self.orders[reference]
        fields = {
            "notify_url": order["notify_url"],
            "appid": self.MERCHANT_APP_ID,
            "notify_time": "1764748800000",
            "merch_code": self.MERCH_CODE,
            "merch_order_id": reference,
            "payment_order_id": "P" + order["prepay_id"][:10],
            "total_amount": order["total_amount"],
            "trans_id": "CL" + secrets.token_hex(4).upper(),
            "trans_currency": order["trans_currency"],
            "trade_status": "Completed",
            "trans_end_time": "1764748800000",
        }
        fields["sign"] = pss_sign(key or self.telebirr_key, telebirr_canonical(fields))
        fields["sign_type"] = "SHA256WithRSA"
        return json.dumps(fields).encode()


# -- WeBirr -----------------------------------------------------------------------------------------------


class FakeWebirr:
    API_KEY = "x" * 40
    MERCHANT_ID = "0123456789"
    AUTH_KEY = "please-change-me-5114831AFD5D4646901DCDAC58B92F8E"

    def __init__(self) -> None:
        self.bills: dict[str, dict[str, Any]] = {}  # by billReference
        self.faults = Faults()
        self.server = LoopbackServer(self.handle)

    def _by_code(self, code: str) -> dict[str, Any] | None:
        return next((bill for bill in self.bills.values() if bill["wbcCode"] == code), None)

    async def handle(self, request: Recorded) -> Reply:
        faulty = await self.faults.intercept(self.server, request)
        if faulty:
            return faulty
        # WeBirr reports even a wrong key as HTTP 200 with an error code.
        if (
            request.query.get("api_key") != self.API_KEY
            or request.query.get("merchant_id") != self.MERCHANT_ID
        ):
            return Reply(200, {"error": "invalid api key", "errorCode": "ERROR_INVALID_API_KEY", "res": None})
        if request.path == "/einvoice/api/bill" and request.method == "POST":
            bill = request.json()
            if bill["billReference"] in self.bills:
                return Reply(
                    200,
                    {
                        "error": "duplicate bill reference",
                        "errorCode": "ERROR_INVALID_INPUT_DUP_REF",
                        "res": None,
                    },
                )
            if Decimal(bill["amount"]) <= 0:
                return Reply(
                    200, {"error": "invalid amount", "errorCode": "ERROR_INVALID_INPUT", "res": None}
                )
            code = f"{secrets.randbelow(10**9):09d}"
            self.bills[bill["billReference"]] = {**bill, "wbcCode": code, "paymentStatus": 0}
            return Reply(200, {"error": None, "errorCode": None, "res": code})
        if request.path == "/einvoice/api/bill" and request.method == "GET":
            if "bill_reference" in request.query:
                bill = self.bills.get(request.query["bill_reference"])
            else:
                bill = self._by_code(request.query.get("wbc_code", ""))
            if bill is None:
                return Reply(
                    200, {"error": "bill not found", "errorCode": "ERROR_BILL_NOT_FOUND", "res": None}
                )
            return Reply(200, {"error": None, "errorCode": None, "res": bill})
        if request.path == "/einvoice/api/paymentStatus":
            bill = self._by_code(request.query.get("wbc_code", ""))
            if bill is None:
                return Reply(
                    200, {"error": "bill not found", "errorCode": "ERROR_BILL_NOT_FOUND", "res": None}
                )
            return Reply(200, {"error": None, "errorCode": None, "res": self._payment(bill)})
        return Reply(404, {"error": "no such api"})

    def _payment(self, bill: dict[str, Any]) -> dict[str, Any]:
        paid = bill["paymentStatus"] == 2
        return {
            "status": bill["paymentStatus"],
            "id": "1",
            "bankID": "cbe_birr" if paid else "",
            "paymentReference": "FT26337" if paid else "",
            "confirmed": paid,
            "amount": bill["amount"] if paid else "",
            "wbcCode": bill["wbcCode"],
        }

    def pay(self, reference: str) -> None:
        self.bills[reference]["paymentStatus"] = 2

    def webhook(self, reference: str) -> bytes:
        return json.dumps({"data": self._payment(self.bills[reference])}).encode()

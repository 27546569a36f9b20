"""The telebirr (Fabric) adapter against a loopback telebirr that checks our RSA signatures and signs its own."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from tests.platform.payments.conftest import payment_request
from tests.platform.payments.fakes import (
    FakeTelebirr,
    new_rsa_key,
    pss_verifies,
    public_pem,
    telebirr_canonical,
)
from windsurf.payments.providers.base import ErrorCode, PaymentError, PaymentProvider, PaymentStatus
from windsurf.payments.providers.telebirr import TelebirrProvider

Telebirr = tuple[FakeTelebirr, PaymentProvider]
PRE_ORDER = "/payment/v1/merchant/preOrder"
QUERY = "/payment/v1/merchant/queryOrder"


async def test_start_gets_a_token_signs_the_pre_order_and_builds_the_pay_gate_url(telebirr: Telebirr) -> None:
    fake, adapter = telebirr
    started = await adapter.start_payment(payment_request("ord-tb-1", 12345))

    order = fake.orders["ord-tb-1"]  # the fake accepted our signature, or there would be no order
    assert order["total_amount"] == "123.45" and order["trans_currency"] == "ETB"
    assert started.provider_reference == order["prepay_id"]
    sent = fake.server.calls("POST", PRE_ORDER)[0]
    assert sent.json()["method"] == "payment.preorder" and sent.json()["sign_type"] == "SHA256WithRSA"
    assert sent.headers["authorization"].startswith("Bearer ")

    url = urlsplit(started.redirect_url or "")
    assert url.netloc == "pay.telebirr.example"
    raw = dict(parse_qsl(url.query))
    assert raw["prepay_id"] == order["prepay_id"] and raw["merch_code"] == FakeTelebirr.MERCH_CODE
    assert (raw["version"], raw["trade_type"]) == ("1.0", "Checkout")
    signed = {key: raw[key] for key in ("appid", "merch_code", "nonce_str", "prepay_id", "timestamp")}
    assert pss_verifies(fake.merchant_key.public_key(), telebirr_canonical(signed), unquote(raw["sign"]))


async def test_the_token_is_reused_until_it_expires(telebirr: Telebirr) -> None:
    fake, adapter = telebirr
    await adapter.start_payment(payment_request("ord-tb-2"))
    await adapter.start_payment(payment_request("ord-tb-3"))
    await adapter.query_payment("ord-tb-2")
    assert fake.tokens_issued == 1


async def test_a_pre_order_signed_with_another_key_is_refused_by_telebirr(telebirr: Telebirr) -> None:
    fake, adapter = telebirr
    fake.merchant_key = new_rsa_key()  # telebirr now holds a different public key for us
    with pytest.raises(PaymentError) as caught:
        await adapter.start_payment(payment_request("ord-tb-4"))
    assert caught.value.code is ErrorCode.PROVIDER_DECLINED and "1006" in caught.value.detail
    assert not fake.orders


async def test_query_order_reports_pending_then_paid(telebirr: Telebirr) -> None:
    fake, adapter = telebirr
    await adapter.start_payment(payment_request("ord-tb-5", 9900))
    pending = await adapter.query_payment("ord-tb-5")
    assert (pending.status, pending.amount, pending.currency) == (PaymentStatus.PENDING, 9900, "ETB")

    fake.pay("ord-tb-5")
    paid = await adapter.query_payment("ord-tb-5")
    assert paid.status is PaymentStatus.PAID and paid.amount == 9900 and paid.provider_reference


async def test_query_of_an_unknown_order_is_payment_not_found(telebirr: Telebirr) -> None:
    _, adapter = telebirr
    with pytest.raises(PaymentError) as caught:
        await adapter.query_payment("ord-tb-unknown")
    assert caught.value.code is ErrorCode.PAYMENT_NOT_FOUND


async def test_query_order_is_retried_on_503_and_the_pre_order_is_not(telebirr: Telebirr) -> None:
    fake, adapter = telebirr
    await adapter.start_payment(payment_request("ord-tb-6"))
    fake.faults.fail_next[QUERY] = [503, 504]
    assert (await adapter.query_payment("ord-tb-6")).status is PaymentStatus.PENDING
    assert len(fake.server.calls("POST", QUERY)) == 3

    fake.faults.fail_next[PRE_ORDER] = [503]
    with pytest.raises(PaymentError) as caught:
        await adapter.start_payment(payment_request("ord-tb-7"))
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert len(fake.server.calls("POST", PRE_ORDER)) == 2  # ord-tb-6 and one try for ord-tb-7


async def test_a_timeout_at_pre_order_is_provider_timeout_without_a_retry(telebirr: Telebirr) -> None:
    fake, adapter = telebirr
    fake.faults.stall.add(PRE_ORDER)
    with pytest.raises(PaymentError) as caught:
        await adapter.start_payment(payment_request("ord-tb-8"))
    assert caught.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert len(fake.server.calls("POST", PRE_ORDER)) == 1


async def test_business_errors_are_mapped(telebirr: Telebirr) -> None:
    _, adapter = telebirr
    with pytest.raises(PaymentError) as over_limit:
        await adapter.start_payment(payment_request("ord-tb-9", amount=8_000_000))
    assert over_limit.value.code is ErrorCode.PROVIDER_DECLINED and "2003" in over_limit.value.detail

    await adapter.start_payment(payment_request("ord-tb-10"))
    with pytest.raises(PaymentError) as duplicate:
        await adapter.start_payment(payment_request("ord-tb-10"))
    assert duplicate.value.code is ErrorCode.PROVIDER_DECLINED and "1008" in duplicate.value.detail


async def test_a_notification_signed_by_telebirr_verifies(telebirr: Telebirr) -> None:
    fake, adapter = telebirr
    await adapter.start_payment(payment_request("ord-tb-11"))
    notification = await adapter.verify_notification(fake.notify("ord-tb-11"), {}, {})
    assert notification.reference == "ord-tb-11" and notification.provider_reference.startswith("P")


async def test_numbers_in_a_notification_are_verified_as_the_text_telebirr_sent(telebirr: Telebirr) -> None:
    fake, adapter = telebirr
    await adapter.start_payment(payment_request("ord-tb-12", 1000))
    order = fake.orders["ord-tb-12"]
    order["total_amount"] = "10.00"
    body = fake.notify("ord-tb-12").replace(b'"total_amount": "10.00"', b'"total_amount": 10.00')
    # Signed over "10.00": as a JSON number it must still read "10.00", not "10.0".
    fields = json.loads(body, parse_float=str)
    assert fields["total_amount"] == "10.00"
    assert (await adapter.verify_notification(body, {}, {})).reference == "ord-tb-12"


@pytest.mark.parametrize("case", ["wrong key", "tampered amount", "no sign", "not json"])
async def test_forged_notifications_are_refused(telebirr: Telebirr, case: str) -> None:
    fake, adapter = telebirr
    await adapter.start_payment(payment_request("ord-tb-13"))
    body = fake.notify("ord-tb-13", key=new_rsa_key() if case == "wrong key" else None)
    if case == "tampered amount":
        body = body.replace(b'"total_amount": "123.45"', b'"total_amount": "1.00"')
        assert b'"1.00"' in body
    elif case == "no sign":
        fields = json.loads(body)
        del fields["sign"]
        body = json.dumps(fields).encode()
    elif case == "not json":
        body = b"<xml/>"
    with pytest.raises(PaymentError) as caught:
        await adapter.verify_notification(body, {}, {})
    assert caught.value.code is ErrorCode.NOTIFICATION_FORGED


async def test_an_adapter_holding_the_wrong_telebirr_key_refuses_genuine_notifications(
    telebirr: Telebirr,
) -> None:
    fake, adapter = telebirr
    await adapter.start_payment(payment_request("ord-tb-14"))
    assert isinstance(adapter, TelebirrProvider)
    adapter._public_key_pem = public_pem(new_rsa_key())
    with pytest.raises(PaymentError) as caught:
        await adapter.verify_notification(fake.notify("ord-tb-14"), {}, {})
    assert caught.value.code is ErrorCode.NOTIFICATION_FORGED


async def test_a_wrong_app_secret_is_misconfigured(telebirr: Telebirr) -> None:
    fake, adapter = telebirr
    assert isinstance(adapter, TelebirrProvider)
    adapter._app_secret = "wrong"
    with pytest.raises(PaymentError) as caught:
        await adapter.start_payment(payment_request("ord-tb-15"))
    assert caught.value.code is ErrorCode.PROVIDER_MISCONFIGURED
    assert not fake.orders

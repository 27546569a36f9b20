"""The WeBirr adapter against a loopback WeBirr: bills, payment codes, status, business errors in 2xx, webhooks."""

from __future__ import annotations

import json

import pytest

from tests.platform.payments.conftest import payment_request, provider_settings
from tests.platform.payments.fakes import FakeWebirr
from windsurf.payments.providers.base import ErrorCode, PaymentError, PaymentProvider, PaymentStatus
from windsurf.payments.providers.registry import build_provider

Webirr = tuple[FakeWebirr, PaymentProvider]
STATUS = "/einvoice/api/paymentStatus"


async def test_start_creates_a_bill_and_returns_its_payment_code(webirr: Webirr) -> None:
    fake, adapter = webirr
    started = await adapter.start_payment(payment_request("ord-wb-1", 20000))

    bill = fake.bills["ord-wb-1"]
    assert started.payment_code == bill["wbcCode"] and started.redirect_url is None
    assert started.provider_reference == bill["wbcCode"]
    assert bill["amount"] == "200.00" and bill["merchantID"] == FakeWebirr.MERCHANT_ID
    sent = fake.server.calls("POST", "/einvoice/api/bill")[0]
    assert sent.query["api_key"] == FakeWebirr.API_KEY  # WeBirr wants its keys in the query string


async def test_status_is_polled_pending_then_paid(webirr: Webirr) -> None:
    fake, adapter = webirr
    await adapter.start_payment(payment_request("ord-wb-2", 5050))
    pending = await adapter.query_payment("ord-wb-2")
    assert (pending.status, pending.amount, pending.currency) == (PaymentStatus.PENDING, 5050, "ETB")

    fake.pay("ord-wb-2")
    paid = await adapter.query_payment("ord-wb-2")
    assert (paid.status, paid.amount) == (PaymentStatus.PAID, 5050)

    fake.bills["ord-wb-2"]["paymentStatus"] = 3  # reversed
    assert (await adapter.query_payment("ord-wb-2")).status is PaymentStatus.FAILED


async def test_business_errors_arrive_as_2xx_and_are_mapped(webirr: Webirr) -> None:
    _, adapter = webirr
    await adapter.start_payment(payment_request("ord-wb-3"))
    with pytest.raises(PaymentError) as duplicate:
        await adapter.start_payment(payment_request("ord-wb-3"))
    assert duplicate.value.code is ErrorCode.DUPLICATE_REFERENCE

    with pytest.raises(PaymentError) as declined:
        await adapter.start_payment(payment_request("ord-wb-4", amount=0))
    assert (
        declined.value.code is ErrorCode.PROVIDER_DECLINED and "ERROR_INVALID_INPUT" in declined.value.detail
    )

    with pytest.raises(PaymentError) as unknown:
        await adapter.query_payment("ord-wb-never")
    assert unknown.value.code is ErrorCode.PAYMENT_NOT_FOUND


async def test_a_wrong_api_key_is_misconfigured_even_in_a_200(webirr: Webirr) -> None:
    fake, _ = webirr
    wrong = build_provider(
        "webirr",
        provider_settings(
            "webirr", webirr_base_url=fake.server.url, webirr_api_key="wrong", webirr_merchant_id="0123456789"
        ),
    )
    try:
        with pytest.raises(PaymentError) as caught:
            await wrong.start_payment(payment_request("ord-wb-5"))
        assert caught.value.code is ErrorCode.PROVIDER_MISCONFIGURED
    finally:
        await wrong.aclose()


async def test_status_polling_is_retried_on_503_and_bill_creation_is_not(webirr: Webirr) -> None:
    fake, adapter = webirr
    await adapter.start_payment(payment_request("ord-wb-6"))
    fake.faults.fail_next[STATUS] = [503, 503]
    assert (await adapter.query_payment("ord-wb-6")).status is PaymentStatus.PENDING
    assert len(fake.server.calls("GET", STATUS)) == 3

    fake.faults.stall.add("/einvoice/api/bill")
    with pytest.raises(PaymentError) as caught:
        await adapter.start_payment(payment_request("ord-wb-7"))
    assert caught.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert len(fake.server.calls("POST", "/einvoice/api/bill")) == 2  # ord-wb-6, and ord-wb-7 once


async def test_a_webhook_with_the_auth_key_names_our_reference_through_a_bill_lookup(webirr: Webirr) -> None:
    fake, adapter = webirr
    await adapter.start_payment(payment_request("ord-wb-8"))
    fake.pay("ord-wb-8")
    notification = await adapter.verify_notification(
        fake.webhook("ord-wb-8"), {}, {"authKey": FakeWebirr.AUTH_KEY}
    )
    assert notification.reference == "ord-wb-8"
    assert notification.provider_reference == fake.bills["ord-wb-8"]["wbcCode"]


async def test_webhooks_without_the_key_or_readable_data_are_refused(webirr: Webirr) -> None:
    fake, adapter = webirr
    await adapter.start_payment(payment_request("ord-wb-9"))
    body = fake.webhook("ord-wb-9")
    for query in ({}, {"authKey": "guess"}, {"authKey": FakeWebirr.AUTH_KEY[:-1]}):
        with pytest.raises(PaymentError) as forged:
            await adapter.verify_notification(body, {}, query)
        assert forged.value.code is ErrorCode.NOTIFICATION_FORGED

    for bad in (b"nonsense", json.dumps({"data": {}}).encode()):
        with pytest.raises(PaymentError) as malformed:
            await adapter.verify_notification(bad, {}, {"authKey": FakeWebirr.AUTH_KEY})
        assert malformed.value.code is ErrorCode.NOTIFICATION_MALFORMED


async def test_a_webhook_naming_a_code_webirr_does_not_know_is_not_trusted(webirr: Webirr) -> None:
    _, adapter = webirr
    body = json.dumps({"data": {"wbcCode": "999999999", "status": 2, "amount": "1.00"}}).encode()
    with pytest.raises(PaymentError) as caught:
        await adapter.verify_notification(body, {}, {"authKey": FakeWebirr.AUTH_KEY})
    assert caught.value.code is ErrorCode.PAYMENT_NOT_FOUND

"""The Chapa adapter against a loopback Chapa: hosted checkout, verify, webhook signatures, transfers, faults."""

from __future__ import annotations

import hashlib
import hmac
import socket

import pytest

from tests.platform.payments.conftest import payment_request, provider_settings
from tests.platform.payments.fakes import FakeChapa
from windsurf.payments.providers.base import (
    ErrorCode,
    PaymentError,
    PaymentProvider,
    PaymentStatus,
    RefundingProvider,
    RefundRequest,
)
from windsurf.payments.providers.chapa import ChapaProvider, Transfer, local_phone
from windsurf.payments.providers.registry import build_provider

Chapa = tuple[FakeChapa, PaymentProvider]
INIT = "/v1/transaction/initialize"


async def test_start_sends_chapa_its_fields_and_returns_the_checkout_url(chapa: Chapa) -> None:
    fake, adapter = chapa
    started = await adapter.start_payment(payment_request("ord-chapa-1", 12345))

    assert started.redirect_url and started.redirect_url.startswith("https://checkout.chapa.co/")
    assert (started.reference, started.provider_reference, started.payment_code) == (
        "ord-chapa-1",
        "ord-chapa-1",
        None,
    )
    sent = fake.server.calls("POST", INIT)[0].json()
    assert sent["amount"] == "123.45" and sent["currency"] == "ETB" and sent["tx_ref"] == "ord-chapa-1"
    assert sent["phone_number"] == "0911234567"  # 10-digit local form
    assert sent["callback_url"] == "https://windsurf.example/webhooks/provider"
    assert (sent["first_name"], sent["last_name"]) == ("Hana", "Tesfaye")
    assert len(sent["customization"]["title"]) <= 16


async def test_query_reports_pending_then_paid_in_santim(chapa: Chapa) -> None:
    fake, adapter = chapa
    await adapter.start_payment(payment_request("ord-chapa-2", 50))
    pending = await adapter.query_payment("ord-chapa-2")
    assert (pending.status, pending.amount, pending.currency) == (PaymentStatus.PENDING, 50, "ETB")

    fake.transactions["ord-chapa-2"]["status"] = "success"
    paid = await adapter.query_payment("ord-chapa-2")
    assert paid.status is PaymentStatus.PAID and paid.amount == 50
    assert paid.provider_reference == fake.transactions["ord-chapa-2"]["reference"]

    fake.transactions["ord-chapa-2"]["status"] = "failed"
    assert (await adapter.query_payment("ord-chapa-2")).status is PaymentStatus.FAILED


async def test_query_of_an_unknown_reference_is_payment_not_found(chapa: Chapa) -> None:
    _, adapter = chapa
    with pytest.raises(PaymentError) as caught:
        await adapter.query_payment("never-started")
    assert caught.value.code is ErrorCode.PAYMENT_NOT_FOUND


async def test_webhook_signed_over_the_raw_body_verifies(chapa: Chapa) -> None:
    fake, adapter = chapa
    await adapter.start_payment(payment_request("ord-chapa-3"))
    body, headers = fake.webhook("ord-chapa-3")

    notification = await adapter.verify_notification(body, headers, {})
    assert notification.reference == "ord-chapa-3" and notification.provider == "chapa"


@pytest.mark.parametrize("case", ["wrong secret", "tampered body", "no signature", "reserialised body"])
async def test_forged_or_altered_webhooks_are_refused(chapa: Chapa, case: str) -> None:
    fake, adapter = chapa
    await adapter.start_payment(payment_request("ord-chapa-4"))
    body, headers = fake.webhook("ord-chapa-4", secret="not-the-secret" if case == "wrong secret" else None)
    if case == "tampered body":
        body = body.replace(b'"123.45"', b'"1.00"')
    elif case == "no signature":
        headers = {}
    elif case == "reserialised body":
        body = body.replace(b", ", b",")  # same JSON, other bytes: the signature covers the bytes

    with pytest.raises(PaymentError) as caught:
        await adapter.verify_notification(body, headers, {})
    assert caught.value.code is ErrorCode.NOTIFICATION_FORGED


async def test_a_signed_but_unreadable_webhook_is_malformed(chapa: Chapa) -> None:
    _, adapter = chapa
    body = b"not json at all"
    signature = hmac.new(FakeChapa.WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(PaymentError) as caught:
        await adapter.verify_notification(body, {"X-Chapa-Signature": signature}, {})
    assert caught.value.code is ErrorCode.NOTIFICATION_MALFORMED


async def test_a_timeout_at_start_is_provider_timeout_and_is_not_retried(chapa: Chapa) -> None:
    fake, adapter = chapa
    fake.faults.stall.add(INIT)
    with pytest.raises(PaymentError) as caught:
        await adapter.start_payment(payment_request("ord-chapa-5"))
    assert caught.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert caught.value.status_code == 504
    assert len(fake.server.calls("POST", INIT)) == 1


async def test_a_503_at_start_is_not_retried(chapa: Chapa) -> None:
    fake, adapter = chapa
    fake.faults.fail_next[INIT] = [503]
    with pytest.raises(PaymentError) as caught:
        await adapter.start_payment(payment_request("ord-chapa-6"))
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert len(fake.server.calls("POST", INIT)) == 1
    assert "ord-chapa-6" not in fake.transactions


async def test_verify_is_retried_on_503_and_502_then_answers(chapa: Chapa) -> None:
    fake, adapter = chapa
    await adapter.start_payment(payment_request("ord-chapa-7"))
    path = "/v1/transaction/verify/ord-chapa-7"
    fake.faults.fail_next[path] = [503, 502]
    state = await adapter.query_payment("ord-chapa-7")
    assert state.status is PaymentStatus.PENDING
    assert len(fake.server.calls("GET", path)) == 3


async def test_a_dropped_connection_is_retried_for_verify_but_not_for_initialize(chapa: Chapa) -> None:
    fake, adapter = chapa
    await adapter.start_payment(payment_request("ord-chapa-13"))
    path = "/v1/transaction/verify/ord-chapa-13"
    fake.faults.fail_next[path] = [0]
    assert (await adapter.query_payment("ord-chapa-13")).status is PaymentStatus.PENDING
    assert len(fake.server.calls("GET", path)) == 2

    fake.faults.fail_next[INIT] = [0]
    with pytest.raises(PaymentError) as caught:
        await adapter.start_payment(payment_request("ord-chapa-14"))
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert [call.json()["tx_ref"] for call in fake.server.calls("POST", INIT)] == [
        "ord-chapa-13",
        "ord-chapa-14",
    ]


async def test_verify_gives_up_after_its_retries(chapa: Chapa) -> None:
    fake, adapter = chapa
    path = "/v1/transaction/verify/ord-chapa-8"
    fake.faults.fail_next[path] = [503, 503, 503, 503]
    with pytest.raises(PaymentError) as caught:
        await adapter.query_payment("ord-chapa-8")
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert len(fake.server.calls("GET", path)) == 3  # one try and two retries


async def test_a_500_is_not_transient_and_is_not_retried(chapa: Chapa) -> None:
    fake, adapter = chapa
    path = "/v1/transaction/verify/ord-chapa-9"
    fake.faults.fail_next[path] = [500]
    with pytest.raises(PaymentError) as caught:
        await adapter.query_payment("ord-chapa-9")
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert len(fake.server.calls("GET", path)) == 1


async def test_business_errors_are_mapped(chapa: Chapa) -> None:
    _, adapter = chapa
    await adapter.start_payment(payment_request("ord-chapa-10"))
    with pytest.raises(PaymentError) as duplicate:
        await adapter.start_payment(payment_request("ord-chapa-10"))
    assert duplicate.value.code is ErrorCode.DUPLICATE_REFERENCE

    with pytest.raises(PaymentError) as declined:
        await adapter.start_payment(payment_request("ord-chapa-11", amount=0))
    assert declined.value.code is ErrorCode.PROVIDER_DECLINED
    assert "amount" in declined.value.detail


async def test_a_wrong_secret_key_is_misconfigured(chapa: Chapa) -> None:
    fake, adapter = chapa
    assert isinstance(adapter, ChapaProvider)
    wrong = ChapaProvider(adapter.http, "CHASECK_TEST-wrong", FakeChapa.WEBHOOK_SECRET)
    with pytest.raises(PaymentError) as caught:
        await wrong.start_payment(payment_request("ord-chapa-12"))
    assert caught.value.code is ErrorCode.PROVIDER_MISCONFIGURED
    assert not fake.transactions


async def test_a_provider_that_is_down_is_unavailable() -> None:
    # A port nobody listens on: bind one, note it, close it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = build_provider(
        "chapa", provider_settings("chapa", chapa_base_url=f"http://127.0.0.1:{port}", chapa_secret_key="k")
    )
    try:
        with pytest.raises(PaymentError) as caught:
            await adapter.query_payment("anything")
        assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    finally:
        await adapter.aclose()


async def test_transfers_queue_a_payout_and_map_refusals(chapa: Chapa) -> None:
    fake, adapter = chapa
    assert isinstance(adapter, ChapaProvider)
    payout = Transfer("payout-1", 250000, "Hana Tesfaye", "0911234567", bank_code="855")
    result = await adapter.transfer(payout)
    assert result.status == "queued"
    assert fake.transfers["payout-1"]["amount"] == "2500.00"

    fake.faults.stall.add("/v1/transfers")
    with pytest.raises(PaymentError) as timeout:
        await adapter.transfer(Transfer("payout-2", 100, "Hana Tesfaye", "0911234567", bank_code="855"))
    assert timeout.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert len(fake.server.calls("POST", "/v1/transfers")) == 2  # one each, never repeated
    fake.faults.stall.clear()

    with pytest.raises(PaymentError) as declined:
        await adapter.transfer(payout)  # the same reference again
    assert declined.value.code is ErrorCode.PROVIDER_DECLINED


def test_phones_are_sent_in_the_ten_digit_local_form() -> None:
    assert local_phone("+251911234567") == "0911234567"
    assert local_phone("+251712345678") == "0712345678"
    assert local_phone("") == "" and local_phone("+14155550100") == "" and local_phone("garbage") == ""


async def test_a_refund_gives_a_paid_payment_back_once(chapa: Chapa) -> None:
    fake, adapter = chapa
    assert isinstance(adapter, RefundingProvider)
    await adapter.start_payment(payment_request("ord-chapa-refund", 25000))
    refund = RefundRequest("ord-chapa-refund", "ORDER1-refund", 25000, "ETB", "wrong edition")

    with pytest.raises(PaymentError) as unpaid:
        await adapter.refund(refund)
    assert unpaid.value.code is ErrorCode.PROVIDER_DECLINED

    fake.transactions["ord-chapa-refund"]["status"] = "success"
    first = await adapter.refund(refund)
    again = await adapter.refund(refund)  # a double click: the same reference, the same refund
    assert first.provider_reference.startswith("RF") and again.provider_reference == first.provider_reference
    sent = fake.server.calls("POST", "/v1/refund/ord-chapa-refund")[-1].json()
    assert (sent["amount"], sent["reference"], sent["reason"]) == ("250.00", "ORDER1-refund", "wrong edition")
    assert (await adapter.query_payment("ord-chapa-refund")).status is PaymentStatus.FAILED

    with pytest.raises(PaymentError) as other:  # a second, different refund of a refunded payment
        await adapter.refund(RefundRequest("ord-chapa-refund", "ORDER1-again", 100, "ETB"))
    assert other.value.code is ErrorCode.PROVIDER_DECLINED
    with pytest.raises(PaymentError) as unknown:
        await adapter.refund(RefundRequest("never-started", "X-refund", 100, "ETB"))
    assert unknown.value.code is ErrorCode.PAYMENT_NOT_FOUND


async def test_transfer_status_follows_chapa(chapa: Chapa) -> None:
    fake, adapter = chapa
    assert isinstance(adapter, ChapaProvider)
    await adapter.transfer(Transfer("payout-st", 10000, "Hana Tesfaye", "0911234567", bank_code="855"))
    assert await adapter.transfer_status("payout-st") == "pending"
    fake.transfers["payout-st"]["status"] = "success"
    assert await adapter.transfer_status("payout-st") == "success"
    with pytest.raises(PaymentError) as unknown:
        await adapter.transfer_status("never-sent")
    assert unknown.value.code is ErrorCode.PAYMENT_NOT_FOUND

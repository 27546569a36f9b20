"""The sandbox gateway end to end through the app: its API, hosted page, signed notifications and switches.

The adapter talks to the app's own gateway over HTTP (an ASGI transport to the running app); notifications go
out through the outbox over real loopback HTTP to a receiver the test runs, as they would to /webhooks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest
from litestar import Litestar

from tests.conftest import drain_jobs, post_form, serve
from tests.platform.payments.conftest import payment_request
from tests.platform.payments.loopback import LoopbackServer, Recorded, Reply
from windsurf.app import create_app
from windsurf.core.tables import Job
from windsurf.core.uow import unit_of_work
from windsurf.payments.providers.base import (
    ErrorCode,
    PaymentError,
    PaymentProvider,
    PaymentStatus,
    RefundingProvider,
    RefundRequest,
)
from windsurf.payments.providers.registry import build_provider
from windsurf.payments.sandbox import service as sandbox
from windsurf.payments.sandbox.service import NOTIFY_JOB
from windsurf.settings import Settings

BASE = "http://testserver.local"


@dataclass
class Gateway:
    settings: Settings
    app: Litestar
    client: httpx.AsyncClient
    adapter: PaymentProvider
    receiver: LoopbackServer
    answers: list[int]  # statuses the receiver gives before it starts answering 200

    @property
    def notify_url(self) -> str:
        return f"{self.receiver.url}/webhooks/sandbox"

    def delivered(self) -> list[Recorded]:
        return [r for r in self.receiver.requests if r.path == "/webhooks/sandbox"]

    async def start(self, amount: int = 12345, **overrides: Any) -> str:
        reference = f"ord-{uuid.uuid4().hex[:12]}"
        overrides.setdefault("notify_url", self.notify_url)
        started = await self.adapter.start_payment(payment_request(reference, amount, **overrides))
        assert started.redirect_url == f"{BASE}/sandbox-pay/pay/{reference}"
        return reference

    async def decide(self, reference: str, action: str, notify: str = "") -> httpx.Response:
        return await post_form(
            self.client, f"/sandbox-pay/pay/{reference}", {"action": action, "notify": notify}
        )


async def _gateway(settings: Settings) -> AsyncIterator[Gateway]:
    answers: list[int] = []

    async def receive(request: Recorded) -> Reply:
        return Reply(answers.pop(0) if answers else 200, {"received": True})

    async with LoopbackServer(receive) as receiver:
        app = create_app(settings)
        async with serve(app, base_url=BASE) as client:
            adapter = build_provider("sandbox", settings, transport=httpx.ASGITransport(app=app))
            yield Gateway(settings, app, client, adapter, receiver, answers)
            await adapter.aclose()


def gateway_settings(settings: Settings, **overrides: Any) -> Settings:
    return dataclasses.replace(settings, public_url=BASE, payment_retry_backoff_seconds=0.001, **overrides)


@pytest.fixture
async def gateway(settings: Settings) -> AsyncIterator[Gateway]:
    async for gateway in _gateway(gateway_settings(settings)):
        yield gateway


async def test_a_payment_is_paid_on_the_hosted_page_and_notified_with_a_signature(gateway: Gateway) -> None:
    reference = await gateway.start(12345, description="Amharic for beginners")
    pending = await gateway.adapter.query_payment(reference)
    assert (pending.status, pending.amount, pending.currency) == (PaymentStatus.PENDING, 12345, "ETB")

    page = await gateway.client.get(f"/sandbox-pay/pay/{reference}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for text in ("Amharic for beginners", "ETB\u00a0123.45", 'value="pay"', 'value="fail"', 'value="cancel"'):
        assert text in page.text
    assert 'method="post"' in page.text  # a plain form: no JavaScript needed

    answer = await gateway.decide(reference, "pay")
    assert answer.status_code == 303
    assert answer.headers["location"] == "https://windsurf.example/checkout/return"
    paid = await gateway.adapter.query_payment(reference)
    assert (paid.status, paid.amount) == (PaymentStatus.PAID, 12345)

    assert gateway.delivered() == []  # nothing was sent while the buyer waited: it is an outbox job
    await drain_jobs(gateway.app)
    [delivery] = gateway.delivered()
    assert delivery.json() | {"notification_id": None} == {
        "event": "payment.updated",
        "notification_id": None,
        "reference": reference,
        "status": "paid",
        "amount": 12345,
        "currency": "ETB",
    }
    notification = await gateway.adapter.verify_notification(delivery.body, delivery.headers, {})
    assert notification.reference == reference
    status = await gateway.client.get(
        f"/sandbox-pay/api/payments/{reference}",
        headers={"Authorization": f"Bearer {gateway.settings.effective_sandbox_secret}"},
    )
    assert status.json()["notifications_sent"] == 1


async def test_the_hosted_page_speaks_amharic(gateway: Gateway) -> None:
    reference = await gateway.start(5000)
    page = await gateway.client.get(f"/sandbox-pay/pay/{reference}", headers={"Accept-Language": "am-ET,am"})
    assert 'lang="am"' in page.text
    for text in ("የሙከራ ክፍያ", "ብር50.00", "ይክፈሉ", "ይሰርዙ", "ክፍያ በመጠበቅ ላይ"):
        assert text in page.text


@pytest.mark.parametrize("action", ["fail", "cancel"])
async def test_failed_and_cancelled_payments_query_as_failed(gateway: Gateway, action: str) -> None:
    reference = await gateway.start()
    assert (await gateway.decide(reference, action)).status_code == 303
    assert (await gateway.adapter.query_payment(reference)).status is PaymentStatus.FAILED
    await drain_jobs(gateway.app)
    [delivery] = gateway.delivered()
    assert delivery.json()["status"] == {"fail": "failed", "cancel": "cancelled"}[action]


async def test_deciding_twice_changes_nothing_and_notifies_once(gateway: Gateway) -> None:
    reference = await gateway.start()
    await gateway.decide(reference, "pay")
    second = await gateway.decide(reference, "fail")
    assert second.status_code == 303
    assert (await gateway.adapter.query_payment(reference)).status is PaymentStatus.PAID
    page = await gateway.client.get(f"/sandbox-pay/pay/{reference}")
    assert 'value="pay"' not in page.text and "This payment has been decided already." in page.text
    await drain_jobs(gateway.app)
    assert len(gateway.delivered()) == 1


async def test_the_duplicate_switch_sends_the_same_notification_twice(gateway: Gateway) -> None:
    reference = await gateway.start()
    await gateway.decide(reference, "pay", notify="duplicate")
    await drain_jobs(gateway.app)
    first, second = gateway.delivered()
    assert (
        first.body == second.body
        and first.headers["x-sandbox-signature"] == second.headers["x-sandbox-signature"]
    )


async def test_the_drop_switch_sends_nothing_and_the_status_query_still_answers(gateway: Gateway) -> None:
    reference = await gateway.start()
    await gateway.decide(reference, "pay", notify="drop")
    await drain_jobs(gateway.app)
    assert gateway.delivered() == []
    assert (await gateway.adapter.query_payment(reference)).status is PaymentStatus.PAID


async def _time_passes() -> None:
    """Make every pending notification due now (as if its delay had passed)."""
    await Job.update({Job.run_at: dt.datetime.now(dt.UTC)}).where(
        (Job.name == NOTIFY_JOB) & (Job.status == "pending")
    )


async def test_the_delay_switch_sends_the_notification_later(gateway: Gateway) -> None:
    reference = await gateway.start()
    await gateway.decide(reference, "pay", notify="delay")
    await drain_jobs(gateway.app)
    assert gateway.delivered() == []
    await _time_passes()
    await drain_jobs(gateway.app)
    assert [r.json()["reference"] for r in gateway.delivered()] == [reference]


async def test_a_payment_created_with_a_switch_keeps_it(gateway: Gateway) -> None:
    reference = f"ord-{uuid.uuid4().hex[:12]}"
    key = {"Authorization": f"Bearer {gateway.settings.effective_sandbox_secret}"}
    body = {
        "reference": reference,
        "amount": 700,
        "currency": "ETB",
        "return_url": "https://windsurf.example/r",
        "notify_url": gateway.notify_url,
        "notify": "duplicate",
    }
    assert (await gateway.client.post("/sandbox-pay/api/payments", json=body, headers=key)).status_code == 201
    await gateway.decide(reference, "pay")
    await drain_jobs(gateway.app)
    assert len(gateway.delivered()) == 2


async def test_a_merchant_that_does_not_acknowledge_gets_the_notification_again(gateway: Gateway) -> None:
    reference = await gateway.start()
    gateway.answers.extend([500])
    await gateway.decide(reference, "pay")
    await drain_jobs(gateway.app)
    assert len(gateway.delivered()) == 1
    await _time_passes()
    await drain_jobs(gateway.app)
    first, second = gateway.delivered()
    assert first.body == second.body
    done = await Job.select(Job.status).where(Job.name == NOTIFY_JOB).output(as_list=True)
    assert done and set(done) == {"done"}


async def test_the_gateway_default_switch_comes_from_settings(settings: Settings) -> None:
    async for gateway in _gateway(gateway_settings(settings, sandbox_notify="duplicate")):
        reference = await gateway.start()
        await gateway.decide(reference, "pay")
        await drain_jobs(gateway.app)
        assert len(gateway.delivered()) == 2


async def test_payments_survive_a_restart(settings: Settings) -> None:
    gateway_conf = gateway_settings(settings)
    async for before in _gateway(gateway_conf):
        reference = await before.start(4200)
        await before.decide(reference, "pay")
    async for after in _gateway(gateway_conf):  # a new process on the same database
        state = await after.adapter.query_payment(reference)
        assert (state.status, state.amount) == (PaymentStatus.PAID, 4200)


async def test_a_script_can_decide_through_the_api(gateway: Gateway) -> None:
    reference = await gateway.start(900)
    key = {
        "Authorization": f"Bearer {gateway.settings.effective_sandbox_secret}",
        "Accept": "application/json",
    }
    url = f"/sandbox-pay/api/payments/{reference}/decision"
    assert (await gateway.client.post(url, json={"action": "pay"})).status_code == 401
    for bad in ({"action": "refund"}, {"action": "pay", "notify": 3}, []):
        assert (await gateway.client.post(url, json=bad, headers=key)).status_code == 400
    answer = await gateway.client.post(url, json={"action": "pay", "notify": "duplicate"}, headers=key)
    assert answer.status_code == 200 and answer.json()["status"] == "paid"
    again = await gateway.client.post(url, json={"action": "fail"}, headers=key)
    assert again.json()["status"] == "paid"  # decided once
    await drain_jobs(gateway.app)
    assert len(gateway.delivered()) == 2


async def test_the_api_refuses_a_missing_or_wrong_key(gateway: Gateway) -> None:
    for key in ({}, {"Authorization": "Bearer wrong"}):
        headers = key | {
            "Accept": "application/json"
        }  # a merchant's client asks for JSON, as the adapter does
        answer = await gateway.client.post("/sandbox-pay/api/payments", json={}, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert (await gateway.client.get("/sandbox-pay/api/payments/anything")).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"reference": "a b", "amount": 1, "currency": "ETB"}).encode(),
        json.dumps({"reference": "ok", "amount": 1.5, "currency": "ETB"}).encode(),
        json.dumps({"reference": "ok", "amount": True, "currency": "EUR"}).encode(),
        json.dumps(
            {"reference": "ok", "amount": 100, "currency": "ETB", "notify_url": "javascript:x"}
        ).encode(),
    ],
)
async def test_bad_create_requests_are_422_with_field_errors(gateway: Gateway, body: bytes) -> None:
    key = {
        "Authorization": f"Bearer {gateway.settings.effective_sandbox_secret}",
        "Accept": "application/json",
    }
    answer = await gateway.client.post("/sandbox-pay/api/payments", content=body, headers=key)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"]


async def test_a_reused_reference_is_a_duplicate(gateway: Gateway) -> None:
    reference = await gateway.start()
    with pytest.raises(PaymentError) as caught:
        await gateway.adapter.start_payment(payment_request(reference, notify_url=gateway.notify_url))
    assert caught.value.code is ErrorCode.DUPLICATE_REFERENCE


async def test_unknown_payments_and_bad_actions(gateway: Gateway) -> None:
    with pytest.raises(PaymentError) as caught:
        await gateway.adapter.query_payment("no-such-payment")
    assert caught.value.code is ErrorCode.PAYMENT_NOT_FOUND
    assert (await gateway.client.get("/sandbox-pay/pay/no-such-payment")).status_code == 404
    assert (await gateway.client.get("/sandbox-pay/pay/%3Cscript%3E")).status_code == 404

    reference = await gateway.start()
    assert (await gateway.decide(reference, "steal")).status_code == 400
    assert (await gateway.decide(reference, "pay", notify="explode")).status_code == 400
    assert (await gateway.decide("no-such-payment", "pay")).status_code == 404
    assert (await gateway.adapter.query_payment(reference)).status is PaymentStatus.PENDING


async def test_forged_sandbox_notifications_are_refused(gateway: Gateway) -> None:
    reference = await gateway.start()
    await gateway.decide(reference, "pay")
    await drain_jobs(gateway.app)
    [delivery] = gateway.delivered()
    tampered = delivery.body.replace(b'"amount":12345', b'"amount":1')
    for body, headers in (
        (tampered, delivery.headers),
        (delivery.body, {}),
        (delivery.body, {"x-sandbox-signature": "0" * 64}),
    ):
        with pytest.raises(PaymentError) as caught:
            await gateway.adapter.verify_notification(body, headers, {})
        assert caught.value.code is ErrorCode.NOTIFICATION_FORGED


async def test_the_gateway_is_not_mounted_when_the_sandbox_is_disabled(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, payment_providers=("chapa",)))
    async with serve(app) as client:
        assert (await client.get("/sandbox-pay/pay/anything")).status_code == 404
        assert (await client.post("/sandbox-pay/api/payments", json={})).status_code in {403, 404}


async def test_refunds_in_part_add_up_once_each_and_never_beyond_the_payment(gateway: Gateway) -> None:
    reference = await gateway.start(10_000)
    await gateway.decide(reference, "pay")
    refunding = cast(RefundingProvider, gateway.adapter)
    first = RefundRequest(reference, "r-first", 3_000, "ETB", "a chapter was missing")
    assert (await refunding.refund(first)).refund_reference == "r-first"
    await refunding.refund(first)  # asked twice: one refund
    with pytest.raises(PaymentError) as beyond:
        await refunding.refund(RefundRequest(reference, "r-beyond", 7_001, "ETB"))
    assert beyond.value.code is ErrorCode.PROVIDER_DECLINED
    assert (await gateway.adapter.query_payment(reference)).status is PaymentStatus.PAID
    await refunding.refund(RefundRequest(reference, "r-rest", 7_000, "ETB"))
    async with unit_of_work() as uow:
        payment = await sandbox.get_payment(uow, reference)
    assert payment is not None and (payment.status, payment.refunded) == ("refunded", 10_000)
    with pytest.raises(PaymentError):  # nothing is left
        await refunding.refund(RefundRequest(reference, "r-more", 1, "ETB"))

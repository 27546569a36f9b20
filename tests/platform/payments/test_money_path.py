"""The money path end to end: an order paid through the sandbox gateway over real loopback HTTP, exactly once.

The app is served on a loopback port (a relay into it), so the sandbox adapter reaches the app's own gateway,
and the gateway's outbox posts its signed notifications to the app's /webhooks/sandbox, both over HTTP.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from prometheus_client import REGISTRY

from tests.conftest import drain_jobs, post_form, serve
from tests.platform.payments.loopback import LoopbackServer, Recorded, Reply
from tests.storefront.live import PDF, live
from windsurf.app import create_app
from windsurf.catalog import service as catalog
from windsurf.checkout import service as checkout
from windsurf.core import storage
from windsurf.core.tables import Job
from windsurf.core.uow import tenant_for
from windsurf.delivery.tables import Grant
from windsurf.ledger import service as ledger
from windsurf.ledger.tables import LedgerTransaction
from windsurf.payments import service as payments
from windsurf.payments.providers.base import ErrorCode, PaymentError
from windsurf.payments.providers.registry import Providers, build_providers
from windsurf.payments.providers.signing import hmac_sha256_hex
from windsurf.payments.tables import PaymentAttempt
from windsurf.settings import Settings

postgres_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@dataclass
class Platform:
    settings: Settings
    app: Litestar
    client: httpx.AsyncClient
    providers: Providers
    creator_id: uuid.UUID
    product: catalog.ProductView

    async def order(self, **changes: Any) -> checkout.OrderView:
        values: dict[str, Any] = {
            "submission_key": uuid.uuid4().hex,
            "buyer_name": "Abebe Kebede",
            "email": f"abebe.{uuid.uuid4().hex[:6]}@example.com",
            "phone": None,
            "method": "telebirr",
        }
        values.update(changes)
        offer = checkout.Offer(
            self.product.id, self.creator_id, self.product.title, self.product.price_santim
        )
        async with tenant_for(self.creator_id) as tenant:
            return await checkout.place_order(tenant, offer, checkout.CheckoutRequest(**values))

    async def start(self, order: checkout.OrderView) -> payments.Attempt:
        base = self.settings.public_url
        return await payments.start_payment(
            self.creator_id,
            order.id,
            providers=self.providers,
            links=payments.Links(f"{base}/checkout/return", f"{base}/webhooks/sandbox"),
            locale="en",
        )

    async def pay(self, attempt: payments.Attempt, notify: str = "") -> None:
        response = await post_form(
            self.client, f"/sandbox-pay/pay/{attempt.reference}", {"action": "pay", "notify": notify}
        )
        assert response.status_code == 303, response.text

    async def status(self, order: checkout.OrderView) -> str:
        async with tenant_for(self.creator_id) as tenant:
            return (await checkout.get_order(tenant, order.id)).status

    async def grants(self, order: checkout.OrderView) -> int:
        async with tenant_for(self.creator_id) as tenant, tenant.scope():
            return int(await Grant.count().where(Grant.order_id == order.id))

    def emails_to(self, order: checkout.OrderView) -> list[Any]:
        return [mail for mail in self.app.state.jobs.email.emails if mail.to == order.email]


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[Platform]:
    """The app on a loopback port (tests/storefront/live.py) with a creator and a download to sell."""
    async with live(settings) as shop:
        async with tenant_for(shop.creator.id) as tenant:
            product = await catalog.create_product(
                tenant,
                catalog.NewProduct("download", "Injera at home", catalog.ProductChanges(price_santim=25000)),
            )
            await catalog.add_file(
                tenant,
                product.id,
                storage.build_storage(shop.settings),
                PDF,
                "guide.pdf",
                max_bytes=10_000_000,
            )
            product = await catalog.get_product(tenant, product.id)
        providers = build_providers(shop.settings)
        try:
            yield Platform(shop.settings, shop.app, shop.new_client(), providers, shop.creator.id, product)
        finally:
            await providers.aclose()


async def test_a_paid_order_is_delivered_once(platform: Platform) -> None:
    order = await platform.order()
    attempt = await platform.start(order)
    assert attempt.status == "started" and attempt.redirect_url.endswith(
        f"/sandbox-pay/pay/{attempt.reference}"
    )
    assert (await platform.start(order)).id == attempt.id  # a refresh does not start a second payment
    await platform.pay(attempt, notify="duplicate")
    await drain_jobs(platform.app)  # the gateway's notifications, then the buyer's links
    await drain_jobs(platform.app)
    assert await platform.status(order) == "paid"
    assert await platform.grants(order) == 1
    mails = platform.emails_to(order)
    assert len(mails) == 1 and "/download/" in mails[0].body
    async with tenant_for(platform.creator_id) as tenant:
        earned = await ledger.balance(tenant)
    fee = order.amount_santim * platform.settings.platform_fee_bps // 10_000  # the sandbox keeps nothing
    assert (earned.pending, earned.available) == (order.amount_santim - fee, 0)  # held, then available


async def test_a_notification_that_never_comes_is_reconciled(platform: Platform) -> None:
    order = await platform.order()
    attempt = await platform.start(order)
    await platform.pay(attempt, notify="drop")
    await drain_jobs(platform.app)
    assert await platform.status(order) == "pending"
    await Job.update({Job.run_at: dt.datetime.now(dt.UTC)}).where(Job.name == payments.RECONCILE_JOB)
    await drain_jobs(platform.app)
    assert await platform.status(order) == "paid" and await platform.grants(order) == 1


async def _signed(platform: Platform, attempt: payments.Attempt, **body: Any) -> tuple[bytes, dict[str, str]]:
    payload = {
        "event": "payment.updated",
        "notification_id": uuid.uuid4().hex,
        "reference": attempt.reference,
        "status": "paid",
        "amount": attempt.amount_santim,
        "currency": attempt.currency,
        **body,
    }
    raw = json.dumps(payload).encode()
    signature = hmac_sha256_hex(platform.settings.effective_sandbox_secret, raw)
    return raw, {"content-type": "application/json", "x-sandbox-signature": signature}


async def _notify(platform: Platform, raw: bytes, headers: dict[str, str]) -> httpx.Response:
    return await platform.client.post("/webhooks/sandbox", content=raw, headers=headers)


async def test_forged_unknown_and_unpaid_notifications_change_nothing(platform: Platform) -> None:
    order = await platform.order()
    attempt = await platform.start(order)
    raw, headers = await _signed(platform, attempt)
    # The gateway has not been paid: an authentic "paid" notification is only a hint, and the provider says no.
    assert (await _notify(platform, raw, headers)).json() == {"status": "pending"}
    forged = await _notify(platform, raw, {**headers, "x-sandbox-signature": "0" * 64})
    assert forged.status_code == 400 and forged.headers["content-type"].startswith("application/problem+json")
    tampered = await _notify(platform, raw.replace(b"paid", b"PAID"), headers)
    assert tampered.status_code == 400
    unknown_raw, unknown_headers = await _signed(
        platform, dataclasses.replace(attempt, reference=f"{uuid.uuid4().hex}-{'ab' * 6}")
    )
    assert (await _notify(platform, unknown_raw, unknown_headers)).status_code == 404
    assert (await platform.client.post("/webhooks/nowhere", content=raw, headers=headers)).status_code == 404
    assert await platform.status(order) == "pending" and await platform.grants(order) == 0


@pytest.mark.parametrize("column", ["amount_santim", "currency"])
async def test_a_payment_of_another_amount_or_currency_pays_nothing(platform: Platform, column: str) -> None:
    order = await platform.order()
    attempt = await platform.start(order)
    await platform.pay(attempt, notify="drop")
    # As if the provider had collected something else than the order asked for.
    wrong = {"amount_santim": attempt.amount_santim + 1, "currency": "USD"}[column]
    async with tenant_for(platform.creator_id) as tenant, tenant.scope():
        await PaymentAttempt.update({getattr(PaymentAttempt, column): wrong}).where(
            PaymentAttempt.id == attempt.id
        )
    raw, headers = await _signed(platform, attempt)
    response = await _notify(platform, raw, headers)
    assert response.status_code == 409
    assert await platform.status(order) == "pending" and await platform.grants(order) == 0


async def test_a_provider_that_times_out_at_start_charges_nothing(settings: Settings) -> None:
    async def never(request: Recorded) -> Reply:
        await stalled.never.wait()
        return Reply()

    async with LoopbackServer(never) as stalled:
        slow = dataclasses.replace(
            settings,
            sandbox_url=stalled.url,
            payment_timeout_seconds=0.2,
            payment_retry_backoff_seconds=0.001,
        )
        app = create_app(slow)
        async with serve(app):
            creator_id = uuid.uuid4()
            offer = checkout.Offer(uuid.uuid4(), creator_id, "Coffee ceremony course", 50_000)
            async with tenant_for(creator_id) as tenant:
                order = await checkout.place_order(
                    tenant,
                    offer,
                    checkout.CheckoutRequest(uuid.uuid4().hex, "Sara", "sara@example.com", None, "card"),
                )
            providers = build_providers(slow)
            try:
                with pytest.raises(PaymentError) as raised:
                    await payments.start_payment(
                        creator_id,
                        order.id,
                        providers=providers,
                        links=payments.Links("http://r", "http://n"),
                        locale="am",
                    )
            finally:
                await providers.aclose()
            assert raised.value.code == ErrorCode.PROVIDER_TIMEOUT
            assert len(stalled.calls("POST", "/api/payments")) == 1  # starting is never repeated by itself
            async with tenant_for(creator_id) as tenant:
                assert [a.status for a in await payments.attempts_for(tenant, order.id)] == ["unknown"]
                assert (await checkout.get_order(tenant, order.id)).status == "pending"


@postgres_only
async def test_fifty_notifications_at_once_pay_once_and_replays_change_nothing(platform: Platform) -> None:
    order = await platform.order()
    attempt = await platform.start(order)
    await platform.pay(attempt, notify="drop")
    raw, headers = await _signed(platform, attempt)
    responses = await asyncio.gather(*(_notify(platform, raw, headers) for _ in range(50)))
    assert {response.status_code for response in responses} == {200}
    assert await platform.status(order) == "paid" and await platform.grants(order) == 1
    async with tenant_for(platform.creator_id) as tenant, tenant.scope():
        assert await LedgerTransaction.count().where(LedgerTransaction.creator_id == platform.creator_id) == 1
    sends = await Job.count().where(Job.name == "delivery.send_links")
    for _ in range(100):
        assert (await _notify(platform, raw, headers)).status_code == 200
    assert await platform.grants(order) == 1
    assert await Job.count().where(Job.name == "delivery.send_links") == sends
    await drain_jobs(platform.app)
    assert len(platform.emails_to(order)) == 1


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_started_payments_and_notifications_are_counted_for_the_alerts(platform: Platform) -> None:
    """The payment alerts (components/manifests.py) compare started payments with notifications that paid."""
    notified = "windsurf_payment_notifications_total"
    before = {
        outcome: _count(notified, provider="sandbox", outcome=outcome)
        for outcome in ("paid", "duplicate", "pending", "refused", "unknown")
    }
    started = _count("windsurf_payments_started_total", provider="sandbox")
    order = await platform.order()
    attempt = await platform.start(order)
    raw, headers = await _signed(platform, attempt)
    await _notify(platform, raw, headers)  # not paid yet: pending
    await _notify(platform, raw, {**headers, "x-sandbox-signature": "0" * 64})
    unknown_raw, unknown_headers = await _signed(
        platform, dataclasses.replace(attempt, reference=f"{uuid.uuid4().hex}-{'ab' * 6}")
    )
    await _notify(platform, unknown_raw, unknown_headers)
    await platform.pay(attempt, notify="duplicate")
    await drain_jobs(platform.app)
    assert await platform.status(order) == "paid"
    after = {outcome: _count(notified, provider="sandbox", outcome=outcome) for outcome in before}
    assert _count("windsurf_payments_started_total", provider="sandbox") == started + 1
    assert {outcome: after[outcome] - before[outcome] for outcome in before} == {
        "paid": 1,
        "duplicate": 1,
        "pending": 1,
        "refused": 1,
        "unknown": 1,
    }

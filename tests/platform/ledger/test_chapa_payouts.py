"""Approved payouts sent through Chapa's transfers API (a loopback Chapa speaking its protocol): once, never twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from tests.conftest import make_settings
from tests.platform.payments.fakes import FakeChapa
from windsurf.core.errors import ServiceError
from windsurf.core.tables import Job
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity.service import Account
from windsurf.ledger import service
from windsurf.ledger.executors import ChapaPayoutExecutor
from windsurf.ledger.payouts import TRANSFER_STATUS_JOB
from windsurf.payments.providers.chapa import ChapaProvider
from windsurf.payments.providers.registry import build_provider

READY = service.LedgerPolicy(holding=dt.timedelta(0), payout_minimum=10_000, platform_fee_bps=0)
STAFF = Account(
    id=uuid.uuid4(), handle=None, display_name="Ops", email=None, phone=None, locale="en", is_staff=True
)


@pytest.fixture
async def chapa() -> AsyncIterator[tuple[FakeChapa, ChapaProvider]]:
    fake = FakeChapa()
    async with fake.server:
        settings = make_settings(
            payment_providers=("chapa",),
            payment_timeout_seconds=0.5,
            payment_retries=1,
            payment_retry_backoff_seconds=0.001,
            chapa_base_url=fake.server.url,
            chapa_secret_key=FakeChapa.SECRET,
            chapa_webhook_secret=FakeChapa.WEBHOOK_SECRET,
        )
        adapter = build_provider("chapa", settings)
        assert isinstance(adapter, ChapaProvider)
        yield fake, adapter
        await adapter.aclose()


async def approved_payout(amount: int) -> tuple[uuid.UUID, uuid.UUID]:
    creator = uuid.uuid4()
    async with tenant_for(creator) as tenant:
        await service.post_sale(
            tenant, order_reference=uuid.uuid4().hex, gross=amount, provider_fee=0, policy=READY
        )
        destination = await service.add_destination(tenant, kind="telebirr", phone="0911 234 567")
        payout = await service.request_payout(
            tenant, destination_id=destination.id, amount=amount, policy=READY
        )
    async with unit_of_work() as uow:
        await service.approve(uow, STAFF, payout.id, "checked")
    return creator, payout.id


async def test_a_transfer_is_sent_once_and_the_payout_waits_for_confirmation(
    app: Litestar, chapa: tuple[FakeChapa, ChapaProvider]
) -> None:
    fake, adapter = chapa
    creator, payout_id = await approved_payout(40_000)
    executor = ChapaPayoutExecutor(adapter)
    # Two staff press Send at the same moment: one transfer.
    outcomes = await asyncio.gather(
        service.execute(STAFF, payout_id, executor),
        service.execute(STAFF, payout_id, executor),
        return_exceptions=True,
    )
    [sent] = [outcome for outcome in outcomes if isinstance(outcome, service.PayoutView)]
    [refused] = [outcome for outcome in outcomes if isinstance(outcome, ServiceError)]
    assert "already" in refused.message
    assert sent.status == "approved" and sent.provider_reference == str(payout_id)
    transfer = fake.transfers[str(payout_id)]
    assert (transfer["amount"], transfer["account_number"], transfer["bank_code"]) == (
        "400.00",
        "0911234567",
        "855",
    )
    assert [(e.from_status, e.to_status) for e in sent.events][-1] == ("approved", "approved")

    with pytest.raises(ServiceError):  # a later click never sends the money twice
        await service.execute(STAFF, payout_id, executor)
    assert len(fake.server.calls("POST", "/v1/transfers")) == 1

    async with unit_of_work() as uow:
        paid = await service.mark_paid(uow, STAFF, payout_id, str(payout_id))
    assert paid.status == "paid"
    async with tenant_for(creator) as tenant:
        balance = await service.balance(tenant)
    assert (balance.available, balance.in_review, balance.paid_out) == (0, 0, 40_000)


async def test_a_declined_transfer_fails_the_payout_and_returns_the_money(
    app: Litestar, chapa: tuple[FakeChapa, ChapaProvider]
) -> None:
    _fake, adapter = chapa
    creator, payout_id = await approved_payout(10_000_100)  # more than the fake Chapa balance allows
    failed = await service.execute(STAFF, payout_id, ChapaPayoutExecutor(adapter))
    assert failed.status == "failed" and "Insufficient Balance" in failed.reason
    async with tenant_for(creator) as tenant:
        assert (await service.balance(tenant)).available == 10_000_100


async def test_a_timeout_leaves_the_transfer_followed(
    app: Litestar, chapa: tuple[FakeChapa, ChapaProvider]
) -> None:
    """The provider's answer never came: the transfer may exist, so the payout keeps its reference (no second
    send) and the job that follows every transfer settles it when the provider answers."""
    fake, adapter = chapa
    creator, payout_id = await approved_payout(20_000)
    fake.faults.stall.add("/v1/transfers")
    with pytest.raises(ServiceError) as unanswered:
        await service.execute(STAFF, payout_id, ChapaPayoutExecutor(adapter))
    assert "The transfer is followed" in unanswered.value.message
    async with tenant_for(creator) as tenant:
        payout = await service.get_payout(tenant, payout_id)
        assert (payout.status, payout.provider_reference) == ("approved", str(payout_id))
        assert (await service.balance(tenant)).in_review == 20_000
    async with unit_of_work() as uow, uow.scope():
        followed = await Job.select(Job.payload).where(Job.name == TRANSFER_STATUS_JOB).output(load_json=True)
    assert any(job["payload"]["payout_id"] == str(payout_id) for job in followed)
    with pytest.raises(ServiceError):  # and Send is refused: it could pay twice
        await service.execute(STAFF, payout_id, ChapaPayoutExecutor(adapter))

"""The books: sales post once and balanced, refunds reverse in proportion and never past the sale, balances are
sums of entries split by the holding period."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

import pytest
from litestar import Litestar

from windsurf.core.errors import InvalidInput, ServiceError
from windsurf.core.uow import tenant_for
from windsurf.ledger import books, service
from windsurf.ledger.tables import LedgerEntry, LedgerTransaction

POLICY = service.LedgerPolicy(holding=dt.timedelta(days=7), payout_minimum=10_000, platform_fee_bps=500)


async def entries_of(creator_id: uuid.UUID) -> list[dict[str, object]]:
    async with tenant_for(creator_id) as tenant, tenant.scope():
        return list(await LedgerEntry.select().where(LedgerEntry.creator_id == creator_id))


def assert_balanced(entries: list[dict[str, object]]) -> None:
    sums: dict[object, int] = defaultdict(int)
    for entry in entries:
        sums[entry["transaction_id"]] += int(str(entry["amount"]))
    assert sums and all(total == 0 for total in sums.values()), sums


async def test_a_sale_posts_one_balanced_transaction_once(app: Litestar) -> None:
    creator = uuid.uuid4()
    order = f"ord-{uuid.uuid4().hex}"
    async with tenant_for(creator) as tenant:
        first = await service.post_sale(
            tenant, order_reference=order, gross=50_000, provider_fee=1_500, policy=POLICY
        )
    for _ in range(3):  # duplicate notifications, a retried job
        async with tenant_for(creator) as tenant:
            again = await service.post_sale(
                tenant, order_reference=order, gross=50_000, provider_fee=1_500, policy=POLICY
            )
        assert again == first
    entries = await entries_of(creator)
    assert_balanced(entries)
    legs = {entry["account"]: entry["amount"] for entry in entries}
    assert legs == {
        books.BUYER: 50_000,
        books.PROVIDER_FEES: -1_500,
        books.PLATFORM_FEES: -2_500,
        books.CREATOR: -46_000,
    }
    async with tenant_for(creator) as tenant:
        now = books.now()
        held = await service.balance(tenant, at=now)
        assert (held.pending, held.available, held.paid_out) == (46_000, 0, 0)
        assert held.next_available_at is not None and held.next_available_at > now + dt.timedelta(days=6)
        later = await service.balance(tenant, at=now + dt.timedelta(days=8))
        assert (later.pending, later.available) == (0, 46_000)


async def test_fees_larger_than_the_payment_are_refused(app: Litestar) -> None:
    async with tenant_for(uuid.uuid4()) as tenant:
        with pytest.raises(ServiceError):
            await service.post_sale(tenant, order_reference="x", gross=1_000, provider_fee=990, policy=POLICY)
        with pytest.raises(ServiceError):
            await service.post_sale(tenant, order_reference="y", gross=0, provider_fee=0, policy=POLICY)


async def test_an_unbalanced_transaction_is_never_written(app: Litestar) -> None:
    creator = uuid.uuid4()
    async with tenant_for(creator) as tenant:
        with pytest.raises(service.UnbalancedTransaction):
            await books._post(
                tenant, "sale", "lopsided", [books.Leg(books.BUYER, 100), books.Leg(books.CREATOR, -99)]
            )
    async with tenant_for(creator) as tenant, tenant.scope():
        assert not await LedgerTransaction.exists().where(LedgerTransaction.creator_id == creator)


async def test_partial_refunds_reverse_proportionally_and_stop_at_the_sale(app: Litestar) -> None:
    creator = uuid.uuid4()
    order = f"ord-{uuid.uuid4().hex}"
    async with tenant_for(creator) as tenant:
        await service.post_sale(
            tenant, order_reference=order, gross=10_001, provider_fee=333, platform_fee=777, policy=POLICY
        )
        await service.post_refund(tenant, order_reference=order, refund_reference="r1", amount=3_000)
        # The same refund again (a double click) posts nothing more.
        await service.post_refund(tenant, order_reference=order, refund_reference="r1", amount=3_000)
    async with tenant_for(creator) as tenant:
        with pytest.raises(InvalidInput):
            await service.post_refund(tenant, order_reference=order, refund_reference="r2", amount=7_002)
    async with tenant_for(creator) as tenant:
        with pytest.raises(InvalidInput):
            await service.post_refund(tenant, order_reference=order, refund_reference="r0", amount=0)
    async with tenant_for(creator) as tenant:
        with pytest.raises(ServiceError):
            await service.post_refund(
                tenant, order_reference="no-such-order", refund_reference="r9", amount=1
            )
    async with tenant_for(creator) as tenant:
        await service.post_refund(tenant, order_reference=order, refund_reference="r2", amount=7_001)
    entries = await entries_of(creator)
    assert_balanced(entries)
    totals: dict[object, int] = defaultdict(int)
    for entry in entries:
        totals[entry["account"]] += int(str(entry["amount"]))
    # Refunded in full: every account back to zero, whatever the rounding of the partial refunds.
    assert all(total == 0 for total in totals.values()), totals
    async with tenant_for(creator) as tenant:
        with pytest.raises(InvalidInput):
            await service.post_refund(tenant, order_reference=order, refund_reference="r3", amount=1)
        assert (await service.balance(tenant)).total == 0


async def test_a_creator_cannot_post_into_another_creators_sale(app: Litestar) -> None:
    order = f"ord-{uuid.uuid4().hex}"
    async with tenant_for(uuid.uuid4()) as tenant:
        await service.post_sale(tenant, order_reference=order, gross=5_000, provider_fee=0, policy=POLICY)
    async with tenant_for(uuid.uuid4()) as other:
        with pytest.raises(ServiceError):
            await service.post_sale(other, order_reference=order, gross=5_000, provider_fee=0, policy=POLICY)
    async with tenant_for(uuid.uuid4()) as other:
        with pytest.raises(ServiceError):
            await service.post_refund(other, order_reference=order, refund_reference="steal", amount=100)

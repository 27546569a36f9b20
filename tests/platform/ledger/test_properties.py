"""Property: any sequence of sales, fees, refunds and payouts keeps every transaction balanced, every balance equal to
the sum of its entries (and to an independent model), and no balance negative through a payout. Both backends."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar

from windsurf.core.errors import InvalidInput
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity.service import Account
from windsurf.ledger import books, service
from windsurf.ledger.tables import LedgerEntry

MINIMUM = 1_000
HELD = service.LedgerPolicy(holding=dt.timedelta(days=7), payout_minimum=MINIMUM, platform_fee_bps=0)
READY = service.LedgerPolicy(holding=dt.timedelta(0), payout_minimum=MINIMUM, platform_fee_bps=0)
STAFF = Account(
    id=uuid.uuid4(), handle=None, display_name="Ops", email=None, phone=None, locale="en", is_staff=True
)


@st.composite
def sales(draw: Any) -> tuple[str, int, int, int, bool]:
    gross = draw(st.integers(1, 500_000))
    provider = draw(st.integers(0, gross))
    platform = draw(st.integers(0, gross - provider))
    return ("sale", gross, provider, platform, draw(st.booleans()))


steps = st.lists(
    st.one_of(
        sales(),
        st.tuples(st.just("refund"), st.integers(0, 20), st.integers(-10, 500_000)),
        st.tuples(st.just("payout"), st.integers(0, 600_000)),
        st.tuples(st.just("decide"), st.integers(0, 20), st.sampled_from(["paid", "rejected", "failed"])),
    ),
    min_size=1,
    max_size=12,
)


@dataclass
class Sale:
    reference: str
    gross: int
    earnings: int
    ready: bool
    refunded: int = 0

    @property
    def remaining_earnings(self) -> int:
        # The creator's share of refunds is taken cumulatively, rounded down (the platform absorbs rounding).
        return self.earnings - self.earnings * self.refunded // self.gross


@dataclass
class Model:
    sales: list[Sale] = field(default_factory=list)
    payouts: dict[uuid.UUID, tuple[int, str]] = field(default_factory=dict)

    def held(self) -> int:
        return sum(amount for amount, status in self.payouts.values() if status in {"requested", "approved"})

    def paid(self) -> int:
        return sum(amount for amount, status in self.payouts.values() if status == "paid")

    def available(self) -> int:
        ready = sum(sale.remaining_earnings for sale in self.sales if sale.ready)
        return ready - self.held() - self.paid()

    def pending(self) -> int:
        return sum(sale.remaining_earnings for sale in self.sales if not sale.ready)


async def check(creator: uuid.UUID, model: Model) -> None:
    async with tenant_for(creator) as tenant:
        async with tenant.scope():
            entries = await LedgerEntry.select().where(LedgerEntry.creator_id == creator)
        balance = await service.balance(tenant)
    per_transaction: dict[Any, int] = defaultdict(int)
    per_account: dict[str, int] = defaultdict(int)
    for entry in entries:
        per_transaction[entry["transaction_id"]] += entry["amount"]
        per_account[entry["account"]] += entry["amount"]
    assert all(total == 0 for total in per_transaction.values()), per_transaction
    # Each figure is the sum of its account's entries ...
    assert balance.total == -per_account[books.CREATOR]
    assert balance.in_review == -per_account[books.IN_FLIGHT]
    assert balance.paid_out == -per_account[books.SENT]
    assert per_account[books.BUYER] == sum(sale.gross - sale.refunded for sale in model.sales)
    # ... and what an independent model of the same history says.
    assert (balance.available, balance.pending) == (model.available(), model.pending())
    assert (balance.in_review, balance.paid_out) == (model.held(), model.paid())


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
async def test_any_history_keeps_the_books_balanced(app: Litestar, history: list[tuple[Any, ...]]) -> None:
    creator = uuid.uuid4()
    model = Model()
    async with tenant_for(creator) as tenant:
        destination = (await service.add_destination(tenant, kind="telebirr", phone="0911234567")).id
    for step in history:
        kind = step[0]
        if kind == "sale":
            _, gross, provider, platform, ready = step
            sale = Sale(uuid.uuid4().hex, gross, gross - provider - platform, ready)
            async with tenant_for(creator) as tenant:
                await service.post_sale(
                    tenant,
                    order_reference=sale.reference,
                    gross=gross,
                    provider_fee=provider,
                    platform_fee=platform,
                    policy=READY if ready else HELD,
                )
            model.sales.append(sale)
        elif kind == "refund" and model.sales:
            sale = model.sales[step[1] % len(model.sales)]
            amount = step[2]
            accepted = 0 < amount <= sale.gross - sale.refunded
            try:
                async with tenant_for(creator) as tenant:
                    await service.post_refund(
                        tenant,
                        order_reference=sale.reference,
                        refund_reference=uuid.uuid4().hex,
                        amount=amount,
                    )
            except InvalidInput:
                assert not accepted
            else:
                assert accepted
                sale.refunded += amount
        elif kind == "payout":
            amount = step[1]
            accepted = MINIMUM <= amount <= model.available()
            try:
                async with tenant_for(creator) as tenant:
                    payout = await service.request_payout(
                        tenant, destination_id=destination, amount=amount, policy=READY
                    )
            except InvalidInput:
                assert not accepted
            else:
                assert accepted
                model.payouts[payout.id] = (amount, "requested")
                assert model.available() >= 0  # a payout never takes the balance below zero
        elif kind == "decide" and model.payouts:
            payout_id = list(model.payouts)[step[1] % len(model.payouts)]
            amount, status = model.payouts[payout_id]
            outcome = step[2]
            if status != "requested":
                continue
            async with unit_of_work() as uow:
                if outcome == "rejected":
                    await service.reject(uow, STAFF, payout_id, "does not match")
                else:
                    await service.approve(uow, STAFF, payout_id, "checked")
            if outcome != "rejected":
                async with unit_of_work() as uow:
                    if outcome == "paid":
                        await service.mark_paid(uow, STAFF, payout_id, "REF-1")
                    else:
                        await service.mark_failed(uow, STAFF, payout_id, "wallet closed")
            model.payouts[payout_id] = (amount, outcome)
        await check(creator, model)

"""Payouts: destinations validated, requests held against the available balance (never overdrawn, even at once),
staff decisions with reasons, each state change audited."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from litestar import Litestar

from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity.service import Account
from windsurf.ledger import service
from windsurf.ledger.tables import PayoutEvent

POLICY = service.LedgerPolicy(holding=dt.timedelta(days=7), payout_minimum=10_000, platform_fee_bps=0)
NO_HOLD = service.LedgerPolicy(holding=dt.timedelta(0), payout_minimum=10_000, platform_fee_bps=0)


def staff_account(*, is_staff: bool = True) -> Account:
    return Account(
        id=uuid.uuid4(),
        handle=None,
        display_name="Ops",
        email="ops@windsurf.et",
        phone=None,
        locale="en",
        is_staff=is_staff,
    )


async def funded_creator(available: int, pending: int = 0) -> tuple[uuid.UUID, uuid.UUID]:
    """A creator with ``available`` santim ready to pay out (and ``pending`` still held) and a telebirr number."""
    creator = uuid.uuid4()
    async with tenant_for(creator) as tenant:
        if available:
            await service.post_sale(
                tenant, order_reference=uuid.uuid4().hex, gross=available, provider_fee=0, policy=NO_HOLD
            )
        if pending:
            await service.post_sale(
                tenant, order_reference=uuid.uuid4().hex, gross=pending, provider_fee=0, policy=POLICY
            )
        destination = await service.add_destination(tenant, kind="telebirr", phone="0911 234 567")
    return creator, destination.id


async def test_destinations_are_validated(app: Litestar) -> None:
    async with tenant_for(uuid.uuid4()) as tenant:
        telebirr = await service.add_destination(tenant, kind="telebirr", phone="0911-23-45-67")
        assert telebirr.phone == "+251911234567"
        bank = await service.add_destination(
            tenant, kind="bank", bank="cbe", account_number="1000 2345 6789", account_name="  Hana   Tesfaye "
        )
        assert (bank.account_number, bank.account_name) == ("100023456789", "Hana Tesfaye")
        assert [d.id for d in await service.list_destinations(tenant)] == [telebirr.id, bank.id]
        for phone in ("0711 234 567", "12345", "+1 202 555 0100", ""):  # Safaricom, junk, abroad, nothing
            with pytest.raises(InvalidInput) as raised:
                await service.add_destination(tenant, kind="telebirr", phone=phone)
            assert set(raised.value.errors) == {"phone"}
        with pytest.raises(InvalidInput) as raised:
            await service.add_destination(
                tenant, kind="bank", bank="nope", account_number="12ab", account_name=""
            )
        assert set(raised.value.errors) == {"bank", "account_number", "account_name"}
        with pytest.raises(InvalidInput):
            await service.add_destination(tenant, kind="cash")


def test_amounts_are_read_as_birr_into_santim() -> None:
    assert service.parse_amount("1,250.50") == 125_050
    assert service.parse_amount(" 300 ") == 30_000
    assert service.parse_amount("0.5") == 50
    for raw in ("", "-5", "1.234", "abc", "1e3", "NaN"):
        with pytest.raises(InvalidInput):
            service.parse_amount(raw)


async def test_a_request_holds_the_money_and_respects_minimum_and_balance(app: Litestar) -> None:
    creator, destination = await funded_creator(available=30_000, pending=20_000)
    async with tenant_for(creator) as tenant:
        outlook = await service.outlook(tenant, POLICY)
        assert (outlook.balance.available, outlook.balance.pending) == (30_000, 20_000)
        assert outlook.upcoming and outlook.upcoming[0][1] == 20_000 and outlook.can_request
        with pytest.raises(InvalidInput) as raised:
            await service.request_payout(tenant, destination_id=destination, amount=9_999, policy=POLICY)
        assert raised.value.errors == {"amount": "This is below the minimum payout."}
        with pytest.raises(InvalidInput) as raised:  # pending money cannot be paid out yet
            await service.request_payout(tenant, destination_id=destination, amount=30_001, policy=POLICY)
        assert raised.value.errors == {"amount": "That is more than your available balance."}
        with pytest.raises(InvalidInput):
            await service.request_payout(tenant, destination_id=uuid.uuid4(), amount=10_000, policy=POLICY)
        payout = await service.request_payout(
            tenant, destination_id=destination, amount=25_000, policy=POLICY
        )
        assert payout.status == "requested" and payout.expected_by is not None
        after = await service.outlook(tenant, POLICY)
        assert (after.balance.available, after.balance.in_review) == (5_000, 25_000)
        assert after.below_minimum and [p.id for p in after.open_payouts] == [payout.id]


async def test_staff_approve_and_mark_paid_with_every_step_audited(app: Litestar) -> None:
    creator, destination = await funded_creator(available=50_000)
    async with tenant_for(creator) as tenant:
        payout = await service.request_payout(
            tenant, destination_id=destination, amount=40_000, policy=POLICY
        )
    staff = staff_account()
    async with unit_of_work() as uow:
        assert payout.id in {p.id for p in await service.staff_queue(uow, staff)}
    async with unit_of_work() as uow:
        with pytest.raises(InvalidInput):  # a decision needs a reason
            await service.approve(uow, staff, payout.id, "  ")
    async with unit_of_work() as uow:
        approved = await service.approve(uow, staff, payout.id, "Identity checked")
    assert approved.status == "approved" and approved.reason == "Identity checked"
    async with unit_of_work() as uow:
        with pytest.raises(ServiceError):  # already decided: a second click changes nothing
            await service.reject(uow, staff, payout.id, "too late")
    async with unit_of_work() as uow:
        paid = await service.mark_paid(uow, staff, payout.id, "TT-2026-0042")
    assert paid.status == "paid" and paid.provider_reference == "TT-2026-0042"
    assert [(e.from_status, e.to_status, e.actor_role) for e in paid.events] == [
        ("", "requested", "creator"),
        ("requested", "approved", "staff"),
        ("approved", "paid", "staff"),
    ]
    async with tenant_for(creator) as tenant, tenant.scope():
        actors = await PayoutEvent.select(PayoutEvent.actor_id).where(PayoutEvent.payout_id == payout.id)
    assert [row["actor_id"] for row in actors].count(staff.id) == 2
    async with tenant_for(creator) as tenant:
        balance = await service.balance(tenant)
    assert (balance.available, balance.in_review, balance.paid_out) == (10_000, 0, 40_000)


async def test_rejected_and_failed_payouts_give_the_money_back(app: Litestar) -> None:
    creator, destination = await funded_creator(available=30_000)
    staff = staff_account()
    async with tenant_for(creator) as tenant:
        first = await service.request_payout(tenant, destination_id=destination, amount=30_000, policy=POLICY)
    async with unit_of_work() as uow:
        await service.reject(uow, staff, first.id, "The name on the wallet does not match")
    async with tenant_for(creator) as tenant:
        assert (await service.balance(tenant)).available == 30_000
        second = await service.request_payout(
            tenant, destination_id=destination, amount=30_000, policy=POLICY
        )
        assert (await service.get_payout(tenant, first.id)).reason == "The name on the wallet does not match"

    class Refusing:
        async def send(self, instruction: service.PayoutInstruction) -> service.ExecutionResult:
            assert instruction.amount == 30_000 and instruction.destination.phone == "+251911234567"
            return service.ExecutionResult(sent=False, message="wallet is suspended")

    async with unit_of_work() as uow:
        await service.approve(uow, staff, second.id, "ok")
    failed = await service.execute(staff, second.id, Refusing())
    assert failed.status == "failed" and failed.reason == "wallet is suspended"
    async with tenant_for(creator) as tenant:
        balance = await service.balance(tenant)
    assert (balance.available, balance.in_review, balance.paid_out) == (30_000, 0, 0)


async def test_only_staff_see_the_queue_and_creators_only_their_own_payouts(app: Litestar) -> None:
    creator, destination = await funded_creator(available=20_000)
    async with tenant_for(creator) as tenant:
        payout = await service.request_payout(
            tenant, destination_id=destination, amount=20_000, policy=POLICY
        )
    async with unit_of_work() as uow:
        with pytest.raises(NotFoundError):
            await service.staff_queue(uow, staff_account(is_staff=False))
    async with unit_of_work() as uow:
        with pytest.raises(NotFoundError):
            await service.approve(uow, staff_account(is_staff=False), payout.id, "sure")
    async with tenant_for(uuid.uuid4()) as other:
        with pytest.raises(NotFoundError):
            await service.get_payout(other, payout.id)
        assert await service.list_payouts(other) == []


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_requests_at_once_for_the_whole_balance_pay_once(app: Litestar) -> None:
    from windsurf.core import db

    assert db.is_postgres(db.bound_engine())
    creator, destination = await funded_creator(available=50_000)
    start = asyncio.Event()

    async def request() -> str:
        await start.wait()
        try:
            async with tenant_for(creator) as tenant:
                await service.request_payout(tenant, destination_id=destination, amount=50_000, policy=POLICY)
        except InvalidInput as exc:
            return exc.errors["amount"]
        return "ok"

    tasks = [asyncio.create_task(request()) for _ in range(4)]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*tasks)
    assert sorted(results) == ["That is more than your available balance."] * 3 + ["ok"]
    async with tenant_for(creator) as tenant:
        balance = await service.balance(tenant)
        assert (balance.available, balance.in_review) == (0, 50_000)
        assert len(await service.list_payouts(tenant)) == 1

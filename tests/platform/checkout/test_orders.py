"""Orders: priced on the server, one per submission, limits and discount uses that hold under concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from litestar import Litestar

from windsurf.checkout import service
from windsurf.checkout.service import CheckoutRequest, NewDiscount, Offer, OrderError
from windsurf.core.errors import InvalidInput, NotFoundError
from windsurf.core.uow import tenant_for

postgres_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def _offer(creator: uuid.UUID, **changes: object) -> Offer:
    values: dict[str, object] = {
        "product_id": uuid.uuid4(),
        "creator_id": creator,
        "title": "Addis Ababa street food guide",
        "price_santim": 25_000,
    }
    values.update(changes)
    return Offer(**values)  # type: ignore[arg-type]


def _request(**changes: object) -> CheckoutRequest:
    values: dict[str, object] = {
        "submission_key": uuid.uuid4().hex,
        "buyer_name": "Abebe Kebede",
        "email": "abebe@example.com",
        "phone": None,
        "method": "telebirr",
    }
    values.update(changes)
    return CheckoutRequest(**values)  # type: ignore[arg-type]


async def _place(offer: Offer, request: CheckoutRequest) -> service.OrderView:
    async with tenant_for(offer.creator_id) as tenant:
        return await service.place_order(tenant, offer, request)


async def _discount(creator: uuid.UUID, **fields: object) -> service.DiscountView:
    values: dict[str, object] = {"code": "MESKEL", "kind": "percent", "value": 20}
    values.update(fields)
    async with tenant_for(creator) as tenant:
        return await service.create_discount(tenant, NewDiscount(**values))  # type: ignore[arg-type]


async def test_the_price_is_the_servers_and_a_resubmission_is_the_same_order(app: Litestar) -> None:
    offer = _offer(uuid.uuid4())
    request = _request()
    first = await _place(offer, request)
    again = await _place(offer, request)
    assert again.id == first.id and again.number == first.number
    assert (first.status, first.amount_santim, first.currency) == ("pending", 25_000, "ETB")
    assert len(first.number) == 10 and first.expires_at > first.created_at


async def test_pay_what_you_want_respects_the_minimum(app: Litestar) -> None:
    offer = _offer(uuid.uuid4(), price_santim=10_000, pwyw_min_santim=5_000)
    assert (await _place(offer, _request(offered_santim=7_500))).amount_santim == 7_500
    with pytest.raises(OrderError) as raised:
        await _place(offer, _request(offered_santim=4_999))
    assert raised.value.code == "below_minimum" and raised.value.field == "amount"
    # Without pay-what-you-want an offered amount is ignored: the price is the catalog's.
    fixed = _offer(offer.creator_id, price_santim=10_000)
    assert (await _place(fixed, _request(offered_santim=1))).amount_santim == 10_000


async def test_bad_buyer_input_names_every_field(app: Litestar) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _place(_offer(uuid.uuid4()), _request(buyer_name=" ", email=None, method="cash"))
    assert set(raised.value.errors) == {"name", "email", "method"}


async def test_discount_codes_percent_fixed_product_and_expiry(app: Litestar) -> None:
    creator = uuid.uuid4()
    offer = _offer(creator)
    await _discount(creator, code="meskel", kind="percent", value=20)
    await _discount(creator, code="FIFTY", kind="fixed", value=5_000)
    await _discount(creator, code="OTHER", kind="fixed", value=100, product_id=uuid.uuid4())
    percent = await _place(offer, _request(discount_code=" Meskel "))
    assert (percent.list_santim, percent.discount_santim, percent.amount_santim) == (25_000, 5_000, 20_000)
    assert (await _place(offer, _request(discount_code="fifty"))).amount_santim == 20_000
    for code, reason in (("OTHER", "code_other_product"), ("NOPE", "code_invalid")):
        with pytest.raises(OrderError) as raised:
            await _place(offer, _request(discount_code=code))
        assert raised.value.code == reason and raised.value.field == "discount_code"
    with pytest.raises(OrderError) as taken:
        await _discount(creator, code="MESKEL")
    assert taken.value.code == "code_taken"
    with pytest.raises(InvalidInput):
        await _discount(creator, code="PAST", expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))


async def test_an_expired_order_gives_back_its_place_and_its_code_use(app: Litestar) -> None:
    creator = uuid.uuid4()
    offer = _offer(creator, sales_limit=1)
    await _discount(creator, code="ONCE", kind="fixed", value=1_000, max_uses=1)
    order = await _place(offer, _request(discount_code="ONCE"))
    with pytest.raises(OrderError) as raised:
        await _place(offer, _request())
    assert raised.value.code == "sold_out"

    async with tenant_for(creator) as tenant:
        assert not await service.expire(tenant, order.id)  # not due yet
    async with tenant_for(creator) as tenant, tenant.scope():
        from windsurf.checkout.tables import Order

        await Order.update({Order.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}).where(
            Order.id == order.id
        )
    async with tenant_for(creator) as tenant:
        assert await service.expire(tenant, order.id)
        assert not await service.expire(tenant, order.id)
        assert await service.sales_taken(tenant, offer.product_id) == 0
        assert (await service.list_discounts(tenant))[0].uses == 0
    assert (await _place(offer, _request(discount_code="ONCE"))).discount_santim == 1_000


async def test_paid_once_only_for_its_own_amount(app: Litestar) -> None:
    creator = uuid.uuid4()
    order = await _place(_offer(creator), _request())
    paid = {"provider": "sandbox", "reference": "ref-1", "amount_santim": 25_000, "currency": "ETB"}
    for wrong, code in (({"amount_santim": 1}, "amount_mismatch"), ({"currency": "USD"}, "amount_mismatch")):
        async with tenant_for(creator) as tenant:
            with pytest.raises(OrderError) as raised:
                await service.mark_paid(tenant, order.id, **{**paid, **wrong})  # type: ignore[arg-type]
            assert raised.value.code == code
    async with tenant_for(creator) as tenant:
        made = await service.mark_paid(tenant, order.id, **paid)  # type: ignore[arg-type]
        assert made is not None and made.status == "paid" and made.paid_at is not None
        assert (made.provider, made.provider_reference) == ("sandbox", "ref-1")
    async with tenant_for(creator) as tenant:
        assert await service.mark_paid(tenant, order.id, **paid) is None  # type: ignore[arg-type]


async def test_another_creator_cannot_see_an_order(app: Litestar) -> None:
    order = await _place(_offer(uuid.uuid4()), _request())
    async with tenant_for(uuid.uuid4()) as other:
        with pytest.raises(NotFoundError):
            await service.get_order(other, order.id)
        assert await service.list_orders(other) == []
        with pytest.raises(NotFoundError):
            await service.place_order(other, _offer(order.creator_id), _request())


@postgres_only
async def test_a_sales_limit_holds_under_concurrent_buyers(app: Litestar) -> None:
    offer = _offer(uuid.uuid4(), sales_limit=3)
    results = await asyncio.gather(*(_place(offer, _request()) for _ in range(12)), return_exceptions=True)
    placed = [result for result in results if isinstance(result, service.OrderView)]
    refused = [result for result in results if isinstance(result, OrderError)]
    assert len(placed) == 3 and len(refused) == 9, results
    assert {error.code for error in refused} == {"sold_out"}


@postgres_only
async def test_a_double_tap_is_one_order_and_a_code_is_used_at_most_max_times(app: Litestar) -> None:
    creator = uuid.uuid4()
    offer = _offer(creator)
    request = _request()
    same = await asyncio.gather(*(_place(offer, request) for _ in range(8)))
    assert len({order.id for order in same}) == 1

    await _discount(creator, code="TWICE", kind="percent", value=10, max_uses=2)
    results = await asyncio.gather(
        *(_place(offer, _request(discount_code="TWICE")) for _ in range(8)), return_exceptions=True
    )
    assert sum(isinstance(result, service.OrderView) for result in results) == 2, results
    async with tenant_for(creator) as tenant:
        assert next(code for code in await service.list_discounts(tenant) if code.code == "TWICE").uses == 2


@postgres_only
async def test_concurrent_confirmations_pay_an_order_once(app: Litestar) -> None:
    creator = uuid.uuid4()
    order = await _place(_offer(creator), _request())

    async def confirm() -> service.OrderView | None:
        async with tenant_for(creator) as tenant:
            return await service.mark_paid(
                tenant, order.id, provider="sandbox", reference="ref-9", amount_santim=25_000, currency="ETB"
            )

    made = await asyncio.gather(*(confirm() for _ in range(20)))
    assert sum(result is not None for result in made) == 1


async def test_the_outbox_expires_an_abandoned_order(app: Litestar) -> None:
    from tests.conftest import drain_jobs
    from windsurf.checkout.tables import Order
    from windsurf.core.tables import Job

    creator = uuid.uuid4()
    offer = _offer(creator, sales_limit=1)
    order = await _place(offer, _request())
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    async with tenant_for(creator) as tenant, tenant.scope():
        await Order.update({Order.expires_at: past}).where(Order.id == order.id)
        await Job.update({Job.run_at: past}).where(Job.name == "checkout.expire_order")
    assert await drain_jobs(app) >= 1
    async with tenant_for(creator) as tenant:
        assert (await service.get_order(tenant, order.id)).status == "expired"
        assert await service.sales_taken(tenant, offer.product_id) == 0

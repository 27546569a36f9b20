"""Refunds from the creator's orders page, through the sandbox gateway's refund API over loopback HTTP.

A confirm step with a reason; the provider gives the money back; the order, the ledger, the downloads and the
buyer's message change once however often the button is pressed; another creator's order is a 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import csrf
from tests.helpers import new_phone
from tests.platform.payments.loopback import LoopbackServer, Recorded, Reply
from tests.storefront.live import Live, buy, check_page, live, orders_of, pay
from windsurf.checkout import service as checkout
from windsurf.core.errors import InvalidInput
from windsurf.core.tables import Job
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity import service as identity
from windsurf.identity.service import Account
from windsurf.ledger import service as ledger
from windsurf.ledger.tables import LedgerTransaction
from windsurf.payments import service as payments
from windsurf.payments.providers.base import ErrorCode, PaymentError
from windsurf.payments.providers.registry import Providers, build_provider
from windsurf.payments.sandbox import service as gateway
from windsurf.settings import Settings

STAFF = Account(
    id=uuid.uuid4(), handle=None, display_name="Ops", email=None, phone=None, locale="en", is_staff=True
)


async def paid_order(shop: Live, *, email: str, phone: str = "") -> tuple[dict[str, object], str]:
    product = await shop.product()
    placed, _ = await buy(shop, product.slug, email=email, phone=phone)
    done = await pay(shop, placed.headers["location"])
    [download] = re.findall(r'href="(/download/[^"]+)"', done.text)
    [order] = await orders_of(shop, product.id)
    assert order["status"] == "paid"
    return order, download


async def refund(
    shop: Live, order_id: object, reason: str, client: object = None, *, key: str = "", amount: str = ""
) -> httpx.Response:
    """Send the refund form (``key``: the one a page showed; by default a fresh form's)."""
    creator: httpx.AsyncClient = client or shop.creator.client  # type: ignore[assignment]
    return await refund_at(creator, f"/dashboard/orders/{order_id}/refund", reason, key=key, amount=amount)


def refund_legs(order: dict[str, object]) -> Any:
    """The ledger's refund transactions of ``order`` (counted in the creator's scope)."""
    return LedgerTransaction.count().where(
        (LedgerTransaction.kind == "refund") & (LedgerTransaction.reference == order["number"])
    )


def sandbox_at(shop: Live, url: str, **settings: Any) -> Providers:
    """The sandbox provider, pointed at a loopback server standing in for the gateway."""
    return Providers(
        {
            "sandbox": build_provider(
                "sandbox", dataclasses.replace(shop.settings, sandbox_url=url, **settings)
            )
        }
    )


@contextlib.asynccontextmanager
async def stalled_sandbox(shop: Live) -> AsyncIterator[Providers]:
    """The sandbox provider of a gateway that never answers: every call times out after half a second."""

    async def stall(request: Recorded) -> Reply:
        await stalled.never.wait()
        return Reply()

    async with LoopbackServer(stall) as stalled:
        yield sandbox_at(shop, stalled.url, payment_timeout_seconds=0.5)


def form_key(page: str) -> str:
    [key] = re.findall(r'name="key" value="([^"]+)"', page)
    return key


async def test_a_creator_refunds_a_paid_order_once_and_the_buyer_is_told(shop: Live) -> None:
    email = f"selam.{uuid.uuid4().hex[:6]}@example.com"
    typed, e164 = new_phone()
    shop.buyer.cookies.set("lang", "am")  # the buyer checks out in Amharic: their messages are in Amharic
    order, download = await paid_order(shop, email=email, phone=typed)
    creator = shop.creator.client

    detail = await creator.get(f"/dashboard/orders/{order['id']}")
    assert f'href="/dashboard/orders/{order["id"]}/refund"' in detail.text
    confirm = await creator.get(f"/dashboard/orders/{order['id']}/refund")
    assert confirm.status_code == 200 and confirm.headers["cache-control"] == "private, no-store"
    check_page(confirm.text)
    assert 'name="reason"' in confirm.text and 'name="amount" type="text" value="250"' in confirm.text

    no_reason = await refund(shop, order["id"], "   ")
    assert no_reason.status_code == 422 and "Give a reason for the refund" in no_reason.text

    # A double click: the same form sent twice at once, one refund.
    key = form_key(confirm.text)
    first, second = await asyncio.gather(
        refund(shop, order["id"], "The file was the wrong edition", key=key),
        refund(shop, order["id"], "The file was the wrong edition", key=key),
    )
    for answer in (first, second):
        assert answer.status_code == 303, answer.text
    done = await creator.get(first.headers["location"])
    assert "The order was refunded." in done.text and "Refund this order" not in done.text
    assert (await refund(shop, order["id"], "again")).status_code == 303  # a later click changes nothing

    [after] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert after["status"] == "refunded"
    async with unit_of_work() as uow:
        payment = await gateway.get_payment(uow, str(order["provider_reference"]))
    assert payment is not None and payment.status == "refunded"
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        refunds = await refund_legs(order)
        balance = await ledger.balance(tenant)
    assert refunds == 1 and (balance.pending, balance.available) == (0, 0)
    assert (await shop.buyer.get(download)).status_code in (403, 404, 410)

    await shop.jobs()
    # The message is in the buyer's language, the amount formatted for it.
    mails = [m for m in shop.app.state.jobs.email.emails if m.to == email and "ተመልሷል" in m.body]
    texts = [m for m in shop.app.state.jobs.sms.sms if m.to == e164 and "ተመልሷል" in m.body]
    assert len(mails) == 1 and len(texts) == 1
    assert "The file was the wrong edition" in mails[0].body and "ብር250.00" in mails[0].body


async def test_another_creators_order_cannot_be_refunded(shop: Live) -> None:
    order, download = await paid_order(shop, email=f"kebede.{uuid.uuid4().hex[:6]}@example.com")
    other = await shop.new_creator()
    assert (await other.client.get(f"/dashboard/orders/{order['id']}/refund")).status_code == 404
    assert (await refund(shop, order["id"], "not mine", client=other.client)).status_code == 404
    [after] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert after["status"] == "paid"
    assert (await shop.buyer.get(download)).status_code == 200


async def test_an_unpaid_order_is_not_refunded(shop: Live) -> None:
    product = await shop.product()
    await buy(shop, product.slug, email=f"hana.{uuid.uuid4().hex[:6]}@example.com")
    [order] = await orders_of(shop, product.id)
    page = await shop.creator.client.get(f"/dashboard/orders/{order['id']}/refund")
    assert page.status_code == 200 and 'name="reason"' not in page.text
    refused = await refund(shop, order["id"], "changed my mind")
    assert refused.status_code == 409 and "Only a paid order can be refunded." in refused.text


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_refund_after_a_payout_takes_the_balance_below_zero(settings: Settings) -> None:
    """The ledger's rule: a refund of money already paid out leaves a negative balance, and no payout until
    later sales make it up."""
    async with live(settings, ledger_holding_days=0) as shop:
        order, _ = await paid_order(shop, email=f"tigist.{uuid.uuid4().hex[:6]}@example.com")
        policy = ledger.LedgerPolicy(holding=dt.timedelta(0), payout_minimum=100, platform_fee_bps=500)
        async with tenant_for(shop.creator.id) as tenant:
            earned = (await ledger.balance(tenant)).available
            destination = await ledger.add_destination(tenant, kind="telebirr", phone="0911 234 567")
            payout = await ledger.request_payout(
                tenant, destination_id=destination.id, amount=earned, policy=policy
            )
        async with unit_of_work() as uow:
            await ledger.approve(uow, STAFF, payout.id, "checked")
        async with unit_of_work() as uow:
            await ledger.mark_paid(uow, STAFF, payout.id, "TB-1")
        assert (await refund(shop, order["id"], "Duplicate purchase")).status_code == 303
        async with tenant_for(shop.creator.id) as tenant:
            balance = await ledger.balance(tenant)
            assert (balance.available, balance.paid_out) == (-earned, earned)
            with pytest.raises(InvalidInput):
                await ledger.request_payout(tenant, destination_id=destination.id, amount=100, policy=policy)


async def test_staff_refund_a_creators_order_and_nobody_else_can(shop: Live) -> None:
    order, download = await paid_order(shop, email=f"meseret.{uuid.uuid4().hex[:6]}@example.com")
    url = f"/staff/orders/{shop.creator.id}/{order['id']}"
    # A creator (even the order's own) finds no staff page.
    assert (await shop.creator.client.get(url)).status_code == 404
    assert (await refund_at(shop.creator.client, f"{url}/refund", "mine")).status_code == 404

    email = f"support.{uuid.uuid4().hex[:8]}@windsurf.et"
    async with unit_of_work() as uow:
        await identity.create_staff(uow, email=email, password="staff password 2026", display_name="Support")
    staff = shop.new_client()
    await staff.post(
        "/login", data={"email": email, "password": "staff password 2026", "_csrf_token": await csrf(staff)}
    )
    page = await staff.get(url)
    assert page.status_code == 200 and 'name="reason"' in page.text
    check_page(page.text)
    assert (
        await staff.get(f"/staff/orders/{uuid.uuid4()}/{order['id']}")
    ).status_code == 404  # wrong creator
    refunded = await refund_at(staff, f"{url}/refund", "Buyer was charged twice by the bank")
    assert refunded.status_code == 303
    assert "The order was refunded." in (await staff.get(refunded.headers["location"])).text
    [after] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert after["status"] == "refunded"
    assert (await shop.buyer.get(download)).status_code in (403, 404, 410)


async def refund_at(
    client: httpx.AsyncClient, url: str, reason: str, *, key: str = "", amount: str = ""
) -> httpx.Response:
    fields = {
        "reason": reason,
        "amount": amount,
        "key": key or uuid.uuid4().hex,
        "_csrf_token": await csrf(client),
    }
    return await client.post(url, data=fields)


async def test_part_refunds_add_up_and_close_the_order_only_when_nothing_is_left(shop: Live) -> None:
    """250 birr paid: 100 back (the buyer keeps the download), then more than is left is refused and changes
    nothing, then the 150 left; the ledger, the gateway and the buyer's messages follow each step."""
    email = f"abeba.{uuid.uuid4().hex[:6]}@example.com"
    order, download = await paid_order(shop, email=email)
    creator = shop.creator.client

    part = await refund(shop, order["id"], "One chapter was missing", amount="100")
    assert part.status_code == 303 and part.headers["location"].endswith("?done=part")
    shown = await creator.get(part.headers["location"])
    assert "They keep their downloads." in shown.text and "One chapter was missing" in shown.text
    check_page(shown.text)
    [after] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert (after["status"], after["refunded_santim"]) == ("paid", 10_000)
    assert (await shop.buyer.get(download)).status_code == 200

    page = await creator.get(f"/dashboard/orders/{order['id']}/refund")
    assert 'name="amount" type="text" value="150"' in page.text  # what is left
    too_much = await refund(shop, order["id"], "again", amount="150.01")
    assert too_much.status_code == 422 and "more than what is left" in too_much.text
    garbled = await refund(shop, order["id"], "again", amount="a lot")
    assert garbled.status_code == 422 and "Enter the amount to refund in birr" in garbled.text
    no_key = await creator.post(
        f"/dashboard/orders/{order['id']}/refund",
        data={"reason": "again", "amount": "10", "_csrf_token": await csrf(creator)},
    )
    assert no_key.status_code == 422 and "This form has expired" in no_key.text
    [unchanged] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert unchanged["refunded_santim"] == 10_000

    rest = await refund(shop, order["id"], "Refunding the rest", key=form_key(page.text))
    assert rest.status_code == 303 and rest.headers["location"].endswith("?done=refunded")
    [closed] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert (closed["status"], closed["refunded_santim"]) == ("refunded", 25_000)
    assert (await shop.buyer.get(download)).status_code in (403, 404, 410)
    async with unit_of_work() as uow:
        payment = await gateway.get_payment(uow, str(order["provider_reference"]))
    assert payment is not None and (payment.status, payment.refunded) == ("refunded", 25_000)
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        legs = await refund_legs(order)
        balance = await ledger.balance(tenant)
    assert legs == 2 and (balance.pending, balance.available) == (0, 0)

    await shop.jobs()
    bodies = [m.body for m in shop.app.state.jobs.email.emails if m.to == email and "Reason:" in m.body]
    assert len(bodies) == 2
    assert any("ETB\u00a0100.00 of the ETB\u00a0250.00 you paid" in body for body in bodies)
    assert any("was refunded: ETB\u00a0150.00" in body for body in bodies)


async def test_two_part_refunds_at_once_never_give_back_more_than_was_paid(shop: Live) -> None:
    order, _ = await paid_order(shop, email=f"dawit.{uuid.uuid4().hex[:6]}@example.com")
    answers = await asyncio.gather(
        *(refund(shop, order["id"], f"Refund {n}", amount="100") for n in range(4))
    )
    assert sorted(answer.status_code for answer in answers) == [303, 303, 422, 422]
    [after] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert (after["status"], after["refunded_santim"]) == ("paid", 20_000)
    async with unit_of_work() as uow:
        payment = await gateway.get_payment(uow, str(order["provider_reference"]))
    assert payment is not None and payment.refunded == 20_000


async def test_a_refund_the_provider_never_answered_is_finished_by_sending_it_again(shop: Live) -> None:
    """The payment service times out: the amount stays held (it may have been refunded), the order page says
    the refund waits, and its form comes back filled with that refund, which sending finishes once."""
    order, _ = await paid_order(shop, email=f"liya.{uuid.uuid4().hex[:6]}@example.com")
    async with stalled_sandbox(shop) as providers:
        with pytest.raises(PaymentError) as timed_out:
            await payments.refund_order(
                shop.creator.id,
                uuid.UUID(str(order["id"])),
                key="first-try-key",
                reason="Wrong edition",
                amount=5_000,
                actor="creator",
                providers=providers,
            )
        assert timed_out.value.code is ErrorCode.PROVIDER_TIMEOUT
    [held] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert (held["status"], held["refunded_santim"]) == ("paid", 5_000)

    page = await shop.creator.client.get(f"/dashboard/orders/{order['id']}/refund")
    assert "Waiting for the payment service" in page.text and form_key(page.text) == "first-try-key"
    assert 'name="amount" type="text" value="50"' in page.text
    sent = await refund(shop, order["id"], "Wrong edition", key="first-try-key", amount="50")
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=part")
    [after] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert (after["status"], after["refunded_santim"]) == ("paid", 5_000)
    async with unit_of_work() as uow:
        payment = await gateway.get_payment(uow, str(order["provider_reference"]))
    assert payment is not None and payment.refunded == 5_000
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        assert await refund_legs(order) == 1
        [made] = await checkout.list_refunds(tenant, uuid.UUID(str(order["id"])))
        retries = (
            await Job.select(Job.payload).where(Job.name == payments.REFUND_RETRY_JOB).output(load_json=True)
        )
    # One retry job follows the refund, however often it was sent.
    assert [job["payload"]["refund_id"] for job in retries].count(str(made.id)) == 1


async def test_a_repeat_the_provider_declines_does_not_undo_the_refund_it_is_making(shop: Live) -> None:
    """A provider that honours the first of two identical refund requests and declines the second as a repeat,
    while the first is still on its way: only the request that held the amount may release it, so the refund is
    recorded once, in full."""
    first_arrived, repeat_handled = asyncio.Event(), asyncio.Event()

    async def declines_repeats(request: Recorded) -> Reply:
        body = request.json()
        if first_arrived.is_set():
            return Reply(409, {"detail": "refund already in progress"})
        first_arrived.set()
        await repeat_handled.wait()  # the first is answered once the repeat has done all it does
        reference = request.path.split("/")[3]
        return Reply(
            200,
            {
                "reference": reference,
                "refund_reference": body["refund_reference"],
                "refund_amount": body["amount"],
            },
        )

    order, _ = await paid_order(shop, email=f"mahlet.{uuid.uuid4().hex[:6]}@example.com")
    async with LoopbackServer(declines_repeats) as provider:
        providers = sandbox_at(shop, provider.url)

        async def send() -> payments.RefundOutcome:
            return await payments.refund_order(
                shop.creator.id,
                uuid.UUID(str(order["id"])),
                key="sent-twice-key",
                reason="Wrong edition",
                amount=5_000,
                actor="creator",
                providers=providers,
            )

        first = asyncio.create_task(send())
        await first_arrived.wait()
        with pytest.raises(PaymentError) as repeat:
            await send()
        repeat_handled.set()
        assert repeat.value.code is ErrorCode.PROVIDER_DECLINED
        assert (await first).refunded_now
    [after] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert (after["status"], after["refunded_santim"]) == ("paid", 5_000)
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        [made] = await checkout.list_refunds(tenant, uuid.UUID(str(order["id"])))
        ledger_refunds = await refund_legs(order)
    assert (made.status, made.amount_santim, ledger_refunds) == ("done", 5_000, 1)


async def test_a_refund_nobody_sends_again_is_finished_by_its_retry_job(shop: Live) -> None:
    """The request timed out and the creator went away: two minutes later the retry job asks the provider again
    (the same reference: one refund there) and records it once."""
    order, _ = await paid_order(shop, email=f"tsion.{uuid.uuid4().hex[:6]}@example.com")
    async with stalled_sandbox(shop) as providers:
        with pytest.raises(PaymentError):
            await payments.refund_order(
                shop.creator.id,
                uuid.UUID(str(order["id"])),
                key="gone-away-key",
                reason="Duplicate purchase",
                actor="creator",
                providers=providers,
            )
    await shop.jobs()
    [waiting] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert (waiting["status"], waiting["refunded_santim"]) == ("paid", 25_000)  # not due yet: still held

    async with unit_of_work() as uow, uow.scope():  # two minutes pass
        await Job.update({Job.run_at: dt.datetime.now(dt.UTC)}).where(Job.name == payments.REFUND_RETRY_JOB)
    await shop.jobs()
    [after] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert (after["status"], after["refunded_santim"]) == ("refunded", 25_000)
    async with unit_of_work() as uow:
        payment = await gateway.get_payment(uow, str(order["provider_reference"]))
    assert payment is not None and (payment.status, payment.refunded) == ("refunded", 25_000)
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        assert await refund_legs(order) == 1

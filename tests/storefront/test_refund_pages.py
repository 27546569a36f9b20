"""Refunds from the creator's orders page, through the sandbox gateway's refund API over loopback HTTP.

A confirm step with a reason; the provider gives the money back; the order, the ledger, the downloads and the
buyer's message change once however often the button is pressed; another creator's order is a 404.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid

import httpx
import pytest

from tests.conftest import csrf
from tests.helpers import new_phone
from tests.storefront.live import Live, buy, check_page, live, orders_of, pay
from windsurf.core.errors import InvalidInput
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity import service as identity
from windsurf.identity.service import Account
from windsurf.ledger import service as ledger
from windsurf.ledger.tables import LedgerTransaction
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


async def refund(shop: Live, order_id: object, reason: str, client: object = None) -> object:
    creator = client or shop.creator.client
    return await creator.post(  # type: ignore[attr-defined]
        f"/dashboard/orders/{order_id}/refund",
        data={"reason": reason, "_csrf_token": await csrf(creator)},  # type: ignore[arg-type]
    )


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
    assert 'name="reason"' in confirm.text and "ETB\u00a0250.00" in confirm.text

    no_reason = await refund(shop, order["id"], "   ")
    assert no_reason.status_code == 422 and "Give a reason for the refund" in no_reason.text  # type: ignore[attr-defined]

    # A double click: two requests at once, one refund.
    first, second = await asyncio.gather(
        refund(shop, order["id"], "The file was the wrong edition"),
        refund(shop, order["id"], "The file was the wrong edition"),
    )
    for answer in (first, second):
        assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    done = await creator.get(first.headers["location"])  # type: ignore[attr-defined]
    assert "The order was refunded." in done.text and "Refund this order" not in done.text
    assert (await refund(shop, order["id"], "again")).status_code == 303  # a later click changes nothing

    [after] = await orders_of(shop, order["product_id"])  # type: ignore[arg-type]
    assert after["status"] == "refunded"
    async with unit_of_work() as uow:
        payment = await gateway.get_payment(uow, str(order["provider_reference"]))
    assert payment is not None and payment.status == "refunded"
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        refunds = await LedgerTransaction.count().where(
            (LedgerTransaction.kind == "refund") & (LedgerTransaction.reference == order["number"])
        )
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
    assert (await refund(shop, order["id"], "not mine", client=other.client)).status_code == 404  # type: ignore[attr-defined]
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
    assert refused.status_code == 409 and "Only a paid order can be refunded." in refused.text  # type: ignore[attr-defined]


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
        assert (await refund(shop, order["id"], "Duplicate purchase")).status_code == 303  # type: ignore[attr-defined]
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


async def refund_at(client: httpx.AsyncClient, url: str, reason: str) -> httpx.Response:
    return await client.post(url, data={"reason": reason, "_csrf_token": await csrf(client)})

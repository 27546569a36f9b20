"""The creator's orders and discount codes in the dashboard, checkout rate limits, and a provider that times out
when the payment starts."""

from __future__ import annotations

import dataclasses
import re
import uuid

from tests.conftest import post_form
from tests.platform.payments.loopback import LoopbackServer, Recorded, Reply
from tests.storefront.live import Live, buy, check_page, hidden, live, orders_of
from windsurf.checkout import service as checkout
from windsurf.core.uow import tenant_for
from windsurf.settings import Settings


async def test_the_orders_page_lists_orders_and_another_creators_is_a_404(shop: Live) -> None:
    product = await shop.product()
    email = f"dawit.{uuid.uuid4().hex[:6]}@example.com"
    placed, _ = await buy(shop, product.slug, email=email)
    assert placed.status_code == 303
    [order] = await orders_of(shop, product.id)
    page = await shop.creator.client.get("/dashboard/orders")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    check_page(page.text)
    for text in (str(order["number"]), product.title, email, "ETB\u00a0250.00", "Waiting for payment"):
        assert text in page.text
    detail = await shop.creator.client.get(f"/dashboard/orders/{order['id']}")
    assert detail.status_code == 200 and email in detail.text
    check_page(detail.text)
    other = await shop.new_creator()
    assert (await other.client.get(f"/dashboard/orders/{order['id']}")).status_code == 404
    assert str(order["number"]) not in (await other.client.get("/dashboard/orders")).text
    anonymous = shop.new_client()
    assert (await anonymous.get("/dashboard/orders")).status_code in (303, 401)


async def create_code(shop: Live, **fields: str) -> object:
    values = {"code": "", "kind": "percent", "value": "", "product_id": "", "max_uses": "", "expires_at": ""}
    return await post_form(shop.creator.client, "/dashboard/discounts", values | fields)


async def test_discount_codes_are_created_used_and_deactivated(shop: Live) -> None:
    product = await shop.product()
    created = await create_code(shop, code="genna25", value="25")
    assert created.status_code == 303  # type: ignore[attr-defined]
    page = await shop.creator.client.get("/dashboard/discounts")
    assert "GENNA25" in page.text and "25%" in page.text
    check_page(page.text)

    bad = await create_code(shop, code="x", value="150", max_uses="-1", expires_at="2001-01-01")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    for message in (
        "Use 3-32 letters",
        "A percentage is between 1 and 100.",
        "Please enter a number above zero",
    ):
        assert message in bad.text  # type: ignore[attr-defined]
    assert (await create_code(shop, code="GENNA25", value="10")).status_code == 422  # type: ignore[attr-defined]

    placed, _ = await buy(shop, product.slug, discount_code="genna25")
    assert placed.status_code == 303
    assert [o["amount_santim"] for o in await orders_of(shop, product.id)] == [18_750]

    fixed = await create_code(
        shop, code="ONCE", kind="fixed", value="50", product_id=str(product.id), max_uses="1"
    )
    assert fixed.status_code == 303  # type: ignore[attr-defined]
    assert (await buy(shop, product.slug, discount_code="once"))[0].status_code == 303
    used_up, _ = await buy(shop, product.slug, discount_code="ONCE")
    assert used_up.status_code == 422 and "That discount code has been used up." in used_up.text
    assert sorted(o["amount_santim"] for o in await orders_of(shop, product.id)) == [18_750, 20_000]

    async with tenant_for(shop.creator.id) as tenant:
        codes = {code.code: code for code in await checkout.list_discounts(tenant)}
    other = await shop.new_creator()
    stolen = await post_form(
        other.client, f"/dashboard/discounts/{codes['GENNA25'].id}/active", {"active": "0"}
    )
    assert stolen.status_code == 404
    off = await post_form(
        shop.creator.client, f"/dashboard/discounts/{codes['GENNA25'].id}/active", {"active": "0"}
    )
    assert off.status_code == 303
    refused, _ = await buy(shop, product.slug, discount_code="GENNA25")
    assert refused.status_code == 422 and "That discount code is not valid." in refused.text


async def test_checkout_is_rate_limited_per_contact_and_per_ip(shop: Live) -> None:
    product = await shop.product()
    email = f"many.{uuid.uuid4().hex[:6]}@example.com"
    statuses = [(await buy(shop, product.slug, name="", email=email))[0].status_code for _ in range(9)]
    assert statuses == [422] * 8 + [429]
    limited, _ = await buy(shop, product.slug, name="", email=email)
    assert "Too many attempts" in limited.text and int(limited.headers["retry-after"]) > 0
    shop.buyer.cookies.set("lang", "am")
    assert "Too many attempts" not in (await buy(shop, product.slug, email=email))[0].text
    # Another contact from the same address still passes until the address's own limit.
    statuses = [
        (await buy(shop, product.slug, name="", email=f"x{i}.{uuid.uuid4().hex[:4]}@example.com"))[
            0
        ].status_code
        for i in range(25)
    ]
    assert 429 in statuses and statuses[0] == 422


async def test_a_provider_that_times_out_keeps_the_order_and_retries_from_its_page(
    settings: Settings,
) -> None:
    async def stall(request: Recorded) -> Reply:
        await stalled.never.wait()
        return Reply()

    async with LoopbackServer(stall) as stalled:
        overrides = {"sandbox_url": stalled.url, "payment_timeout_seconds": 1.0}
        async with live(dataclasses.replace(settings), **overrides) as shop:
            product = await shop.product()
            placed, data = await buy(shop, product.slug)
            assert placed.status_code == 303
            page = await shop.buyer.get(placed.headers["location"])
            assert "took too long to answer" in page.text and "you will not be charged twice" in page.text
            assert len(stalled.calls("POST", "/api/payments")) == 1
            retry = re.search(r'<form method="post" action="([^"]+/pay)"', page.text)
            assert retry
            again = await shop.buyer.post(
                retry.group(1), data={"_csrf_token": hidden(page.text, "_csrf_token")}
            )
            assert again.status_code == 303
            assert len(stalled.calls("POST", "/api/payments")) == 2  # a new attempt, asked for by the buyer
            resubmitted = await shop.buyer.post(f"/checkout/{shop.creator.handle}/{product.slug}", data=data)
            assert resubmitted.headers["location"].split("?")[0] == placed.headers["location"].split("?")[0]
            assert len(await orders_of(shop, product.id)) == 1

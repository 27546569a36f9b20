"""The purchase through HTTP as a browser with JavaScript off does it: plain form posts, the sandbox gateway's
hosted page, its signed notification over loopback HTTP, the self-refreshing order page, and the download."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from tests.platform.payments.fakes import FakeWebirr
from tests.storefront.live import (
    PDF,
    REFRESH,
    Live,
    buy,
    check_page,
    checkout_form,
    live,
    orders_of,
    pay,
    pay_link,
)
from windsurf.checkout.tables import Order
from windsurf.core import i18n
from windsurf.core.uow import tenant_for
from windsurf.settings import Settings
from windsurf.stores import service as stores


async def test_a_purchase_from_product_page_to_download(shop: Live) -> None:
    product = await shop.product()
    page = await shop.buyer.get(f"/@{shop.creator.handle}/{product.slug}")
    assert f'href="/checkout/{shop.creator.handle}/{product.slug}"' in page.text
    form = await shop.buyer.get(f"/checkout/{shop.creator.handle}/{product.slug}")
    assert form.headers["cache-control"] == "private, no-store"
    check_page(form.text)
    async with tenant_for(shop.creator.id) as tenant:
        await stores.update_settings(tenant, stores.StoreSettings("en", ethiopian_calendar=True))

    # A tampered price, currency and quantity are not read; the same submission twice is one order.
    tampered = {"price": "1", "amount": "1", "currency": "USD", "quantity": "5", "amount_santim": "100"}
    placed, data = await buy(shop, product.slug, **tampered)
    assert placed.status_code == 303, placed.text
    order_url = placed.headers["location"]
    assert re.fullmatch(r"/checkout/order/[A-Za-z0-9_-]+\.[0-9a-f]+", order_url)
    again = await shop.buyer.post(f"/checkout/{shop.creator.handle}/{product.slug}", data=data)
    assert again.status_code == 303 and again.headers["location"] == order_url
    orders = await orders_of(shop, product.id)
    assert len(orders) == 1
    assert (orders[0]["amount_santim"], orders[0]["currency"]) == (25_000, "ETB")

    pending = await shop.buyer.get(order_url)
    assert pending.status_code == 200 and pending.headers["cache-control"] == "private, no-store"
    assert REFRESH in pending.text and "ETB\u00a0250.00" in pending.text
    check_page(pending.text)
    assert pay_link(pending.text).startswith(f"{shop.server.url}/sandbox-pay/pay/")
    assert "<form" not in pending.text.split("<main", 1)[1]  # the way to the provider is a link, not a form

    done = await pay(shop, order_url)
    assert done.status_code == 200 and REFRESH not in done.text
    assert str(orders[0]["number"]) in done.text and "ETB\u00a0250.00" in done.text
    check_page(done.text)
    today = i18n.format_date(dt.datetime.now(dt.UTC), "en", ethiopian=True)
    assert today in done.text and today.split()[0] in i18n.ETHIOPIAN_MONTHS["en"]
    links = re.findall(r'href="(/download/[^"]+)"', done.text)
    assert len(links) == 1
    file = await shop.buyer.get(links[0])
    assert file.status_code == 200 and file.content == PDF
    assert (
        file.headers["content-disposition"]
        == "attachment; filename=\"guide.pdf\"; filename*=UTF-8''guide.pdf"
    )
    assert file.headers["cache-control"] == "private, no-store"


async def test_an_altered_order_token_is_not_found(shop: Live) -> None:
    product = await shop.product()
    placed, _ = await buy(shop, product.slug)
    url = placed.headers["location"]
    body, _, signature = url.rpartition(".")
    forged = f"{body}.{'0' * len(signature)}"
    assert (await shop.buyer.get(forged)).status_code == 404
    assert (await shop.buyer.get("/checkout/order/nonsense")).status_code == 404


async def test_bad_input_is_refused_with_messages_and_keeps_what_was_typed(shop: Live) -> None:
    product = await shop.product()
    response, _ = await buy(shop, product.slug, name="", email="not-an-email", phone="12345", method="cash")
    assert response.status_code == 422
    text = response.text
    check_page(text)
    assert "Please enter your name." in text
    assert "Enter a valid email address" in text
    assert "Enter a valid Ethiopian mobile number" in text
    assert "Please choose how you want to pay." in text
    assert 'value="not-an-email"' in text and 'value="12345"' in text
    nothing, _ = await buy(shop, product.slug, email="", phone="")
    assert nothing.status_code == 422 and "Please enter an email address or a phone number" in nothing.text
    code, _ = await buy(shop, product.slug, discount_code="NOSUCH")
    assert code.status_code == 422 and "That discount code is not valid." in code.text
    assert await orders_of(shop, product.id) == []


async def test_an_amharic_checkout_and_a_phone_number_normalised(shop: Live) -> None:
    product = await shop.product()
    shop.buyer.cookies.set("lang", "am")
    response, _ = await buy(shop, product.slug, name="", email="")
    assert response.status_code == 422 and 'lang="am"' in response.text
    assert "Please enter your name." not in response.text
    placed, _ = await buy(shop, product.slug, email="", phone="0911 234 567")
    assert placed.status_code == 303
    assert [o["buyer_phone"] for o in await orders_of(shop, product.id)] == ["+251911234567"]


async def test_pay_what_you_want_takes_the_typed_amount_above_the_minimum(shop: Live) -> None:
    product = await shop.product(pwyw_min="100", price="100")
    low, _ = await buy(shop, product.slug, amount="50")
    assert low.status_code == 422 and "Please pay at least the minimum price." in low.text
    placed, _ = await buy(shop, product.slug, amount="175.50")
    assert placed.status_code == 303
    assert [o["amount_santim"] for o in await orders_of(shop, product.id)] == [17_550]


async def test_a_product_that_is_not_for_sale_has_no_checkout(shop: Live) -> None:
    other = await shop.new_creator()
    product = await shop.product(other)
    assert (await shop.buyer.get(f"/checkout/{shop.creator.handle}/{product.slug}")).status_code == 404
    assert (await shop.buyer.get(f"/checkout/nobody_{uuid.uuid4().hex[:6]}/x")).status_code == 404


async def test_an_expired_order_says_so_and_leads_back_to_the_product(shop: Live) -> None:
    product = await shop.product()
    placed, _ = await buy(shop, product.slug)
    async with tenant_for(shop.creator.id) as tenant, tenant.scope():
        await Order.update({Order.status: "expired"}).where(Order.product_id == product.id)
    page = await shop.buyer.get(placed.headers["location"])
    assert page.status_code == 200 and REFRESH not in page.text and "This order has expired" in page.text
    assert f'href="/@{shop.creator.handle}/{product.slug}"' in page.text
    check_page(page.text)
    retried = await shop.buyer.post(
        f"{placed.headers['location']}/pay",
        data=await checkout_form(shop.buyer, shop.creator.handle, product.slug),
    )
    assert (
        retried.status_code == 303
        and "/download/" not in (await shop.buyer.get(retried.headers["location"])).text
    )


async def test_a_sold_out_product_says_so(shop: Live) -> None:
    product = await shop.product(sales_limit="1")
    assert product.sales_limit == 1
    assert (await buy(shop, product.slug))[0].status_code == 303
    sold_out, _ = await buy(shop, product.slug, email="second@example.com")
    assert sold_out.status_code == 409 and "Sorry, this product has sold out." in sold_out.text
    assert 'value="second@example.com"' in sold_out.text
    assert len(await orders_of(shop, product.id)) == 1


async def test_a_payment_code_is_shown_to_pay_from_any_bank_app(settings: Settings) -> None:
    fake = FakeWebirr()
    async with fake.server:
        overrides = {
            "payment_providers": ("sandbox", "webirr"),
            "webirr_base_url": fake.server.url,
            "webirr_api_key": FakeWebirr.API_KEY,
            "webirr_merchant_id": FakeWebirr.MERCHANT_ID,
            "webirr_webhook_key": FakeWebirr.AUTH_KEY,
        }
        async with live(settings, **overrides) as shop:
            product = await shop.product()
            placed, _ = await buy(shop, product.slug, method="webirr")
            assert placed.status_code == 303
            page = await shop.buyer.get(placed.headers["location"])
            [bill] = fake.bills.values()
            assert f"<strong>{bill['wbcCode']}</strong>" in page.text and REFRESH in page.text
            assert "Continue to payment" not in page.text
            check_page(page.text)

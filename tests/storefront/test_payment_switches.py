"""Kill switches per payment provider, read by the checkout over HTTP: `payments.<provider>` off stops the
checkout offering its methods and refuses new payments with a translated message, while a payment it already
started still settles; a switch turned back on by another server reaches requests within the flag cache time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.storefront.live import Live, buy, checkout_form, pay
from windsurf.core.uow import unit_of_work
from windsurf.flags import service as flags
from windsurf.payments import service as payments

SANDBOX = payments.switch_name("sandbox")
UNAVAILABLE = "This payment method is not available at the moment. Please choose another one."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """The app's own flag cache, on a clock the test moves; it starts and ends empty (no other test reads our
    flags from it)."""
    moved = Clock()
    monkeypatch.setattr(flags.CACHE, "clock", moved)
    flags.CACHE.forget()
    yield moved
    flags.CACHE.forget()


async def _switch(enabled: bool, creators: tuple = (), cache: flags.FlagCache = flags.CACHE) -> None:
    async with unit_of_work() as uow:
        await flags.set_flag(uow, SANDBOX, enabled=enabled, creators=creators, changed_by="ops", cache=cache)


async def test_a_provider_switched_off_is_not_offered_and_its_started_payments_still_settle(
    shop: Live, clock: Clock
) -> None:
    product = await shop.product()
    url = f"/checkout/{shop.creator.handle}/{product.slug}"
    assert 'value="telebirr"' in (await shop.buyer.get(url)).text  # no flag: the switch is on
    placed, _ = await buy(shop, product.slug)
    assert placed.status_code == 303
    order_url = placed.headers["location"]
    stale_form = await checkout_form(shop.buyer, shop.creator.handle, product.slug)

    other = await shop.new_creator()
    other_product = await shop.product(other)
    try:
        # Off for every creator but `other` (the switch can spare a few).
        await _switch(False, (other.id,))
        page = await shop.buyer.get(url)
        assert page.status_code == 200 and 'name="method"' not in page.text
        spared = await shop.buyer.get(f"/checkout/{other.handle}/{other_product.slug}")
        assert 'value="telebirr"' in spared.text

        refused = await shop.buyer.post(
            url, data={"name": "Abebe", "email": "abebe@example.com", "method": "telebirr", **stale_form}
        )
        assert refused.status_code == 422 and UNAVAILABLE in refused.text
        shop.buyer.cookies.set("lang", "am")
        amharic = await shop.buyer.post(
            url, data={"name": "Abebe", "email": "abebe@example.com", "method": "telebirr", **stale_form}
        )
        assert amharic.status_code == 422 and UNAVAILABLE not in amharic.text
        assert "ይህ የክፍያ መንገድ አሁን አይገኝም" in amharic.text

        # The payment started before the switch went off: its notification still settles the order.
        done = await pay(shop, order_url)
        assert done.status_code == 200 and "/download/" in done.text

        # Another server turns it back on: this one keeps its cached copy until the cache time has passed.
        await _switch(True, cache=flags.FlagCache())
        assert 'name="method"' not in (await shop.buyer.get(url)).text
        clock.now += flags.CACHE_SECONDS
        assert 'value="telebirr"' in (await shop.buyer.get(url)).text
    finally:
        await _switch(True)

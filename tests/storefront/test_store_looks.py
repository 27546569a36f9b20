"""How a store looks to buyers: layouts, button shapes, the optional banner, and its product cards (a link
shows no price, a product without a cover shows its initials, excerpts keep their line breaks)."""

from __future__ import annotations

import html
import re

from tests.conftest import csrf, post_form
from tests.platform.catalog.helpers import create
from tests.storefront.live import Live
from tests.storefront.store_helpers import png
from windsurf.core import storage
from windsurf.core.uow import tenant_for
from windsurf.stores import service as stores

ENGLISH = {"Accept-Language": "en"}


async def publish(shop: Live) -> str:
    assert (await post_form(shop.creator.client, "/dashboard/publish", {})).status_code == 303
    await shop.jobs()
    page = await shop.buyer.get(f"/@{shop.creator.handle}", headers=ENGLISH)
    assert page.status_code == 200
    return page.text


async def add_product_block(shop: Live, product_id: object) -> None:
    response = await post_form(
        shop.creator.client, "/dashboard/blocks", {"type": "product", "product_id": str(product_id)}
    )
    assert response.status_code == 303, response.text


async def save_look(shop: Live, **fields: str) -> object:
    form = {"palette": "sand", "accent": "#0b7a53", **fields}
    return await post_form(shop.creator.client, "/dashboard/theme", form, headers=ENGLISH)


async def test_each_layout_and_button_shape_reaches_buyers(shop: Live) -> None:
    await add_product_block(shop, (await shop.product(title="Coffee Guide")).id)
    await post_form(
        shop.creator.client,
        "/dashboard/blocks",
        {"type": "link", "title": "Portfolio", "url": "https://a.example"},
    )
    page = await publish(shop)
    assert '<ul class="bl">' in page and "--br:12px" in page  # the list and rounded buttons by default

    for layout, css_class in (("grid", "g"), ("featured", "f"), ("links", "m")):
        assert (await save_look(shop, layout=layout, button="pill")).status_code == 303
        page = await publish(shop)
        assert f'<ul class="bl {css_class}">' in page and "--br:99px" in page, layout
        assert "Coffee Guide" in page and "Portfolio" in page
    assert "<img" not in page.split('<ul class="bl m">')[1], "the minimal layout fetches no cover"
    assert (await save_look(shop, layout="list", button="square")).status_code == 303
    page = await publish(shop)
    assert '<ul class="bl">' in page and "--br:0" in page

    # The builder keeps what was chosen, and refuses what is not on offer with a message (never a 500).
    builder = (await shop.creator.client.get("/dashboard", headers=ENGLISH)).text
    assert (
        'name="layout" value="list" checked' in builder and 'name="button" value="square" checked' in builder
    )
    refused = await save_look(shop, layout="carousel", button="blob")
    assert refused.status_code == 422
    assert "Choose one of the layouts." in refused.text and "Choose one of the button shapes." in refused.text
    amharic = await post_form(
        shop.creator.client,
        "/dashboard/theme",
        {"palette": "sand", "accent": "#0b7a53", "layout": "carousel"},
        headers={"Accept-Language": "am"},
    )
    assert amharic.status_code == 422 and "Choose one of the layouts." not in amharic.text


async def test_a_banner_is_uploaded_shown_and_removed(shop: Live) -> None:
    client = shop.creator.client
    token = await csrf(client)
    uploaded = await client.post(
        "/dashboard/banner",
        data={"_csrf_token": token},
        files={"banner": ("banner.png", png(1500, 500), "image/png")},
    )
    assert uploaded.status_code == 303, uploaded.text
    async with tenant_for(shop.creator.id) as tenant:
        banner = (await stores.get_store(tenant)).draft.banner
    assert banner is not None and [w for w, _ in banner.sizes] == [480, 960]
    files = storage.build_storage(shop.settings)
    for width, _ in banner.sizes:
        assert await files.get(stores.avatar_key(banner, width))
    page = await publish(shop)
    tag = re.search(r'<img class="bn"[^>]*>', page)
    assert tag and "960w" in tag[0] and 'width="960" height="320"' in tag[0]

    # Not a picture: refused with the message, nothing stored.
    bad = await client.post(
        "/dashboard/banner",
        data={"_csrf_token": token},
        files={"banner": ("banner.png", b"not an image", "image/png")},
        headers=ENGLISH,
    )
    assert bad.status_code == 422
    empty = await client.post("/dashboard/banner", data={"_csrf_token": token}, headers=ENGLISH)
    assert empty.status_code == 422 and "Choose a picture to upload." in empty.text

    assert (await post_form(client, "/dashboard/banner/delete", {})).status_code == 303
    page = await publish(shop)
    assert 'class="bn"' not in page
    for width, _ in banner.sizes:  # neither the draft nor the published store uses it any more
        assert not await files.exists(stores.avatar_key(banner, width))


async def test_cards_link_without_price_initials_without_cover_and_line_breaks_kept(shop: Live) -> None:
    client = shop.creator.client
    link_id = await create(
        client, kind="link", title="My Telegram channel", price="0", external_url="https://t.me/x"
    )
    published = await post_form(
        client,
        f"/dashboard/products/{link_id}/visibility",
        {"visibility": "published", "return_to": "/dashboard"},
    )
    assert published.status_code == 303  # a published product joins the store's draft by itself
    described = await shop.product(
        title="Coffee guide", description="# Ten recipes\n\nFor beginners, **easy**.\n\n- one\n- two"
    )
    await add_product_block(shop, described.id)
    page = await publish(shop)
    cards = re.findall(r'<a class="pc"[^>]*>.*?</a>', page, re.S)
    assert len(cards) == 2, page
    link_card, guide_card = cards
    # A link leads elsewhere for free: no price, not even "Free".
    assert "My Telegram channel" in link_card and 'class="pr"' not in link_card
    # No cover: the initials on the accent colour (CSS only, no image fetched).
    assert "<i>MT</i>" in link_card and "<i>CG</i>" in guide_card and "<img" not in guide_card
    assert "ETB" in guide_card
    small = re.search(r"<small>(.*?)</small>", guide_card, re.S)
    assert small and html.unescape(small[1]) == "Ten recipes\nFor beginners, easy.\none\ntwo"

"""Catalog service rules on both databases: prices, slugs, order, visibility, tenancy, store read model."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar

from windsurf.catalog import service
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.identity.tables import Creator


async def new_creator() -> uuid.UUID:
    creator_id = uuid.uuid4()
    await Creator(id=creator_id, handle=f"c{creator_id.hex[:12]}", display_name="Creator").save()
    return creator_id


async def test_create_download_generates_a_unique_slug_and_starts_as_draft(app: Litestar) -> None:
    creator = await new_creator()
    first = await service.create_product(
        creator, "download", {"title": "Ethiopian Coffee Guide", "price": "150"}
    )
    second = await service.create_product(
        creator, "download", {"title": "Ethiopian coffee guide!", "price": "150.50"}
    )
    assert first.slug == "ethiopian-coffee-guide" and second.slug == "ethiopian-coffee-guide-2"
    assert (first.visibility, first.price_santim, second.price_santim) == ("draft", 15000, 15050)
    amharic = await service.create_product(
        creator, "coaching", {"title": "የቡና ሥነ ሥርዓት", "price": "500", "duration_minutes": "60"}
    )
    assert amharic.slug.startswith("product-")
    assert [p.id for p in await service.list_products(creator)] == [first.id, second.id, amharic.id]


async def test_rules_between_fields_are_reported_per_field(app: Litestar) -> None:
    creator = await new_creator()
    with pytest.raises(InvalidInput) as caught:
        await service.create_product(creator, "coaching", {"title": "", "price": "10", "compare_at": "5"})
    assert set(caught.value.errors) == {"title", "compare_at", "duration_minutes"}
    with pytest.raises(InvalidInput) as caught:
        await service.create_product(
            creator, "link", {"title": "My YouTube", "external_url": "javascript:alert(1)"}
        )
    assert set(caught.value.errors) == {"external_url"}
    with pytest.raises(InvalidInput) as caught:
        await service.create_product(creator, "download", {"title": "Free?", "price": "0"})
    assert set(caught.value.errors) == {"price"}
    pwyw = await service.create_product(creator, "download", {"title": "Zine", "pwyw_min": "50"})
    assert (pwyw.price_santim, pwyw.pwyw_min_santim) == (5000, 5000)
    magnet = await service.create_product(creator, "lead_magnet", {"title": "Free checklist", "price": "99"})
    assert magnet.price_santim == 0


async def test_published_cards_lists_only_published_in_order(app: Litestar) -> None:
    creator = await new_creator()
    link = await service.create_product(
        creator,
        "link",
        {
            "title": "My podcast",
            "external_url": "https://example.com/pod",
            "description": "**Weekly** talks about *design* " + "word " * 60,
        },
    )
    coaching = await service.create_product(
        creator, "coaching", {"title": "1:1", "price": "900", "duration_minutes": "45"}
    )
    hidden = await service.create_product(
        creator, "coaching", {"title": "Secret", "price": "900", "duration_minutes": "45"}
    )
    for product in (link, coaching):
        await service.set_visibility(creator, product.id, "published")
    await service.set_visibility(creator, hidden.id, "unlisted")
    await service.move_product(creator, coaching.id, "up")
    cards = await service.published_cards(creator)
    assert [card.id for card in cards] == [coaching.id, link.id]
    assert cards[1].short.startswith("Weekly talks about design") and len(cards[1].short) <= 140
    assert cards[1].cover is None and cards[0].kind == "coaching"
    assert await service.product_card(creator, hidden.id) is not None
    draft = await service.create_product(creator, "link", {"title": "Draft", "external_url": "https://a.et"})
    assert await service.product_card(creator, draft.id) is None


async def test_a_download_needs_a_file_before_it_is_published(app: Litestar) -> None:
    creator = await new_creator()
    product = await service.create_product(creator, "download", {"title": "Ebook", "price": "200"})
    with pytest.raises(ServiceError):
        await service.set_visibility(creator, product.id, "published")


async def test_another_creator_sees_nothing_and_changes_nothing(app: Litestar) -> None:
    owner, other = await new_creator(), await new_creator()
    product = await service.create_product(owner, "link", {"title": "Mine", "external_url": "https://a.et"})
    storage = app.state.storage
    for attempt in (
        service.get_product(other, product.id),
        service.update_product(other, product.id, {"title": "Stolen"}),
        service.set_visibility(other, product.id, "published"),
        service.move_product(other, product.id, "up"),
        service.delete_product(other, product.id, storage),
        service.remove_cover(other, product.id, storage),
    ):
        with pytest.raises(NotFoundError):
            await attempt
    unchanged = await service.get_product(owner, product.id)
    assert (unchanged.title, unchanged.visibility) == ("Mine", "draft")
    assert await service.product_card(other, product.id) is None

"""Catalog service rules on both databases: prices, slugs, order, visibility, tenancy, store read model."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar

from tests.helpers import acting, bare_creator
from tests.statements import recorded
from windsurf.catalog import inputs, service
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.uow import tenant_for


async def test_create_download_generates_a_unique_slug_and_starts_as_draft(app: Litestar) -> None:
    creator = await bare_creator()
    first = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("download", {"title": "Ethiopian Coffee Guide", "price": "150"}),
    )
    second = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("download", {"title": "Ethiopian coffee guide!", "price": "150.50"}),
    )
    assert first.slug == "ethiopian-coffee-guide" and second.slug == "ethiopian-coffee-guide-2"
    assert (first.visibility, first.price_santim, second.price_santim) == ("draft", 15000, 15050)
    amharic = await acting(
        creator,
        service.create_product,
        inputs.new_product_form(
            "coaching", {"title": "የቡና ሥነ ሥርዓት", "price": "500", "duration_minutes": "60"}
        ),
    )
    assert amharic.slug.startswith("product-")
    assert [p.id for p in await acting(creator, service.list_products)] == [first.id, second.id, amharic.id]


async def test_rules_between_fields_are_reported_per_field(app: Litestar) -> None:
    creator = await bare_creator()
    with pytest.raises(InvalidInput) as caught:
        await acting(
            creator,
            service.create_product,
            inputs.new_product_form("coaching", {"title": "", "price": "10", "compare_at": "5"}),
        )
    assert set(caught.value.errors) == {"title", "compare_at", "duration_minutes"}
    with pytest.raises(InvalidInput) as caught:
        await acting(
            creator,
            service.create_product,
            inputs.new_product_form("link", {"title": "My YouTube", "external_url": "javascript:alert(1)"}),
        )
    assert set(caught.value.errors) == {"external_url"}
    with pytest.raises(InvalidInput) as caught:
        await acting(
            creator,
            service.create_product,
            inputs.new_product_form("download", {"title": "Free?", "price": "0"}),
        )
    assert set(caught.value.errors) == {"price"}
    pwyw = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("download", {"title": "Zine", "pwyw_min": "50"}),
    )
    assert (pwyw.price_santim, pwyw.pwyw_min_santim) == (5000, 5000)
    magnet = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("lead_magnet", {"title": "Free checklist", "price": "99"}),
    )
    assert magnet.price_santim == 0


async def test_published_cards_lists_only_published_in_order(app: Litestar) -> None:
    creator = await bare_creator()
    link = await acting(
        creator,
        service.create_product,
        inputs.new_product_form(
            "link",
            {
                "title": "My podcast",
                "external_url": "https://example.com/pod",
                "description": "**Weekly** talks about *design* " + "word " * 60,
            },
        ),
    )
    coaching = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("coaching", {"title": "1:1", "price": "900", "duration_minutes": "45"}),
    )
    hidden = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("coaching", {"title": "Secret", "price": "900", "duration_minutes": "45"}),
    )
    for product in (link, coaching):
        await acting(creator, service.set_visibility, product.id, "published")
    await acting(creator, service.set_visibility, hidden.id, "unlisted")
    await acting(creator, service.move_product, coaching.id, "up")
    cards = await acting(creator, service.published_cards)
    assert [card.id for card in cards] == [coaching.id, link.id]
    assert cards[1].short.startswith("Weekly talks about design") and len(cards[1].short) <= 140
    assert cards[1].cover is None and cards[0].kind == "coaching"
    assert await acting(creator, service.product_card, hidden.id) is not None
    draft = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("link", {"title": "Draft", "external_url": "https://a.et"}),
    )
    assert await acting(creator, service.product_card, draft.id) is None


async def test_a_download_needs_a_file_before_it_is_published(app: Litestar) -> None:
    creator = await bare_creator()
    product = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("download", {"title": "Ebook", "price": "200"}),
    )
    with pytest.raises(ServiceError):
        await acting(creator, service.set_visibility, product.id, "published")


async def test_another_creator_sees_nothing_and_changes_nothing(app: Litestar) -> None:
    owner, other = await bare_creator(), await bare_creator()
    product = await acting(
        owner,
        service.create_product,
        inputs.new_product_form("link", {"title": "Mine", "external_url": "https://a.et"}),
    )
    storage = app.state.storage
    for attempt in (
        acting(other, service.get_product, product.id),
        acting(other, service.update_product, product.id, inputs.product_form({"title": "Stolen"})),
        acting(other, service.set_visibility, product.id, "published"),
        acting(other, service.move_product, product.id, "up"),
        acting(other, service.delete_product, product.id, storage),
        acting(other, service.remove_cover, product.id, storage),
    ):
        with pytest.raises(NotFoundError):
            await attempt
    unchanged = await acting(owner, service.get_product, product.id)
    assert (unchanged.title, unchanged.visibility) == ("Mine", "draft")
    assert await acting(other, service.product_card, product.id) is None


async def test_a_taken_slug_is_a_coded_field_error_told_by_the_unique_index(app: Litestar) -> None:
    creator = await bare_creator()
    first = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("link", {"title": "A", "external_url": "https://a.et"}),
    )
    other = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("link", {"title": "B", "external_url": "https://b.et"}),
    )
    with pytest.raises(InvalidInput) as caught:
        await acting(
            creator,
            service.create_product,
            inputs.new_product_form(
                "link", {"title": "C", "slug": first.slug, "external_url": "https://c.et"}
            ),
        )
    assert caught.value.codes == {"slug": "slug_taken"} and set(caught.value.errors) == {"slug"}
    with pytest.raises(InvalidInput) as caught:
        await acting(creator, service.update_product, other.id, inputs.product_form({"slug": first.slug}))
    assert caught.value.codes == {"slug": "slug_taken"}
    assert (await acting(creator, service.get_product, other.id)).slug == other.slug
    # Another creator may use the same address under their own handle.
    elsewhere = await bare_creator()
    same = await acting(
        elsewhere,
        service.create_product,
        inputs.new_product_form("link", {"title": "A", "slug": first.slug, "external_url": "https://a.et"}),
    )
    assert same.slug == first.slug


# SQLite serialises writers (a second one waits or is refused); the race is PostgreSQL's.
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_concurrent_creations_with_one_title_each_get_their_own_slug(app: Litestar) -> None:
    creator = await bare_creator()
    made = await asyncio.gather(
        *(
            acting(
                creator,
                service.create_product,
                inputs.new_product_form("link", {"title": "Same", "external_url": "https://a.et"}),
            )
            for _ in range(4)
        )
    )
    assert sorted(p.slug for p in made) == ["same", "same-2", "same-3", "same-4"]


async def test_moving_a_product_is_one_statement_and_keeps_positions_dense(app: Litestar) -> None:
    creator = await bare_creator()
    made = [
        await acting(
            creator,
            service.create_product,
            inputs.new_product_form("link", {"title": f"P{i}", "external_url": "https://a.et"}),
        )
        for i in range(5)
    ]
    await acting(creator, service.move_product, made[3].id, "up")
    await acting(creator, service.move_product, made[0].id, "up")  # at the top: nothing moves
    await acting(creator, service.move_product, made[4].id, "down")  # at the bottom: nothing moves
    listed = await acting(creator, service.list_products)
    assert [p.id for p in listed] == [made[i].id for i in (0, 1, 3, 2, 4)]
    assert [p.position for p in listed] == [0, 1, 2, 3, 4]
    async with tenant_for(creator) as tenant:
        await service.get_product(tenant, made[2].id)  # the transaction and the tenant are in place
        with recorded() as statements:
            await service.move_product(tenant, made[2].id, "up")
    assert len(statements.queries) == 1, statements.summary()
    assert statements.queries[0].lstrip().startswith("WITH")
    listed = await acting(creator, service.list_products)
    assert [p.id for p in listed] == [made[i].id for i in (0, 1, 2, 3, 4)]
    with pytest.raises(NotFoundError):
        await acting(await bare_creator(), service.move_product, made[0].id, "down")


async def test_a_lead_is_kept_once_however_many_captures_race(app: Litestar, backend: str) -> None:
    creator = await bare_creator()
    magnet = await acting(
        creator,
        service.create_product,
        inputs.new_product_form("lead_magnet", {"title": "Guide", "external_url": "https://a.et/g"}),
    )
    await acting(creator, service.set_visibility, magnet.id, "published")
    # SQLite serialises writers (a concurrent one is refused), so there the captures come one after another.
    captures = [acting(creator, service.capture_lead, magnet.id, " Buyer@Example.com ") for _ in range(4)]
    if backend == "postgres":
        leads = await asyncio.gather(*captures)
    else:
        leads = [await capture for capture in captures]
    assert len({lead.id for lead in leads}) == 1
    assert [lead.email for lead in await acting(creator, service.list_leads)] == ["buyer@example.com"]

"""The demo catalog: 24 published products of every kind with small covers; seeding twice changes nothing."""

from __future__ import annotations

from collections import Counter

from litestar import Litestar

from tests.helpers import acting, bare_creator
from windsurf.catalog import service
from windsurf.catalog.demo import seed_demo_products


async def test_seed_demo_products_is_complete_and_idempotent(app: Litestar) -> None:
    creator_id = await bare_creator("Selam")
    settings, storage = app.state.settings, app.state.storage
    await acting(creator_id, seed_demo_products, storage=storage, settings=settings)
    await acting(creator_id, seed_demo_products, storage=storage, settings=settings)
    cards = await acting(creator_id, service.published_cards)
    assert len(cards) == 24
    kinds = Counter(card.kind for card in cards)
    assert kinds == {"download": 12, "lead_magnet": 3, "link": 4, "coaching": 5}
    assert sum(card.compare_at_santim is not None for card in cards) >= 2
    assert sum(card.pwyw_min_santim is not None for card in cards) == 1
    for card in cards:
        assert card.cover and card.cover[0][1] == 160 and card.short
        key = card.cover[0][0].removeprefix("/media/")
        assert len(await storage.get(key)) < 6000
    magnets = [
        p for p in await acting(creator_id, service.list_products) if p.kind == "lead_magnet" and p.files
    ]
    assert magnets

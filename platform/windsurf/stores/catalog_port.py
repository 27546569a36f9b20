"""The one place the stores domain talks to the catalog: product cards for product blocks and the demo
products.

The catalog is another domain (windsurf.catalog, its service.py); it is imported inside the functions so a
process that serves the stores without the catalog still runs: it then simply has no products to show.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from windsurf.settings import Settings


class ProductCard(Protocol):
    """What a store shows of a product (the catalog's ``ProductCard``)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def price_santim(self) -> int: ...
    @property
    def compare_at_santim(self) -> int | None: ...
    @property
    def pwyw_min_santim(self) -> int | None: ...
    @property
    def cover(self) -> Sequence[tuple[str, int, int]] | None: ...
    @property
    def short(self) -> str: ...


async def published_cards(creator_id: uuid.UUID) -> list[ProductCard]:
    try:
        from windsurf.catalog import service
    except ImportError:
        return []
    cards: list[ProductCard] = await service.published_cards(creator_id)
    return cards


async def product_card(creator_id: uuid.UUID, product_id: uuid.UUID) -> ProductCard | None:
    try:
        from windsurf.catalog import service
    except ImportError:
        return None
    card: ProductCard | None = await service.product_card(creator_id, product_id)
    return card


async def seed_demo_products(creator_id: uuid.UUID) -> bool:
    """Fill the demo creator's catalog; False when this build has no catalog."""
    try:
        from windsurf.catalog import demo
    except ImportError:
        return False
    await demo.seed_demo_products(creator_id)
    return True


def media_url(settings: Settings, key: str) -> str:
    """Where a public image key is served (the catalog's /media route or the CDN in WINDSURF_MEDIA_URL)."""
    base = str(getattr(settings, "media_url", "") or "/media").rstrip("/")
    return f"{base}/{key}"

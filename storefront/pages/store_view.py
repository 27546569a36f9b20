"""The store as buyers see it: one view model and one template, for the public page and the builder's preview.

Rendering is a plain function of the store document, the product cards and the language (no request), so the
public page can cache its bytes, the builder can preview the draft with the very same markup, and the size
budget is testable. ``CachedPage`` is what the page cache keeps: the ETag, the HTML and its gzip encoding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from babel.support import Translations
from jinja2 import Environment

from windsurf.catalog.service import ProductCard
from windsurf.core.storage import public_url
from windsurf.settings import Settings
from windsurf.stores import service
from windsurf.stores.service import Block, StoreDoc

EAGER_COVERS = 3  # product covers above the fold on a phone: loaded at once, the rest lazily
COVER_SIZE = 80  # CSS pixels of a product card's cover
AVATAR_SIZE = 96
GRID_COVER_SIZE = 260  # two columns on a phone, at most 34rem / 2 on a wide screen
FEATURED_COVER_SIZE = 544  # the featured product's cover spans the page (34rem)
BANNER_SIZE = 544
# Each layout's cover box (CSS px) and the `sizes` attribute that tells the browser how wide it is shown.
COVER_BOXES = {
    "list": (COVER_SIZE, f"{COVER_SIZE}px"),
    "grid": (GRID_COVER_SIZE, "(min-width:34rem) 260px, 45vw"),
    "featured": (COVER_SIZE, f"{COVER_SIZE}px"),
}
FEATURED_SIZES = "(min-width:34rem) 544px, 100vw"
BUTTON_RADII = {"rounded": "12px", "pill": "99px", "square": "0"}
MAX_SRCSET_WIDTH = 480
MAX_DENSITY = 2  # device pixels per CSS pixel worth paying for on a thumbnail


@dataclass(frozen=True)
class Picture:
    src: str
    srcset: str
    width: int
    height: int


@dataclass(frozen=True)
class Item:
    block: Block
    card: ProductCard | None = None
    picture: Picture | None = None
    eager: bool = False
    featured: bool = False  # the "featured first" layout's first product, shown large
    sizes: str = ""  # the cover's `sizes` attribute

    @property
    def initials(self) -> str:
        """A product without a cover shows its initials on the accent colour (one or two letters)."""
        words = self.card.title.split() if self.card else []
        return "".join(word[0] for word in words[:2]).upper() or "·"

    @property
    def shows_price(self) -> bool:
        """A link product sends the buyer elsewhere for free: a price would only mislead."""
        return self.card is not None and self.card.kind != "link"


@dataclass(frozen=True)
class StoreView:
    handle: str
    url: str  # absolute
    name: str
    doc: StoreDoc | None  # None: never published
    avatar: Picture | None = None
    banner: Picture | None = None
    items: list[Item] = field(default_factory=list)
    published_at: dt.datetime | None = None
    preview: bool = False

    @property
    def style(self) -> str:
        """The theme as CSS custom properties."""
        if self.doc is None:
            return ""
        colours = self.doc.colours
        colours["af"] = "#000" if _luminance(colours["ac"]) > 0.55 else "#fff"
        colours["br"] = BUTTON_RADII.get(self.doc.button, BUTTON_RADII["rounded"])
        return ";".join(f"--{name}:{value}" for name, value in colours.items())

    @property
    def layout(self) -> str:
        return self.doc.layout if self.doc and self.doc.layout in LAYOUT_CLASSES else "list"

    @property
    def layout_class(self) -> str:
        """The store's layout as a one-letter class on the block list (the page's bytes are counted)."""
        return LAYOUT_CLASSES[self.layout]

    @property
    def og_image(self) -> str:
        if self.avatar is None:
            return ""
        largest = self.avatar.srcset.split(", ")[-1].split(" ")[0]
        return (
            largest if largest.startswith(("http://", "https://")) else f"{self.url.split('/@')[0]}{largest}"
        )


LAYOUT_CLASSES = {"list": "", "grid": "g", "featured": "f", "links": "m"}


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def picture(sources: Sequence[tuple[str, int, int]], box: int) -> Picture | None:
    """src/srcset of WebP thumbnails (smallest first); width/height are the box it is shown in.

    The srcset stops at the first thumbnail that covers the box at twice its size: a 3x phone gets the 2x
    image (sharp enough at 80 CSS pixels) instead of one three times the bytes.
    """
    usable: list[tuple[str, int, int]] = []
    for source in sources:
        if source[1] > MAX_SRCSET_WIDTH and usable:
            break
        usable.append(source)
        if source[1] >= MAX_DENSITY * box:
            break
    if not usable:
        return None
    return Picture(
        src=usable[0][0],
        srcset=", ".join(f"{url} {width}w" for url, width, _ in usable),
        width=box,
        height=box,
    )


def banner_picture(sources: Sequence[tuple[str, int, int]]) -> Picture | None:
    """Every width of the banner (480 and 960 px): it spans the page, so a 3x phone takes the largest.
    width/height are the largest thumbnail's, for the aspect ratio the browser reserves before it loads."""
    if not sources:
        return None
    _, width, height = sources[-1]
    return Picture(
        src=sources[0][0],
        srcset=", ".join(f"{url} {w}w" for url, w, _ in sources),
        width=width,
        height=height,
    )


def build_view(
    settings: Settings,
    handle: str,
    account_name: str,
    doc: StoreDoc | None,
    cards: Sequence[ProductCard],
    *,
    published_at: dt.datetime | None = None,
    preview: bool = False,
) -> StoreView:
    url = f"{settings.public_url.rstrip('/')}/@{handle}"
    if doc is None:
        return StoreView(handle=handle, url=url, name=account_name, doc=None, preview=preview)
    by_id = {str(card.id): card for card in cards}
    items: list[Item] = []
    covers = 0
    layout = doc.layout
    for block in doc.blocks:
        if block.type != "product":
            items.append(Item(block))
            continue
        card = by_id.get(block.product_id)
        if card is None:  # not published (any more): buyers do not see it
            continue
        featured = layout == "featured" and not any(item.card for item in items)
        box, sizes = (FEATURED_COVER_SIZE, FEATURED_SIZES) if featured else COVER_BOXES.get(layout, (0, ""))
        # The minimal layout shows no covers at all: not even a lazy image is fetched.
        pic = picture(card.cover, box) if card.cover and box else None
        eager = pic is not None and covers < EAGER_COVERS
        items.append(Item(block, card, pic, eager=eager, featured=featured, sizes=sizes))
        covers += pic is not None
    avatar = None
    if doc.avatar:
        avatar = picture(
            [(public_url(service.avatar_key(doc.avatar, w)), w, h) for w, h in doc.avatar.sizes],
            AVATAR_SIZE,
        )
    banner = None
    if doc.banner:
        banner = banner_picture(
            [(public_url(service.avatar_key(doc.banner, w)), w, h) for w, h in doc.banner.sizes]
        )
    return StoreView(
        handle=handle,
        url=url,
        name=doc.name or account_name,
        doc=doc,
        avatar=avatar,
        banner=banner,
        items=items,
        published_at=published_at,
        preview=preview,
    )


def render_store_html(
    env: Environment,
    translations: Translations,
    locale: str,
    view: StoreView,
    *,
    htmx_path: str,
    template: str = "store/page.html",
    part: str | None = None,
    **extra: Any,
) -> str:
    context = {"translations": translations, "locale": locale, "s": view, "htmx_path": htmx_path, **extra}
    compiled = env.get_template(template)
    if part is None:
        return compiled.render(context)
    return "".join(compiled.blocks[part](compiled.new_context(context)))

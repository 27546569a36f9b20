"""Store operations: the only code that writes the store tables.

A creator's store is one JSON document edited as a draft and copied whole into ``published`` on publish. Every
function takes the ``Tenant`` of the caller's unit of work, runs its queries in ``tenant.scope()`` and only ever
loads that creator's row, so a block id of another creator is simply not found (404). The store row is made on
first use by one ``INSERT ... ON CONFLICT DO NOTHING`` (its creator_id is unique), so concurrent first loads
never race. Functions take typed values (``inputs.py``; the pages clean the forms); what depends on stored
state raises InvalidInput/ServiceError with msgids.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from piccolo.querystring import QueryString

from windsurf.audience import service as audience
from windsurf.catalog import service as catalog
from windsurf.core import db, images
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError, StaleVersion
from windsurf.core.i18n import N_, SUPPORTED_LOCALES
from windsurf.core.rendered_pages import pages_changed
from windsurf.core.storage import ObjectStorage
from windsurf.core.uow import Tenant
from windsurf.identity import service as identity
from windsurf.stores import inputs
from windsurf.stores.inputs import BIO_MAX as BIO_MAX  # the typed inputs and their limits, re-exported
from windsurf.stores.inputs import CONTACT_KINDS as CONTACT_KINDS
from windsurf.stores.inputs import SOCIAL_NETWORKS as SOCIAL_NETWORKS
from windsurf.stores.inputs import TITLE_MAX as TITLE_MAX
from windsurf.stores.inputs import URL_MAX as URL_MAX
from windsurf.stores.inputs import BlockInput as BlockInput
from windsurf.stores.inputs import CaptureBlock as CaptureBlock
from windsurf.stores.inputs import Direction as Direction
from windsurf.stores.inputs import LinkBlock as LinkBlock
from windsurf.stores.inputs import ProductBlock as ProductBlock
from windsurf.stores.inputs import Profile as Profile
from windsurf.stores.inputs import Socials as Socials
from windsurf.stores.inputs import StoreSettings as StoreSettings
from windsurf.stores.inputs import Theme as Theme
from windsurf.stores.tables import Store, StoreLead

MAX_BLOCKS = 60
AVATAR_WIDTHS = images.AVATAR.widths
DEFAULT_ACCENT = "#0b7a53"
BLOCK_TYPES = ("product", "link", "capture")
SOCIAL_LABELS = {
    "telegram": "Telegram",
    "tiktok": "TikTok",
    "instagram": "Instagram",
    "youtube": "YouTube",
    "facebook": "Facebook",
    "x": "X",
}
# Background, text, muted text, card and line colours of each palette; the accent is the creator's own.
PALETTES: dict[str, dict[str, str]] = {
    "sand": {"bg": "#fbfaf7", "fg": "#1d1b16", "mu": "#6b665c", "cd": "#ffffff", "ln": "#e4e0d6"},
    "night": {"bg": "#14161a", "fg": "#f2f2f0", "mu": "#a3a7ae", "cd": "#1f2228", "ln": "#30343c"},
    "forest": {"bg": "#eef4ef", "fg": "#14261b", "mu": "#52665a", "cd": "#ffffff", "ln": "#d3e2d7"},
    "sky": {"bg": "#eef4fb", "fg": "#13233a", "mu": "#55657a", "cd": "#ffffff", "ln": "#d5e1ef"},
    "rose": {"bg": "#fbf1f1", "fg": "#2e1618", "mu": "#76595c", "cd": "#ffffff", "ln": "#efdcdc"},
}
LAYOUT_NAMES = {
    "list": N_("List"),
    "grid": N_("Grid"),
    "featured": N_("Featured first"),
    "links": N_("Minimal links"),
}
BUTTON_NAMES = {"rounded": N_("Rounded"), "pill": N_("Pill"), "square": N_("Square")}
PALETTE_NAMES = {
    "sand": N_("Sand"),
    "night": N_("Night"),
    "forest": N_("Forest"),
    "sky": N_("Sky"),
    "rose": N_("Rose"),
}


@dataclass(frozen=True)
class Block:
    id: str
    type: str
    product_id: str = ""
    title: str = ""
    url: str = ""
    heading: str = ""
    contact: str = "email"

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Avatar:
    """A stored image of the store (the profile photo, the banner)."""

    key: str  # storage key prefix; each width is stored at f"{key}-{width}.webp"
    sizes: tuple[tuple[int, int], ...]  # (width, height) of each thumbnail, smallest first

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "sizes": [list(s) for s in self.sizes]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> Avatar | None:
        return cls(raw["key"], tuple((int(w), int(h)) for w, h in raw["sizes"])) if raw else None


@dataclass(frozen=True)
class StoreDoc:
    """Everything a buyer sees of a store (besides the handle, which identity owns)."""

    name: str
    bio: str = ""
    avatar: Avatar | None = None
    palette: str = "sand"
    accent: str = DEFAULT_ACCENT
    socials: dict[str, str] = field(default_factory=dict)
    language: str = "am"
    ethiopian_calendar: bool = False
    blocks: tuple[Block, ...] = ()
    layout: str = "list"
    button: str = "rounded"
    banner: Avatar | None = None

    @property
    def colours(self) -> dict[str, str]:
        return {**PALETTES.get(self.palette, PALETTES["sand"]), "ac": self.accent}

    def social_links(self) -> list[tuple[str, str, str]]:
        return [(n, SOCIAL_LABELS[n], self.socials[n]) for n in SOCIAL_NETWORKS if self.socials.get(n)]

    def block(self, block_id: str) -> Block:
        for block in self.blocks:
            if block.id == block_id:
                return block
        raise NotFoundError()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "bio": self.bio,
            "avatar": self.avatar.to_dict() if self.avatar else None,
            "palette": self.palette,
            "accent": self.accent,
            "socials": dict(self.socials),
            "language": self.language,
            "ethiopian_calendar": self.ethiopian_calendar,
            "blocks": [b.to_dict() for b in self.blocks],
            "layout": self.layout,
            "button": self.button,
            "banner": self.banner.to_dict() if self.banner else None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> StoreDoc:
        return cls(
            name=raw.get("name", ""),
            bio=raw.get("bio", ""),
            avatar=Avatar.from_dict(raw.get("avatar")),
            palette=raw.get("palette", "sand"),
            accent=raw.get("accent", DEFAULT_ACCENT),
            socials=dict(raw.get("socials") or {}),
            language=raw.get("language", "am"),
            ethiopian_calendar=bool(raw.get("ethiopian_calendar", False)),
            blocks=tuple(Block(**b) for b in raw.get("blocks") or []),
            layout=raw.get("layout", "list"),
            button=raw.get("button", "rounded"),
            banner=Avatar.from_dict(raw.get("banner")),
        )


@dataclass(frozen=True)
class StoreState:
    """The builder's view: the draft, and whether buyers see something else."""

    creator_id: uuid.UUID
    draft: StoreDoc
    published: StoreDoc | None
    published_at: dt.datetime | None
    profile_version: int = 1  # optimistic concurrency for the profile form

    @property
    def unpublished_changes(self) -> bool:
        return self.published is None or self.published != self.draft


# --- loading and saving -------------------------------------------------------------------------------------


def _decode(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    decoded = json.loads(value) if isinstance(value, str) else value
    return decoded if isinstance(decoded, dict) else None


def _state(creator_id: uuid.UUID, row: dict[str, Any]) -> StoreState:
    published = _decode(row["published"])
    return StoreState(
        creator_id=creator_id,
        draft=StoreDoc.from_dict(_decode(row["draft"]) or {}),
        published=StoreDoc.from_dict(published) if published else None,
        published_at=row["published_at"],
        profile_version=row.get("profile_version") or 1,
    )


async def _row(tenant: Tenant) -> dict[str, Any]:
    """The creator's store row, created with a first draft on first use."""
    creator_id = tenant.creator_id
    async with tenant.scope():
        row = await Store.select().where(Store.creator_id == creator_id).first()
    if row is not None:
        return row
    account = await identity.get_account(tenant.uow, creator_id)
    if account is None:
        raise NotFoundError()
    draft = StoreDoc(
        name=account.display_name, language=account.locale if account.locale in SUPPORTED_LOCALES else "am"
    )
    async with tenant.scope():
        # A concurrent first load may have made the row in between: the unique creator_id keeps one.
        await Store.insert(Store(id=uuid.uuid4(), creator_id=creator_id, draft=draft.to_dict())).on_conflict(
            target=Store.creator_id, action="DO NOTHING"
        )
        row = await Store.select().where(Store.creator_id == creator_id).first()
    assert row is not None
    return row


async def get_store(tenant: Tenant) -> StoreState:
    return _state(tenant.creator_id, await _row(tenant))


async def default_language(tenant: Tenant) -> str | None:
    """The language buyers see when they ask for none: the published store's setting (None before publishing)."""
    published = await get_published(tenant)
    return published[0].language if published else None


async def uses_ethiopian_calendar(tenant: Tenant) -> bool:
    """The store's calendar setting, for every date the creator sees (buyers' pages read their own copy).

    The published store's setting once there is one, else the draft's; never creates a store row (a staff
    account has none)."""
    async with tenant.scope():
        row = (
            await Store.select(Store.draft, Store.published)
            .where(Store.creator_id == tenant.creator_id)
            .first()
        )
    if row is None:
        return False
    doc = _decode(row["published"]) or _decode(row["draft"]) or {}
    return bool(doc.get("ethiopian_calendar", False))


async def get_published(tenant: Tenant) -> tuple[StoreDoc, dt.datetime] | None:
    """What buyers see, or None when the store was never published. Never creates anything."""
    async with tenant.scope():
        row = (
            await Store.select(Store.published, Store.published_at)
            .where(Store.creator_id == tenant.creator_id)
            .first()
        )
    published = _decode(row["published"]) if row else None
    if row is None or published is None:
        return None
    return StoreDoc.from_dict(published), row["published_at"]


async def _save_draft(tenant: Tenant, doc: StoreDoc) -> None:
    async with tenant.scope():
        await Store.update({Store.draft: doc.to_dict(), Store.updated_at: dt.datetime.now(dt.UTC)}).where(
            Store.creator_id == tenant.creator_id
        )


async def _edit(tenant: Tenant, change: Any) -> StoreState:
    """Load the draft, apply ``change(doc) -> doc`` and save it, in the caller's unit of work."""
    state = _state(tenant.creator_id, await _row(tenant))
    draft = await change(state.draft)
    await _save_draft(tenant, draft)
    return replace(state, draft=draft)


# --- profile, theme, links, settings ------------------------------------------------------------------------


async def update_profile(
    tenant: Tenant, profile: Profile, *, expected_version: int | None = None
) -> StoreState:
    """Name and bio go to the draft; a new handle takes effect at once (it is the store's address). Both are
    written in the caller's unit of work: they commit together or not at all.

    With ``expected_version`` (the profile version the form was loaded with) a save made after another save of
    the profile is refused with StaleVersion; the check and the bump are one UPDATE, so racing saves cannot
    both pass."""

    # A savepoint of its own: when the draft part fails (or is stale), the new handle goes too, whatever the
    # caller does next.
    async with tenant.savepoint():
        await identity.change_handle(tenant, profile.handle)
        state = _state(tenant.creator_id, await _row(tenant))
        draft = replace(state.draft, name=profile.display_name, bio=profile.bio)
        where: Any = Store.creator_id == tenant.creator_id
        if expected_version is not None:
            where &= Store.profile_version == expected_version
        async with tenant.scope():
            saved = await (
                Store.update(
                    {
                        Store.draft: draft.to_dict(),
                        Store.updated_at: dt.datetime.now(dt.UTC),
                        Store.profile_version: Store.profile_version + 1,
                    }
                )
                .where(where)
                .returning(Store.profile_version)
            )
        if not saved:
            raise StaleVersion()
        return replace(state, draft=draft, profile_version=saved[0]["profile_version"])


async def update_theme(tenant: Tenant, theme: Theme) -> StoreState:
    async def change(doc: StoreDoc) -> StoreDoc:
        return replace(
            doc, palette=theme.palette, accent=theme.accent, layout=theme.layout, button=theme.button
        )

    return await _edit(tenant, change)


async def update_socials(tenant: Tenant, socials: Socials) -> StoreState:
    async def change(doc: StoreDoc) -> StoreDoc:
        return replace(doc, socials=dict(socials.links))

    return await _edit(tenant, change)


async def update_settings(tenant: Tenant, settings: StoreSettings) -> StoreState:
    async def change(doc: StoreDoc) -> StoreDoc:
        return replace(doc, language=settings.language, ethiopian_calendar=settings.ethiopian_calendar)

    return await _edit(tenant, change)


def avatar_key(avatar: Avatar, width: int) -> str:
    return f"{avatar.key}-{width}.webp"


async def set_avatar(tenant: Tenant, storage: ObjectStorage, data: bytes, filename: str) -> StoreState:
    """Check and re-encode the upload to WebP thumbnails, store them under a fresh public key, use them."""
    return await _set_image(tenant, storage, data, filename, "avatar")


async def remove_avatar(tenant: Tenant, storage: ObjectStorage) -> StoreState:
    return await _set_image(tenant, storage, None, "", "avatar")


async def set_banner(tenant: Tenant, storage: ObjectStorage, data: bytes, filename: str) -> StoreState:
    """The optional banner across the top of the store, through the same image pipeline as the photo."""
    return await _set_image(tenant, storage, data, filename, "banner")


async def remove_banner(tenant: Tenant, storage: ObjectStorage) -> StoreState:
    return await _set_image(tenant, storage, None, "", "banner")


_IMAGE_USES = {"avatar": (images.AVATAR, "avatars"), "banner": (images.BANNER, "banners")}


async def _set_image(
    tenant: Tenant, storage: ObjectStorage, data: bytes | None, filename: str, which: str
) -> StoreState:
    """Replace (``data``) or remove (None) the store's ``which`` image; files nothing uses any more go."""
    image = None
    if data is not None:
        use, folder = _IMAGE_USES[which]
        try:
            processed = await images.process_upload(data, filename, use)
        except images.ImageRejected as exc:
            raise InvalidInput({which: exc.message}) from None
        image = Avatar(
            key=f"public/{folder}/{tenant.creator_id}/{secrets.token_hex(8)}",
            sizes=tuple((t.width, t.height) for t in processed.thumbnails),
        )
        for thumbnail in processed.thumbnails:
            await storage.put(avatar_key(image, thumbnail.width), thumbnail.data, "image/webp")
    replaced: list[Avatar] = []

    async def change(doc: StoreDoc) -> StoreDoc:
        old = getattr(doc, which)
        if old:
            replaced.append(old)
        return replace(doc, avatar=image) if which == "avatar" else replace(doc, banner=image)

    state = await _edit(tenant, change)
    await _delete_unused(storage, state, replaced)
    return state


def _images_in_use(doc: StoreDoc | None) -> set[str]:
    return {image.key for image in (doc.avatar, doc.banner) if image} if doc else set()


async def _delete_unused(storage: ObjectStorage, state: StoreState, candidates: list[Avatar]) -> None:
    """Delete image files that neither the draft nor the published store uses any more."""
    in_use = _images_in_use(state.draft) | _images_in_use(state.published)
    for image in candidates:
        if image.key not in in_use:
            for width, _height in image.sizes:
                await storage.delete(avatar_key(image, width))


# --- blocks -------------------------------------------------------------------------------------------------


async def _block(tenant: Tenant, block_id: str, block: BlockInput) -> Block:
    """The stored form of a typed block; a product block must point at one of the creator's public products."""
    if isinstance(block, LinkBlock):
        return Block(id=block_id, type="link", title=block.title, url=block.url)
    if isinstance(block, CaptureBlock):
        return Block(id=block_id, type="capture", heading=block.heading, contact=block.contact)
    if await catalog.product_card(tenant, block.product_id) is None:
        raise InvalidInput({"product_id": inputs.PRODUCT_MISSING})
    return Block(id=block_id, type="product", product_id=str(block.product_id))


async def add_block(tenant: Tenant, block: BlockInput) -> StoreState:
    stored = await _block(tenant, secrets.token_hex(6), block)

    async def change(doc: StoreDoc) -> StoreDoc:
        if len(doc.blocks) >= MAX_BLOCKS:
            raise ServiceError(N_("A store can have at most 60 blocks."))
        return replace(doc, blocks=(*doc.blocks, stored))

    return await _edit(tenant, change)


async def update_block(tenant: Tenant, block_id: str, block: BlockInput) -> StoreState:
    """Replace the block's content; its type stays what it is (a block of another type is refused)."""

    async def change(doc: StoreDoc) -> StoreDoc:
        if doc.block(block_id).type != block.type:  # doc.block: still there (404 otherwise)
            raise InvalidInput({"type": N_("Choose what to add.")})
        stored = await _block(tenant, block_id, block)
        return replace(doc, blocks=tuple(stored if b.id == block_id else b for b in doc.blocks))

    return await _edit(tenant, change)


async def remove_block(tenant: Tenant, block_id: str) -> StoreState:
    async def change(doc: StoreDoc) -> StoreDoc:
        doc.block(block_id)
        return replace(doc, blocks=tuple(b for b in doc.blocks if b.id != block_id))

    return await _edit(tenant, change)


async def move_block(tenant: Tenant, block_id: str, direction: Direction) -> StoreState:

    async def change(doc: StoreDoc) -> StoreDoc:
        blocks = list(doc.blocks)
        index = blocks.index(doc.block(block_id))
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(blocks):
            blocks[index], blocks[other] = blocks[other], blocks[index]
        return replace(doc, blocks=tuple(blocks))

    return await _edit(tenant, change)


async def add_product_block(tenant: Tenant, product_id: uuid.UUID) -> bool:
    """Put a newly published product on the store's draft (at the end), unless a block shows it already.

    Only the draft changes: what buyers see changes when the creator publishes the store. Returns whether a
    block was added."""
    added: list[bool] = []

    async def change(doc: StoreDoc) -> StoreDoc:
        if any(b.type == "product" and b.product_id == str(product_id) for b in doc.blocks):
            return doc
        if len(doc.blocks) >= MAX_BLOCKS:
            return doc  # a full store stays as it is; the product page says it is not on the store
        added.append(True)
        block = Block(id=secrets.token_hex(6), type="product", product_id=str(product_id))
        return replace(doc, blocks=(*doc.blocks, block))

    await _edit(tenant, change)
    return bool(added)


def product_placement(state: StoreState, product_id: uuid.UUID) -> str:
    """Where a product shows on the store: "live" (the published store has a block for it), "draft" (only the
    draft has one: publishing the store shows it) or "none"."""

    def shows(doc: StoreDoc | None) -> bool:
        return doc is not None and any(
            b.type == "product" and b.product_id == str(product_id) for b in doc.blocks
        )

    if shows(state.published):
        return "live"
    return "draft" if shows(state.draft) else "none"


# --- publishing ---------------------------------------------------------------------------------------------


async def publish(tenant: Tenant, storage: ObjectStorage | None = None) -> StoreState:
    """Make the draft what buyers see, in one UPDATE; only once the creator's email or phone is verified (a
    store anybody could put up under any address would let impostors sell)."""
    now = dt.datetime.now(dt.UTC)
    creator_id = tenant.creator_id
    account = await identity.get_account(tenant.uow, creator_id)
    if account is None:
        raise NotFoundError()
    identity.require_verified(
        account, N_("Verify your email address or phone number before you publish: we sent you a link.")
    )
    state = _state(creator_id, await _row(tenant))
    async with tenant.scope():
        await Store.update({Store.published: state.draft.to_dict(), Store.published_at: now}).where(
            Store.creator_id == creator_id
        )
        await pages_changed(tenant.uow, creator_id)  # buyers' pages are rendered again once this commits
    new_state = replace(state, published=state.draft, published_at=now)
    if storage is not None and state.published:
        old = [image for image in (state.published.avatar, state.published.banner) if image]
        await _delete_unused(storage, new_state, old)
    return new_state


# --- leads --------------------------------------------------------------------------------------------------


async def add_lead(tenant: Tenant, block_id: str, contact: str) -> None:
    """A buyer left an email or phone in a capture block of the PUBLISHED store; repeats are kept once."""
    creator_id = tenant.creator_id
    published = await get_published(tenant)
    block = published[0].block(block_id) if published else None
    if block is None or block.type != "capture":
        raise NotFoundError()
    capture = audience.lead_capture(block.contact, contact)  # the typed input; InvalidInput on "contact"
    value = capture.address
    lead = StoreLead(
        id=uuid.uuid4(), creator_id=creator_id, block_id=block_id, contact_kind=block.contact, contact=value
    )
    # (creator_id, contact) is unique: a repeat hits the constraint, inside a savepoint so the rest stands.
    try:
        async with tenant.savepoint():
            await StoreLead.insert(lead)
    except Exception as exc:
        if not db.is_unique_violation(exc):
            raise
        # already subscribed
    # The creator's one contact list, in the same unit of work: joining a list is consent to hear from it.
    joined = capture.as_contact("lead_block", "lead block")
    await audience.add_contact(tenant, joined)


async def list_leads(tenant: Tenant, limit: int = 50) -> list[dict[str, Any]]:
    async with tenant.scope():
        return await (
            StoreLead.select(StoreLead.contact, StoreLead.contact_kind, StoreLead.created_at)
            .where(StoreLead.creator_id == tenant.creator_id)
            .order_by(StoreLead.created_at, ascending=False)
            .limit(limit)
        )


async def recent_leads(tenant: Tenant, limit: int = 20) -> tuple[list[dict[str, Any]], int]:
    """The newest leads and how many there are in all, in one query (the dashboard shows both)."""
    rows = await tenant.uow.run(
        QueryString(
            "SELECT contact, contact_kind, created_at, COUNT(*) OVER () AS total FROM store_lead"
            " WHERE creator_id = {} ORDER BY created_at DESC LIMIT {}",
            tenant.creator_id,
            limit,
        )
    )
    total = int(rows[0]["total"]) if rows else 0
    return [{k: row[k] for k in ("contact", "contact_kind", "created_at")} for row in rows], total


async def count_leads(tenant: Tenant) -> int:
    async with tenant.scope():
        return int(await StoreLead.count().where(StoreLead.creator_id == tenant.creator_id))


# --- deleting an account ------------------------------------------------------------------------------------


async def erase(tenant: Tenant) -> None:
    """The account is being deleted: its store (profile, links, blocks) and the leads buyers left in it go.
    Its avatar files become unreferenced and the orphan sweep removes them."""
    async with tenant.scope():
        await StoreLead.delete().where(StoreLead.creator_id == tenant.creator_id)
        await Store.delete().where(Store.creator_id == tenant.creator_id)

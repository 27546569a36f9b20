"""Catalog operations: the only code that writes the catalog tables.

Every function takes the ``Tenant`` of the caller's unit of work and runs its queries in ``tenant.scope()``; a
product of another creator is indistinguishable from one that does not exist (NotFoundError). A slug is unique
per creator in the schema: a duplicate is told by its error code (``slug_taken``), never checked beforehand.
Typed values go in (``inputs.py``, re-exported here; the pages and the API clean what people send): only the
rules between fields and against stored state raise InvalidInput/ServiceError here, carrying msgids.
Files and images are checked in full before anything is stored, so a refused upload leaves no object behind.

The read model for other domains (the store page): ``ProductCard``, ``published_cards``, ``product_card``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from piccolo.querystring import QueryString

from windsurf.audience import service as audience
from windsurf.catalog import files, inputs, validation
from windsurf.catalog.inputs import KEEP as KEEP  # the typed inputs, re-exported for the service's callers
from windsurf.catalog.inputs import Direction as Direction
from windsurf.catalog.inputs import Kind as Kind
from windsurf.catalog.inputs import LeadField as LeadField
from windsurf.catalog.inputs import NewProduct as NewProduct
from windsurf.catalog.inputs import ProductChanges as ProductChanges
from windsurf.catalog.inputs import Visibility as Visibility
from windsurf.catalog.tables import Lead, Product, ProductFile
from windsurf.core import security
from windsurf.core.db import is_unique_violation
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError, StaleVersion
from windsurf.core.i18n import N_
from windsurf.core.images import COVER, ImageRejected, process_upload
from windsurf.core.rendered_pages import pages_changed
from windsurf.core.storage import ObjectStorage, StorageError, public_url
from windsurf.core.uow import Tenant

Variant = tuple[str, int, int]  # (url, width, height)
MAX_FILES_PER_PRODUCT = 20
MAX_PRODUCTS = 500
DELIVERY_LIFETIME = dt.timedelta(hours=24)


@dataclass(frozen=True)
class ProductCard:
    """What a store page shows of a product. ``cover`` variants are smallest first."""

    id: uuid.UUID
    slug: str
    title: str
    kind: str
    price_santim: int
    compare_at_santim: int | None
    pwyw_min_santim: int | None
    cover: tuple[Variant, ...] | None
    short: str
    external_url: str = ""
    duration_minutes: int | None = None


@dataclass(frozen=True)
class FileInfo:
    id: uuid.UUID
    product_id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    storage_key: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ProductView:
    """A product in full, for its owner (the builder) and its own public page."""

    id: uuid.UUID
    creator_id: uuid.UUID
    kind: str
    title: str
    slug: str
    description_md: str
    description_html: str
    price_santim: int
    compare_at_santim: int | None
    pwyw_min_santim: int | None
    external_url: str
    duration_minutes: int | None
    lead_field: str
    cover: tuple[Variant, ...] | None
    visibility: str
    sales_limit: int | None
    position: int
    created_at: dt.datetime
    updated_at: dt.datetime
    files: tuple[FileInfo, ...] = ()
    version: int = 1  # optimistic concurrency: a save names the version it edited

    @property
    def is_paid(self) -> bool:
        return self.kind in validation.PAID_KINDS

    @property
    def short(self) -> str:
        return validation.excerpt(self.description_html)

    def form_values(self) -> dict[str, str]:
        """The product as the text its edit form shows."""
        return {
            "title": self.title,
            "slug": self.slug,
            "description": self.description_md,
            "price": validation.santim_to_input(self.price_santim) if self.price_santim else "",
            "compare_at": validation.santim_to_input(self.compare_at_santim),
            "pwyw_min": validation.santim_to_input(self.pwyw_min_santim),
            "external_url": self.external_url,
            "duration_minutes": str(self.duration_minutes or ""),
            "lead_field": self.lead_field,
            "sales_limit": str(self.sales_limit or ""),
        }


@dataclass(frozen=True)
class LeadView:
    id: uuid.UUID
    product_id: uuid.UUID
    email: str | None
    phone: str | None
    created_at: dt.datetime


# --- reading ------------------------------------------------------------------------------------------------


def _cover_entries(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    entries = json.loads(raw) if isinstance(raw, str) else raw
    return list(entries or [])


def _cover(raw: Any) -> tuple[Variant, ...] | None:
    entries = _cover_entries(raw)
    if not entries:
        return None
    return tuple((public_url(entry["key"]), int(entry["width"]), int(entry["height"])) for entry in entries)


def _file(row: dict[str, Any]) -> FileInfo:
    return FileInfo(
        row["id"],
        row["product_id"],
        row["filename"],
        row["content_type"],
        row["size_bytes"],
        row["storage_key"],
        row["created_at"],
    )


def _view(row: dict[str, Any], file_rows: list[dict[str, Any]] | None = None) -> ProductView:
    return ProductView(
        id=row["id"],
        creator_id=row["creator_id"],
        kind=row["kind"],
        title=row["title"],
        slug=row["slug"],
        description_md=row["description_md"],
        description_html=row["description_html"],
        price_santim=row["price_santim"],
        compare_at_santim=row["compare_at_santim"],
        pwyw_min_santim=row["pwyw_min_santim"],
        external_url=row["external_url"],
        duration_minutes=row["duration_minutes"],
        lead_field=row["lead_field"],
        cover=_cover(row["cover"]),
        visibility=row["visibility"],
        sales_limit=row["sales_limit"],
        position=row["position"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        files=tuple(_file(f) for f in file_rows or []),
        version=row.get("version") or 1,
    )


def _card(row: dict[str, Any]) -> ProductCard:
    return ProductCard(
        id=row["id"],
        slug=row["slug"],
        title=row["title"],
        kind=row["kind"],
        price_santim=row["price_santim"],
        compare_at_santim=row["compare_at_santim"],
        pwyw_min_santim=row["pwyw_min_santim"],
        cover=_cover(row["cover"]),
        short=validation.excerpt(row["description_html"]),
        external_url=row["external_url"],
        duration_minutes=row["duration_minutes"],
    )


def _mine(creator_id: uuid.UUID) -> Any:
    return Product.creator_id == creator_id


def _public(creator_id: uuid.UUID) -> Any:
    """The creator's products a buyer may open by address: published or unlisted, never drafts."""
    return _mine(creator_id) & Product.visibility.is_in(["published", "unlisted"])


async def _row(creator_id: uuid.UUID, product_id: uuid.UUID) -> dict[str, Any]:
    row = await Product.select().where(_mine(creator_id) & (Product.id == product_id)).first()
    if row is None:
        raise NotFoundError()
    return row


async def _file_rows(creator_id: uuid.UUID, product_id: uuid.UUID) -> list[dict[str, Any]]:
    return await (
        ProductFile.select()
        .where((ProductFile.creator_id == creator_id) & (ProductFile.product_id == product_id))
        .order_by(ProductFile.created_at)
    )


async def published_cards(tenant: Tenant) -> list[ProductCard]:
    """The creator's published products, in the creator's order (the store page lists these)."""
    creator_id = tenant.creator_id
    async with tenant.scope():
        rows = await (
            Product.select()
            .where(_mine(creator_id) & (Product.visibility == "published"))
            .order_by(Product.position)
            .order_by(Product.created_at)
        )
    return [_card(row) for row in rows]


async def product_card(tenant: Tenant, product_id: uuid.UUID) -> ProductCard | None:
    """One published or unlisted product as a card (a store block pointing at it); None when not public."""
    creator_id = tenant.creator_id
    async with tenant.scope():
        row = await Product.select().where(_public(creator_id) & (Product.id == product_id)).first()
    return _card(row) if row else None


async def list_products(tenant: Tenant) -> list[ProductView]:
    """All the creator's products in order, each with its files (two queries, whatever the count)."""
    creator_id = tenant.creator_id
    async with tenant.scope():
        rows = (
            await Product.select()
            .where(_mine(creator_id))
            .order_by(Product.position)
            .order_by(Product.created_at)
        )
        file_rows = (
            await ProductFile.select()
            .where(ProductFile.creator_id == creator_id)
            .order_by(ProductFile.created_at)
        )
    per_product: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for file_row in file_rows:
        per_product.setdefault(file_row["product_id"], []).append(file_row)
    return [_view(row, per_product.get(row["id"])) for row in rows]


async def get_product(tenant: Tenant, product_id: uuid.UUID) -> ProductView:
    creator_id = tenant.creator_id
    async with tenant.scope():
        row = await _row(creator_id, product_id)
        file_rows = await _file_rows(creator_id, product_id)
    return _view(row, file_rows)


async def public_product(tenant: Tenant, slug: str) -> ProductView | None:
    """A product buyers may open by its address: published or unlisted, never a draft."""
    creator_id = tenant.creator_id
    if not validation.SLUG_PATTERN.match(slug):
        return None
    async with tenant.scope():
        row = await Product.select().where(_public(creator_id) & (Product.slug == slug)).first()
        if row is None:
            return None
        file_rows = await _file_rows(creator_id, row["id"])
    return _view(row, file_rows)


# --- writing products ---------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _checked(kind: str, changes: ProductChanges, current: Mapping[str, Any]) -> dict[str, Any]:
    """The columns to write: the typed fields, checked by the rules between fields against the stored product
    (each field on its own is already clean), plus the description rendered once."""
    values = changes.values()
    errors: dict[str, str] = {}
    inputs.check_rules(kind, {**current, **values}, errors, values)
    if errors:
        raise InvalidInput(errors)
    if "description_md" in values:
        values["description_html"] = validation.render_markdown(values["description_md"])
    return values


SLUG_TAKEN = N_("You already have a product at that address. Choose another.")
SLUG_ATTEMPTS = 5  # concurrent creations with one title, each losing the race to the next free slug


def _slug_taken(exc: Exception) -> InvalidInput:
    return InvalidInput({"slug": SLUG_TAKEN}, {"slug": "slug_taken"})


async def _free_slug(creator_id: uuid.UUID, title: str) -> str:
    """The first of ``base``, ``base-2``, ``base-3``... that none of the creator's products uses (one query).

    Only a suggestion: the insert that follows may still lose to a concurrent one, which the unique index
    reports and the caller retries."""
    base = validation.slugify(title)
    stem = base[:70]
    used = {
        row["slug"]
        for row in await Product.select(Product.slug).where(
            _mine(creator_id) & ((Product.slug == base) | Product.slug.like(f"{stem}-%"))
        )
    }
    slug, n = base, 1
    while slug in used:
        n += 1
        slug = f"{stem}-{n}"
    return slug


async def create_product(tenant: Tenant, new: NewProduct) -> ProductView:
    """A new draft product; fields not given take their defaults."""
    creator_id = tenant.creator_id
    clean_kind = new.kind
    values = {"title": new.title, **_checked(clean_kind, new.fields, inputs.CREATE_DEFAULTS)}
    chosen = values.pop("slug", None)
    async with tenant.scope():
        if await Product.count().where(_mine(creator_id)) >= MAX_PRODUCTS:
            raise ServiceError(N_("You have reached the limit of 500 products."), code="product_limit")
        last = (
            await Product.select(Product.position)
            .where(_mine(creator_id))
            .order_by(Product.position, ascending=False)
            .first()
        )
    for _attempt in range(SLUG_ATTEMPTS):
        async with tenant.scope():
            slug = chosen or await _free_slug(creator_id, values["title"])
        product = Product(
            id=uuid.uuid4(),
            creator_id=creator_id,
            kind=clean_kind,
            slug=slug,
            visibility="draft",
            position=(last["position"] + 1) if last else 0,
            **values,
        )
        try:
            async with tenant.savepoint():
                await product.save()
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
            if chosen:
                raise _slug_taken(exc) from exc
            continue  # a concurrent creation took the suggested slug: suggest again
        return _view(product.to_dict())
    raise ServiceError(N_("Some fields are missing or not valid."), field="slug", code="slug_taken")


async def update_product(
    tenant: Tenant, product_id: uuid.UUID, changes: ProductChanges, *, expected_version: int | None = None
) -> ProductView:
    """Change the fields given in ``changes``; the others keep their value.

    With ``expected_version`` (the version the editor loaded) the save is refused with StaleVersion when the
    product was saved since: the version check and the bump are one UPDATE, so two racing saves cannot both
    pass it."""
    creator_id = tenant.creator_id
    async with tenant.scope():
        row = await _row(creator_id, product_id)
    if expected_version is not None and expected_version != row["version"]:
        raise StaleVersion()
    values: dict[Any, Any] = {getattr(Product, k): v for k, v in _checked(row["kind"], changes, row).items()}
    values[Product.updated_at] = _now()
    values[Product.version] = Product.version + 1
    where = _mine(creator_id) & (Product.id == product_id)
    if expected_version is not None:
        where &= Product.version == expected_version
    try:
        async with tenant.savepoint():
            rows = await Product.update(values).where(where).returning(*Product.all_columns())
    except Exception as exc:
        if is_unique_violation(exc):
            raise _slug_taken(exc) from exc
        raise
    if not rows:  # another save bumped the version between our read and our write
        raise StaleVersion()
    async with tenant.scope():
        if row["visibility"] != "draft":
            await pages_changed(tenant.uow, creator_id, products=[product_id])
        file_rows = await _file_rows(creator_id, product_id)
    return _view(rows[0], file_rows)


async def set_visibility(tenant: Tenant, product_id: uuid.UUID, visibility: Visibility) -> ProductView:
    creator_id = tenant.creator_id
    clean = visibility
    async with tenant.scope():
        row = await _row(creator_id, product_id)
        file_rows = await _file_rows(creator_id, product_id)
        if clean != "draft":
            if row["kind"] == "download" and not file_rows:
                raise ServiceError(
                    N_("Add at least one file before publishing a download."), field="visibility"
                )
            if row["kind"] == "lead_magnet" and not file_rows and not row["external_url"]:
                raise ServiceError(
                    N_("Add a file or a link to give away before publishing a lead magnet."),
                    field="visibility",
                )
        bump: dict[Any, Any] = {
            Product.visibility: clean,
            Product.updated_at: _now(),
            Product.version: Product.version + 1,
        }
        await Product.update(bump).where(_mine(creator_id) & (Product.id == product_id))
        if row["visibility"] != clean:
            await pages_changed(tenant.uow, creator_id, products=[product_id])
        row = await _row(creator_id, product_id)
    return _view(row, file_rows)


# Renumbers the creator's products densely in their order and swaps the one moved with its neighbour, in one
# statement; rows whose position is unchanged are not written. The moved row is always returned (even at either
# end, where nothing moves), so no row back means no such product of this creator.
_MOVE = """
WITH ordered AS (
    SELECT id, ROW_NUMBER() OVER (ORDER BY position, created_at, id) - 1 AS pos
    FROM product WHERE creator_id = {creator}
),
target AS (SELECT pos FROM ordered WHERE id = {product}),
neighbour AS (SELECT o.pos FROM ordered o, target t WHERE o.pos = t.pos + (%(step)d)),
renumbered AS (
    SELECT o.id, CASE
        WHEN NOT EXISTS (SELECT 1 FROM neighbour) THEN o.pos
        WHEN o.id = {product} THEN o.pos + (%(step)d)
        WHEN o.pos = (SELECT pos FROM neighbour) THEN o.pos - (%(step)d)
        ELSE o.pos END AS new_pos
    FROM ordered o
)
UPDATE product SET position = renumbered.new_pos
FROM renumbered
WHERE product.id = renumbered.id AND product.creator_id = {creator}
    AND (product.position <> renumbered.new_pos OR product.id = {product})
RETURNING product.id
"""


async def move_product(tenant: Tenant, product_id: uuid.UUID, direction: Direction) -> None:
    """Swap the product with its neighbour above ('up') or below ('down'); at either end nothing changes."""
    step = -1 if direction == "up" else 1
    named = {"{creator}": tenant.creator_id, "{product}": product_id}
    parts = re.split(r"(\{creator\}|\{product\})", _MOVE % {"step": step})
    values = [named[part] for part in parts if part in named]
    sql = "".join("{}" if part in named else part for part in parts)
    moved = await tenant.uow.run(QueryString(sql, *values))
    if not moved:
        raise NotFoundError()


async def delete_product(tenant: Tenant, product_id: uuid.UUID, storage: ObjectStorage) -> None:
    """Remove the product, its files and its cover. Captured leads stay: they are the creator's list."""
    creator_id = tenant.creator_id
    async with tenant.scope():
        row = await _row(creator_id, product_id)
        file_rows = await _file_rows(creator_id, product_id)
        await ProductFile.delete().where(
            (ProductFile.creator_id == creator_id) & (ProductFile.product_id == product_id)
        )
        await Product.delete().where(_mine(creator_id) & (Product.id == product_id))
        if row["visibility"] != "draft":
            await pages_changed(tenant.uow, creator_id, products=[product_id])
    for key in [f["storage_key"] for f in file_rows] + [e["key"] for e in _cover_entries(row["cover"])]:
        await storage.delete(key)


# --- cover images -------------------------------------------------------------------------------------------


def cover_key(creator_id: uuid.UUID, product_id: uuid.UUID, data: bytes, width: int) -> str:
    """Public, content-hashed: a changed cover gets a new URL, so caches may keep each one forever."""
    digest = hashlib.sha256(data).hexdigest()[:20]
    return f"public/covers/{creator_id}/{product_id}/{digest}-{width}.webp"


async def set_cover(
    tenant: Tenant, product_id: uuid.UUID, storage: ObjectStorage, data: bytes, filename: str
) -> ProductView:
    creator_id = tenant.creator_id
    # Checked before the upload is processed, without beginning the transaction (see UnitOfWork.read).
    if not await tenant.uow.read(Product.exists().where(_mine(creator_id) & (Product.id == product_id))):
        raise NotFoundError()
    try:
        image = await process_upload(data, filename, COVER)
    except ImageRejected as exc:
        raise ServiceError(exc.message, field="cover") from None
    entries = []
    for thumb in image.thumbnails:
        key = cover_key(creator_id, product_id, thumb.data, thumb.width)
        await storage.put(key, thumb.data, "image/webp")
        entries.append({"key": key, "width": thumb.width, "height": thumb.height})
    return await _replace_cover(tenant, product_id, storage, entries)


async def remove_cover(tenant: Tenant, product_id: uuid.UUID, storage: ObjectStorage) -> ProductView:
    return await _replace_cover(tenant, product_id, storage, [])


async def _replace_cover(
    tenant: Tenant, product_id: uuid.UUID, storage: ObjectStorage, entries: list[dict[str, Any]]
) -> ProductView:
    creator_id = tenant.creator_id
    new_keys = {entry["key"] for entry in entries}
    try:
        async with tenant.scope():
            row = await _row(creator_id, product_id)
            await Product.update({Product.cover: entries or None, Product.updated_at: _now()}).where(
                _mine(creator_id) & (Product.id == product_id)
            )
            if row["visibility"] != "draft":
                await pages_changed(tenant.uow, creator_id, products=[product_id])
    except Exception:
        for key in new_keys:
            await storage.delete(key)
        raise
    for entry in _cover_entries(row["cover"]):
        if entry["key"] not in new_keys:
            await storage.delete(entry["key"])
    return await get_product(tenant, product_id)


# --- product files ------------------------------------------------------------------------------------------


async def add_file(
    tenant: Tenant,
    product_id: uuid.UUID,
    storage: ObjectStorage,
    data: bytes,
    filename: str,
    *,
    max_bytes: int,
) -> FileInfo:
    """Check the upload in full, then store it under a private key we generate."""
    creator_id = tenant.creator_id
    # Read without beginning the transaction: the upload is checked before anything is written.
    row = await tenant.uow.read(
        Product.select(Product.kind).where(_mine(creator_id) & (Product.id == product_id)).first()
    )
    if row is None:
        raise NotFoundError()
    count = await tenant.uow.read(
        ProductFile.count().where(
            (ProductFile.creator_id == creator_id) & (ProductFile.product_id == product_id)
        )
    )
    if row["kind"] not in {"download", "lead_magnet"}:
        raise ServiceError(N_("Only downloads and lead magnets have files."), field="file")
    if count >= MAX_FILES_PER_PRODUCT:
        raise ServiceError(N_("A product can have at most 20 files."), field="file")
    try:
        checked = await files.check_upload(data, filename, max_bytes=max_bytes)
    except files.FileRejected as exc:
        variables = cast(dict[str, Any], exc.variables)
        raise ServiceError(exc.message, field="file", code="file_rejected", **variables) from None
    name, file_type = checked.name, checked.file_type
    file_id = uuid.uuid4()
    key = f"private/files/{creator_id}/{product_id}/{file_id}"
    await storage.put(key, data, file_type.content_type)
    record = ProductFile(
        id=file_id,
        creator_id=creator_id,
        product_id=product_id,
        storage_key=key,
        filename=name,
        content_type=file_type.content_type,
        size_bytes=len(data),
        sha256=checked.sha256,
    )
    try:
        async with tenant.scope():
            await record.save()
            await Product.update({Product.updated_at: _now()}).where(
                _mine(creator_id) & (Product.id == product_id)
            )
            saved = await ProductFile.select().where(ProductFile.id == file_id).first()
    except Exception:
        await storage.delete(key)
        raise
    assert saved is not None
    return _file(saved)


async def get_file(tenant: Tenant, product_id: uuid.UUID, file_id: uuid.UUID) -> FileInfo:
    creator_id = tenant.creator_id
    async with tenant.scope():
        row = (
            await ProductFile.select()
            .where(
                (ProductFile.creator_id == creator_id)
                & (ProductFile.product_id == product_id)
                & (ProductFile.id == file_id)
            )
            .first()
        )
    if row is None:
        raise NotFoundError()
    return _file(row)


async def remove_file(
    tenant: Tenant, product_id: uuid.UUID, file_id: uuid.UUID, storage: ObjectStorage
) -> None:
    creator_id = tenant.creator_id
    info = await get_file(tenant, product_id, file_id)
    async with tenant.scope():
        await ProductFile.delete().where((ProductFile.creator_id == creator_id) & (ProductFile.id == file_id))
        remaining = await ProductFile.count().where(
            (ProductFile.creator_id == creator_id) & (ProductFile.product_id == product_id)
        )
        row = await _row(creator_id, product_id)
        changes: dict[Any, Any] = {Product.updated_at: _now()}
        if row["kind"] == "download" and remaining == 0 and row["visibility"] != "draft":
            # A download with nothing to download goes back to draft rather than selling air.
            changes[Product.visibility] = "draft"
            await pages_changed(tenant.uow, creator_id, products=[product_id])
        await Product.update(changes).where(_mine(creator_id) & (Product.id == product_id))
    await storage.delete(info.storage_key)


async def read_file(storage: ObjectStorage, info: FileInfo) -> bytes:
    try:
        return await storage.get(info.storage_key)
    except StorageError:
        raise NotFoundError() from None


# --- leads --------------------------------------------------------------------------------------------------


async def capture_lead(tenant: Tenant, product_id: uuid.UUID, contact: str) -> LeadView:
    """Store a buyer's email or phone for a public lead magnet (once per contact and product)."""
    creator_id = tenant.creator_id
    async with tenant.scope():
        row = (
            await Product.select()
            .where(
                _mine(creator_id)
                & (Product.id == product_id)
                & (Product.kind == "lead_magnet")
                & Product.visibility.is_in(["published", "unlisted"])
            )
            .first()
        )
    if row is None:
        raise NotFoundError()
    field = row["lead_field"]
    capture = audience.lead_capture(field, contact)  # the typed input; InvalidInput on "contact"
    clean = capture.address
    column = Lead.email if field == "email" else Lead.phone
    async with tenant.scope():
        # Once per contact and product: the unique indexes keep a repeat (or a concurrent twin) out.
        await Lead.insert(
            Lead(
                id=uuid.uuid4(),
                creator_id=creator_id,
                product_id=product_id,
                email=clean if field == "email" else None,
                phone=clean if field == "phone" else None,
            )
        ).on_conflict(action="DO NOTHING")
        existing = (
            await Lead.select()
            .where((Lead.creator_id == creator_id) & (Lead.product_id == product_id) & (column == clean))
            .first()
        )
    assert existing is not None
    # The creator's one contact list, in the same unit of work.
    joined = capture.as_contact("lead_magnet", "lead magnet")
    await audience.add_contact(tenant, joined)
    return LeadView(
        existing["id"], existing["product_id"], existing["email"], existing["phone"], existing["created_at"]
    )


async def list_leads(tenant: Tenant, product_id: uuid.UUID | None = None) -> list[LeadView]:
    creator_id = tenant.creator_id
    async with tenant.scope():
        query: Any = Lead.creator_id == creator_id
        if product_id is not None:
            query = query & (Lead.product_id == product_id)
        rows = await Lead.select().where(query).order_by(Lead.created_at, ascending=False)
    return [LeadView(r["id"], r["product_id"], r["email"], r["phone"], r["created_at"]) for r in rows]


async def erase_leads(tenant: Tenant) -> None:
    """The creator's account is being deleted: the contacts buyers left on its lead magnets go with it."""
    async with tenant.scope():
        await Lead.delete().where(Lead.creator_id == tenant.creator_id)


def delivery_token(
    secret_key: str, lead_id: uuid.UUID, file_id: uuid.UUID, *, now: float | None = None
) -> str:
    """A signed, expiring capability to download one lead magnet file, handed to the buyer after capture."""
    expires = int((now or time.time()) + DELIVERY_LIFETIME.total_seconds())
    signature = security.keyed_digest(secret_key, f"lead-delivery:{lead_id}:{file_id}:{expires}")[:32]
    return f"{lead_id}.{expires}.{signature}"


async def delivered_file(
    tenant: Tenant, secret_key: str, product_id: uuid.UUID, file_id: uuid.UUID, token: str
) -> FileInfo:
    """The lead magnet file a valid delivery token grants; anything else is a 404."""
    creator_id = tenant.creator_id
    try:
        lead_text, expires_text, signature = token.split(".")
        lead_id = uuid.UUID(lead_text)
        expires = int(expires_text)
    except ValueError:
        raise NotFoundError() from None
    expected = security.keyed_digest(secret_key, f"lead-delivery:{lead_id}:{file_id}:{expires}")[:32]
    if expires < time.time() or not security.digests_match(expected, signature):
        raise NotFoundError()
    async with tenant.scope():
        lead = await Lead.exists().where(
            (Lead.creator_id == creator_id) & (Lead.id == lead_id) & (Lead.product_id == product_id)
        )
        product = await Product.exists().where(
            _mine(creator_id)
            & (Product.id == product_id)
            & (Product.kind == "lead_magnet")
            & Product.visibility.is_in(["published", "unlisted"])
        )
    if not (lead and product):
        raise NotFoundError()
    return await get_file(tenant, product_id, file_id)

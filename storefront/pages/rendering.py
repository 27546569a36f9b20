"""Public pages rendered when they change, and read by buyers without rendering anything.

The render job (``pages.render``, enqueued by the domain services in the transaction of the change) renders the
store page and the product pages of one creator in every language, compresses them, stores them
(``windsurf.core.rendered_pages``) and only then starts a new page-cache version for the store's address, so
Redis and every process's near cache move on to the new pages; when Redis blinks the job fails and the outbox
retries it. Rendering and gzip are CPU work: they run in worker threads, a bounded number at a time.

A buyer's request (``serve``) reads the near cache, then Redis, then the stored row. Only a page that is missing
from the table (a store published before pages were stored) is rendered on a request, once, and stored.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from jinja2 import Environment

import storefront
from storefront.pages import public_page, store_view
from windsurf.catalog import service as catalog
from windsurf.catalog.service import ProductCard, ProductView
from windsurf.core import i18n, jobs, rendered_pages
from windsurf.core.errors import NotFoundError
from windsurf.core.pagecache import PageCache
from windsurf.core.rendered_pages import DEFAULT_LOCALE, StoredPage
from windsurf.core.templating import build_environment
from windsurf.core.uow import Tenant, UnitOfWork
from windsurf.identity import service as identity
from windsurf.identity.service import Account
from windsurf.settings import Settings
from windsurf.stores import service as stores
from windsurf.stores.service import StoreDoc

RENDER_THREADS = 2  # renders at once per process: CPU work, so more than the cores only queues in threads
T = TypeVar("T")
_limiter: anyio.CapacityLimiter | None = None


@functools.cache
def environment() -> Environment:
    """The Jinja environment public pages are rendered with (the job has no application to borrow one from)."""
    return build_environment([storefront.TEMPLATES_DIR])


async def _in_thread(work: Callable[[], T]) -> T:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(RENDER_THREADS)
    return await anyio.to_thread.run_sync(work, limiter=_limiter)


def page_key(handle: str, slug: str, version: str, preferred: str | None) -> str:
    return f"p:{handle}:{slug}:{version}:{preferred or '-'}"


def scope(handle: str) -> str:
    """The page-cache scope of a store's address: its store page and its product pages."""
    return f"@{handle}"


def compress(html: str, language: str, version: int) -> StoredPage:
    body = html.encode()
    return StoredPage(
        status=200,
        language=language,
        etag='"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"',
        body_gzip=gzip.compress(body, compresslevel=9, mtime=0),
        version=version,
    )


# --- what a page shows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSource:
    account: Account
    doc: StoreDoc | None
    published_at: dt.datetime | None
    cards: list[ProductCard]

    @property
    def language(self) -> str | None:
        return self.doc.language if self.doc else None


async def store_source(tenant: Tenant, account: Account) -> StoreSource:
    """The PUBLISHED store (never the draft) and the cards its product blocks show."""
    published = await stores.get_published(tenant)
    doc, published_at = published if published else (None, None)
    has_products = doc is not None and any(block.type == "product" for block in doc.blocks)
    cards = await catalog.published_cards(tenant) if has_products else []
    return StoreSource(account, doc, published_at, cards)


def render_store(settings: Settings, source: StoreSource, locale: str) -> str:
    handle = source.account.handle or ""
    view = store_view.build_view(
        settings,
        handle,
        source.account.display_name,
        source.doc,
        source.cards,
        published_at=source.published_at,
    )
    return store_view.render_store_html(
        environment(),
        i18n.translations_for(storefront.LOCALES_DIR, locale),
        locale,
        view,
        htmx_path=storefront.HTMX_PATH,
    )


def _absolute(settings: Settings, url: str) -> str:
    return f"{settings.public_url.rstrip('/')}{url}" if url.startswith("/") else url


def product_context(
    settings: Settings, creator: Account, product: ProductView, store: StoreDoc | None = None, **extra: Any
) -> dict[str, Any]:
    """What store/product.html shows; nothing in it may depend on the visitor (the page is shared). A product
    page wears its published store's name and colours (the account's name only before the store is published)."""
    cover = product.cover or ()
    og_image = cover[-1] if cover else None
    return {
        "creator": creator,
        "store_name": store.name if store and store.name else creator.display_name,
        "colours": store.colours if store else None,
        "product": product,
        "cover": cover,
        "srcset": ", ".join(f"{url} {width}w" for url, width, _ in cover),
        "og_image": (_absolute(settings, og_image[0]), og_image[1], og_image[2]) if og_image else None,
        "page_url": _absolute(settings, f"/@{creator.handle}/{product.slug}"),
        "errors": {},
        "form": {},
        **extra,
    }


def render_product(
    settings: Settings, creator: Account, product: ProductView, locale: str, store: StoreDoc | None = None
) -> str:
    context = {
        "locale": locale,
        "translations": i18n.translations_for(storefront.LOCALES_DIR, locale),
        "csrf_token": "",  # buyers' pages carry no CSRF token: their one form checks the origin instead
        "csrf_input": "",
        "settings": settings,
        "htmx_path": storefront.HTMX_PATH,
        "account": None,
        **product_context(settings, creator, product, store),
    }
    return environment().get_template("store/product.html").render(context)


# --- the render job -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    slug: str
    product_id: uuid.UUID | None
    render: Callable[[str], str]


def _variants(page: _Page, default_language: str, version: int) -> list[tuple[str, StoredPage]]:
    """The page in every language, plus the row for buyers who ask for none (a copy of the store's language)."""
    rendered = {locale: compress(page.render(locale), locale, version) for locale in i18n.SUPPORTED_LOCALES}
    return [*rendered.items(), (DEFAULT_LOCALE, rendered[default_language])]


@asynccontextmanager
async def _own_unit() -> AsyncIterator[UnitOfWork]:
    """A unit of work of the job's own, committed at the end of the block: the rows must be committed before the
    page cache moves on (else a request in between would cache the old row under the new version), and no
    transaction is held while the pages render."""
    uow = UnitOfWork()
    try:
        yield uow
    except BaseException:
        await uow.rollback()
        raise
    await uow.commit()


@jobs.job(rendered_pages.RENDER_JOB)
async def render_public_pages(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    """Render and store one creator's public pages; safe to run again (a newer render always wins)."""
    version = rendered_pages.new_version()  # before reading anything the pages show
    settings = context.settings
    old_handle: str | None = payload.get("old_handle")
    wanted = payload.get("products")
    in_scope = None if wanted is None else {uuid.UUID(product_id) for product_id in wanted}
    source: StoreSource | None = None
    public: list[ProductView] = []
    async with _own_unit() as uow:
        account = await identity.get_account(uow, uuid.UUID(payload["creator_id"]))
        if account is not None and account.handle:
            tenant = await uow.act_for(account.id)
            source = await store_source(tenant, account)
            public = [
                product
                for product in await catalog.list_products(tenant)
                if product.visibility in {"published", "unlisted"}
                and (in_scope is None or product.id in in_scope)
            ]
    moved = old_handle is not None and (account is None or account.handle != old_handle)
    if account is None or not account.handle or source is None:
        if moved and old_handle:
            async with _own_unit() as uow, uow.scope():
                await rendered_pages.forget(old_handle)
        await _bump(context.page_cache, old_handle)
        return
    handle = account.handle
    default_language = source.language or settings.default_locale
    pages = [_Page("", None, functools.partial(render_store, settings, source))]
    pages += [
        _Page(
            product.slug,
            product.id,
            functools.partial(render_product, settings, account, product, store=source.doc),
        )
        for product in public
    ]
    rendered = await _in_thread(
        lambda: [(page, _variants(page, default_language, version)) for page in pages]
    )
    async with _own_unit() as uow, uow.scope():
        if moved and old_handle:
            await rendered_pages.forget(old_handle)
        for page, variants in rendered:
            for locale, stored in variants:
                await rendered_pages.save(handle, page.slug, locale, stored, product_id=page.product_id)
        # Product pages stored before that are no longer public (hidden, deleted, or moved to another slug):
        # a tombstone, so that an older render can never bring them back.
        kept = {page.slug for page in pages}
        gone = StoredPage(status=rendered_pages.GONE, language="", etag="", body_gzip=b"", version=version)
        for slug, product_id in await rendered_pages.pages_of(handle):
            if slug not in kept and (in_scope is None or product_id is None or product_id in in_scope):
                for locale in (*i18n.SUPPORTED_LOCALES, DEFAULT_LOCALE):
                    await rendered_pages.save(handle, slug, locale, gone, product_id=product_id)
    await _bump(context.page_cache, handle, old_handle)


async def _bump(cache: PageCache | None, *handles: str | None) -> None:
    """After the rows are stored: a new cache version, so no process serves the pages cached before."""
    if cache is None:
        return
    for handle in handles:
        if handle:
            await cache.invalidate(scope(handle))


# --- a buyer's request --------------------------------------------------------------------------------------


async def serve(
    uow: UnitOfWork, cache: PageCache, settings: Settings, handle: str, slug: str, preferred: str | None
) -> public_page.CachedPage:
    """The page at /@handle (slug "") or /@handle/slug: near cache, Redis, the stored row, else render once.

    The stored row is read outside the request's unit of work: one statement needs no transaction, so the unit
    never begins (no BEGIN, no COMMIT) unless the page is missing and has to be rendered.
    """
    key = None
    if cache.enabled:
        key = page_key(handle, slug, await cache.version(scope(handle)), preferred)
        raw = await cache.get(key)
        if raw is not None:
            return public_page.CachedPage.decode(raw)
    stored = (
        await rendered_pages.read(handle, slug, preferred or DEFAULT_LOCALE)
        if settings.stored_pages
        else None
    )
    if stored is None:
        stored = await render_missing(uow, settings, handle, slug, preferred)
    if stored.status != 200:
        raise NotFoundError()
    page = public_page.CachedPage.of_stored(stored)
    if key is not None:
        await cache.set(key, page.encode())
    return page


async def render_missing(
    uow: UnitOfWork, settings: Settings, handle: str, slug: str, preferred: str | None
) -> StoredPage:
    """A page nobody stored yet (published before pages were stored): render it this once, and store it in the
    request's unit of work."""
    version = rendered_pages.new_version()
    account = await identity.find_by_handle(uow, handle)
    if account is None:
        raise NotFoundError()
    tenant = await uow.act_for(account.id)
    product_id = None
    if slug:
        product = await catalog.public_product(tenant, slug)
        if product is None:
            raise NotFoundError()
        product_id = product.id
        published = await stores.get_published(tenant)
        store = published[0] if published else None
        locale = preferred or (store.language if store else None) or settings.default_locale
        stored = await _in_thread(
            lambda: compress(render_product(settings, account, product, locale, store), locale, version)
        )
    else:
        source = await store_source(tenant, account)
        locale = preferred or source.language or settings.default_locale
        stored = await _in_thread(lambda: compress(render_store(settings, source, locale), locale, version))
    if settings.stored_pages:
        async with uow.scope():
            await rendered_pages.save(
                handle, slug, preferred or DEFAULT_LOCALE, stored, product_id=product_id
            )
    return stored

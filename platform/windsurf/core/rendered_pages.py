"""Rendered public pages, stored durably: what buyers' requests read instead of rendering a template.

A change that buyers can see (publishing the store, a visible product edit, a new handle) calls
``pages_changed`` inside its own transaction: that enqueues the render job (the outbox), so the pages are
rendered exactly when the change committed, and again if a worker died half-way. The job lives in the storefront
(which owns the templates) and is known here only by name, so no domain imports the storefront.

Reads are one statement on the unique key (handle, slug, locale), outside any transaction: a single statement
needs none, and the rows are public (see ``RenderedPage`` for why they are not under row-level security).
Writes are ordered by ``version``: an older render never replaces a newer one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from windsurf.core import db, jobs
from windsurf.core.tables import RenderedPage
from windsurf.core.uow import UnitOfWork

RENDER_JOB = jobs.declare("pages.render")
DEFAULT_LOCALE = ""  # the row a buyer who asks for no language gets: the store's own language
GONE = 404


@dataclass(frozen=True)
class StoredPage:
    status: int
    language: str
    etag: str
    body_gzip: bytes
    version: int
    content_type: str = "text/html; charset=utf-8"


def new_version() -> int:
    """A render's place in the order of renders: taken BEFORE the render reads what it shows.

    Every change enqueues its render job when it commits, so the job that renders it starts (and takes its
    version) after the change: the last render to start wins, and it has seen the last change. Workers' clocks
    are assumed to agree to well within the time between two changes of one store (NTP).
    """
    return time.time_ns() // 1000


async def pages_changed(
    uow: UnitOfWork,
    creator_id: uuid.UUID,
    *,
    products: Iterable[uuid.UUID] | None = None,
    old_handle: str | None = None,
) -> None:
    """Ask for the creator's public pages to be rendered again, in the caller's transaction.

    ``products`` limits the job to the store page and those products' pages (a product edit); ``None`` renders
    every page (a publish, a new handle). ``old_handle``: the address the pages had until now, to drop.
    """
    payload: dict[str, object] = {"creator_id": str(creator_id)}
    if products is not None:
        payload["products"] = sorted(str(product) for product in products)
    if old_handle:
        payload["old_handle"] = old_handle
    await jobs.enqueue(uow, RENDER_JOB, payload)


_COLUMNS = "status, language, etag, body_gzip, version, content_type"


async def read(handle: str, slug: str, locale: str) -> StoredPage | None:
    """The stored page, or None when it was never rendered. One indexed query.

    The buyer's hot path: on PostgreSQL one statement that asyncpg prepares once per pooled connection, the row
    taken as the driver gives it (Piccolo's query building and result conversion were a third of a stored-page
    request); on SQLite the same statement through Piccolo's engine.
    """
    engine = db.bound_engine()
    pool = getattr(engine, "pool", None) if db.is_postgres(engine) else None
    row: Any
    if pool is not None:
        async with pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {_COLUMNS} FROM rendered_page WHERE handle = $1 AND slug = $2 AND locale = $3",  # noqa: S608
                handle,
                slug,
                locale,
            )
    else:
        rows = await RenderedPage.raw(
            f"SELECT {_COLUMNS} FROM rendered_page WHERE handle = {{}} AND slug = {{}} AND locale = {{}}",  # noqa: S608
            handle,
            slug,
            locale,
        )
        row = rows[0] if rows else None
    if row is None:
        return None
    return StoredPage(
        status=row["status"],
        language=row["language"],
        etag=row["etag"],
        body_gzip=bytes(row["body_gzip"]),
        version=row["version"],
        content_type=row["content_type"],
    )


async def save(
    handle: str, slug: str, locale: str, page: StoredPage, *, product_id: uuid.UUID | None = None
) -> bool:
    """Store ``page`` unless a newer render is already stored; True when it was written."""
    rows = await RenderedPage.raw(
        "INSERT INTO rendered_page (handle, slug, locale, product_id, status, language, content_type, etag, "
        "body_gzip, version, rendered_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, CURRENT_TIMESTAMP) "
        "ON CONFLICT (handle, slug, locale) DO UPDATE SET product_id = excluded.product_id, "
        "status = excluded.status, language = excluded.language, content_type = excluded.content_type, "
        "etag = excluded.etag, body_gzip = excluded.body_gzip, version = excluded.version, "
        "rendered_at = excluded.rendered_at WHERE rendered_page.version < excluded.version "
        "RETURNING version",
        handle,
        slug,
        locale,
        product_id,
        page.status,
        page.language,
        page.content_type,
        page.etag,
        page.body_gzip,
        page.version,
    )
    return bool(rows)


async def pages_of(handle: str) -> list[tuple[str, uuid.UUID | None]]:
    """(slug, product id) of every product page stored under ``handle`` that still exists."""
    rows = (
        await RenderedPage.select(RenderedPage.slug, RenderedPage.product_id)
        .where((RenderedPage.handle == handle) & (RenderedPage.slug != "") & (RenderedPage.status != GONE))
        .distinct()
    )
    return [(row["slug"], _uuid(row["product_id"])) for row in rows]


async def forget(handle: str) -> None:
    """Drop every page stored under ``handle`` (the creator moved to a new one; somebody may take it)."""
    await RenderedPage.delete().where(RenderedPage.handle == handle)


def _uuid(value: object) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))

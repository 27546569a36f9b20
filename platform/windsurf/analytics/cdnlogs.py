"""Views the CDN answered from its cache, read from CloudFront's standard access logs.

In the cloud, CloudFront serves most store and product pages from its cache and the application never sees
those requests. The edge writes standard access logs (gzip files of tab-separated lines after ``#Version`` and
``#Fields`` headers, values URL-encoded, ``-`` for empty, times in UTC) to the log bucket; ``ingest`` reads new
log objects through the storage abstraction and adds the views to the rollups.

Only what the application did not count itself is counted here: a GET answered 200 from the edge cache
(``x-edge-result-type`` Hit or RefreshHit). A Miss reached the application, which counted it when it answered
200; a RefreshHit reached it only as a revalidation the application answered 304, which it does not count.
HEAD requests, errors, redirects and bots are skipped.

Idempotent: each creator's share of a log object is recorded with it (``AnalyticsLogPart``) and each finished
object too (``AnalyticsLogObject``), so a job that dies half-way and runs again counts nothing twice.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from windsurf.analytics import classify, service
from windsurf.analytics.service import ViewBatch
from windsurf.core.storage import FOREIGN_KEY, LocalStorage, ObjectStorage, S3Storage
from windsurf.core.uow import unit_of_work
from windsurf.settings import Settings

CACHED = {"Hit", "RefreshHit"}
_log = logging.getLogger("windsurf.analytics")


@dataclass(frozen=True)
class LogView:
    handle: str
    slug: str
    at: dt.datetime
    address: str
    user_agent: str
    referer: str
    query: str


def _value(raw: str) -> str:
    """A log field's value: ``-`` is empty; CloudFront URL-encodes values (some twice, such as the user agent)."""
    if raw == "-":
        return ""
    value = unquote(raw)
    return unquote(value) if "%" in value else value


def parse(data: bytes) -> tuple[int, list[LogView]]:
    """The lines of one log object (gzip or plain) and the cached page views among them."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    fields: list[str] = []
    lines = 0
    views: list[LogView] = []
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith("#Fields:"):
            fields = line.removeprefix("#Fields:").split()
            continue
        if not line or line.startswith("#") or not fields:
            continue
        lines += 1
        record = dict(zip(fields, line.split("\t"), strict=False))
        view = _view(record)
        if view is not None:
            views.append(view)
    return lines, views


def _view(record: dict[str, str]) -> LogView | None:
    if record.get("cs-method") != "GET" or record.get("sc-status") != "200":
        return None
    if record.get("x-edge-result-type") not in CACHED:
        return None
    match = classify.PAGE_PATH.match(unquote(record.get("cs-uri-stem", "")).lower())
    if match is None:
        return None
    try:
        at = dt.datetime.fromisoformat(f"{record['date']}T{record['time']}").replace(tzinfo=dt.UTC)
    except (KeyError, ValueError):
        return None
    return LogView(
        handle=match.group(1),
        slug=match.group(2) or "",
        at=at,
        address=record.get("c-ip", ""),
        user_agent=_value(record.get("cs(User-Agent)", "-")),
        referer=_value(record.get("cs(Referer)", "-")),
        query=_value(record.get("cs-uri-query", "-")),
    )


async def batches(views: list[LogView], own_host: str = "") -> dict[str, ViewBatch]:
    """The views grouped per store address, with their visitor hashes (bots dropped)."""
    salts: dict[dt.date, str | None] = {}
    grouped: dict[str, ViewBatch] = {}
    for view in views:
        device = classify.device_class(view.user_agent)
        if device == classify.BOT:
            continue
        day = classify.addis_day(view.at)
        if day not in salts:
            salts[day] = await service.salt_for(day)
        salt = salts[day]
        visitor = classify.visitor_hash(salt, view.handle, view.address, view.user_agent) if salt else None
        source = classify.source_of(view.query, view.referer, own_host)
        grouped.setdefault(view.handle, ViewBatch()).add((day, view.slug, source, device), visitor)
    return grouped


def log_storage(settings: Settings) -> ObjectStorage | None:
    """Where the CDN's logs are read from: the log bucket, or a local folder; None when neither is set."""
    if settings.analytics_log_bucket:
        return S3Storage(
            settings.analytics_log_bucket,
            settings.analytics_log_prefix,
            settings.s3_endpoint_url or None,
            key_pattern=FOREIGN_KEY,
        )
    if settings.analytics_log_dir:
        return LocalStorage(Path(settings.analytics_log_dir), key_pattern=FOREIGN_KEY)
    return None


def _log_keys(keys: list[tuple[str, dt.datetime]]) -> Iterator[str]:
    for key, _modified in sorted(keys, key=lambda item: (item[1], item[0])):
        if key.endswith((".gz", ".log")) and FOREIGN_KEY.match(key) and ".." not in key:
            yield key


async def ingest(storage: ObjectStorage, *, own_host: str = "", limit: int = 200) -> int:
    """Count the cached views of every log object not yet ingested (at most ``limit`` objects a run); returns
    how many views were added."""
    added = 0
    done = 0
    for key in _log_keys(await storage.list_keys()):
        if done >= limit:
            break
        if await service.log_object_done(key):
            continue
        lines, views = parse(await storage.get(key))
        counted = 0
        for handle, batch in (await batches(views, own_host)).items():
            if await service.add_store_views(handle, batch, log_object=key):
                counted += sum(batch.views.values())
        async with unit_of_work() as uow:
            await service.mark_log_object(uow, key, lines=lines, counted=counted)
        added += counted
        done += 1
    if done:
        _log.info("cdn logs ingested", extra={"objects": done, "views": added})
    return added

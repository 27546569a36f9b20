"""JSON API of stores: the logged-in creator's store (draft and published), publishing, and its leads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Router, get, post

from windsurf.dependencies import AccountDep, PageCacheDep, StorageDep, TenantDep
from windsurf.identity.service import Account
from windsurf.stores import service


@dataclass(frozen=True)
class StoreOut:
    handle: str | None
    draft: dict[str, Any]
    published: dict[str, Any] | None
    published_at: dt.datetime | None
    unpublished_changes: bool


@dataclass(frozen=True)
class LeadOut:
    contact: str
    contact_kind: str
    created_at: dt.datetime


def _out(account: Account, state: service.StoreState) -> StoreOut:
    return StoreOut(
        handle=account.handle,
        draft=state.draft.to_dict(),
        published=state.published.to_dict() if state.published else None,
        published_at=state.published_at,
        unpublished_changes=state.unpublished_changes,
    )


@get("/me")
async def my_store(account: AccountDep, tenant: TenantDep) -> StoreOut:
    return _out(account, await service.get_store(tenant))


@post("/me/publish", status_code=200)
async def publish(
    account: AccountDep,
    tenant: TenantDep,
    storage: StorageDep,
    page_cache: PageCacheDep,
) -> StoreOut:
    state = await service.publish(tenant, storage)
    await page_cache.invalidate(account.id)
    return _out(account, state)


@get("/me/leads")
async def leads(tenant: TenantDep) -> list[LeadOut]:
    return [
        LeadOut(r["contact"], r["contact_kind"], r["created_at"]) for r in await service.list_leads(tenant)
    ]


router = Router(
    path="/api/v1/stores",
    route_handlers=[my_store, publish, leads],
    tags=["stores"],
)

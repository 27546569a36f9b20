"""JSON API of identity: the logged-in account and its sign-in history (OpenAPI at /schema)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from litestar import Router, get
from litestar.params import FromPath

from windsurf.dependencies import AccountDep, TenantDep
from windsurf.identity import service


@dataclass(frozen=True)
class AccountOut:
    id: uuid.UUID
    handle: str | None
    display_name: str
    email: str | None  # as the account's pages show it (see Account.shown_email)
    phone: str | None
    locale: str
    is_staff: bool
    verified: bool


@dataclass(frozen=True)
class SignInOut:
    id: uuid.UUID
    method: str
    ip: str
    user_agent: str
    created_at: dt.datetime


def _sign_in(row: dict) -> SignInOut:
    return SignInOut(row["id"], row["method"], row["ip"], row["user_agent"], row["created_at"])


@get("/me")
async def me(account: AccountDep) -> AccountOut:
    return AccountOut(
        account.id,
        account.handle,
        account.display_name,
        account.shown_email,
        account.phone,
        account.locale,
        account.is_staff,
        account.verified,
    )


@get("/sign-ins")
async def sign_ins(tenant: TenantDep) -> list[SignInOut]:
    return [_sign_in(row) for row in await service.list_sign_ins(tenant)]


@get("/sign-ins/{sign_in_id:uuid}")
async def sign_in(tenant: TenantDep, sign_in_id: FromPath[uuid.UUID]) -> SignInOut:
    return _sign_in(await service.get_sign_in(tenant, sign_in_id))


router = Router(
    path="/api/v1/identity",
    route_handlers=[me, sign_ins, sign_in],
    tags=["identity"],
)

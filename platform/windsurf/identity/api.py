"""JSON API of identity: the logged-in account and its sign-in history (OpenAPI at /schema)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from litestar import Router, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from windsurf.identity import service
from windsurf.identity.auth import require_account
from windsurf.identity.service import Account


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
async def me(account: NamedDependency[Account]) -> Account:
    return account


@get("/sign-ins")
async def sign_ins(account: NamedDependency[Account]) -> list[SignInOut]:
    return [_sign_in(row) for row in await service.list_sign_ins(account.id)]


@get("/sign-ins/{sign_in_id:uuid}")
async def sign_in(account: NamedDependency[Account], sign_in_id: FromPath[uuid.UUID]) -> SignInOut:
    return _sign_in(await service.get_sign_in(account.id, sign_in_id))


router = Router(
    path="/api/v1/identity",
    route_handlers=[me, sign_ins, sign_in],
    dependencies={"account": Provide(require_account)},
    tags=["identity"],
)

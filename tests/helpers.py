"""Helpers the HTTP tests share: fresh identities, and reading what the recording SMS and email backends
got."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import phonenumbers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import SECRET, drain_jobs, post_form
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity.service import email_verification_token
from windsurf.identity.tables import Creator

T = TypeVar("T")


def new_identity() -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return {
        "display_name": "Hana Tesfaye",
        "handle": f"hana_{suffix}",
        "email": f"hana.{suffix}@example.com",
        "password": "correct horse battery",
    }


def new_phone() -> tuple[str, str]:
    """A fresh valid Ethio Telecom mobile number: (as a person types it, as E.164)."""
    while True:
        local = "091" + "".join(random.choice("0123456789") for _ in range(7))
        number = phonenumbers.parse(local, "ET")
        if phonenumbers.is_valid_number(number):
            return f"{local[:4]} {local[4:7]} {local[7:]}", phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.E164
            )


async def sms_code_for(app: Litestar, e164: str) -> str:
    """Run the outbox and read the last code texted to ``e164``."""
    await drain_jobs(app)
    bodies = [sms.body for sms in app.state.jobs.sms.sms if sms.to == e164]
    assert bodies, f"no SMS was sent to {e164}"
    match = re.search(r"\b(\d{6})\b", bodies[-1])
    assert match, bodies[-1]
    return match.group(1)


async def reset_link_for(app: Litestar, email: str) -> str:
    """Run the outbox and return the path and query of the last reset link emailed to ``email``."""
    await drain_jobs(app)
    bodies = [mail.body for mail in app.state.jobs.email.emails if mail.to == email]
    assert bodies, f"no email was sent to {email}"
    match = re.search(r"https?://\S+", bodies[-1])
    assert match, bodies[-1]
    url = urlsplit(match.group(0))
    return f"{url.path}?{url.query}"


def verification_path(creator_id: uuid.UUID | str, email: str) -> str:
    """The path of the verification link emailed to ``email`` (what the job sends, minted with the test key)."""
    token = email_verification_token(SECRET, uuid.UUID(str(creator_id)), email)
    return f"/verify-email?token={token}"


async def verify_email(client: Any) -> None:
    """Open the logged-in account's verification link, as its owner would from the email: publishing, selling
    and payouts wait for it. Tests of those rules themselves sign up without it."""
    me = await client.get("/api/v1/identity/me")
    assert me.status_code == 200, me.text
    response = await client.get(verification_path(me.json()["id"], me.json()["email"]))
    assert response.status_code == 200, response.text


async def sign_up_by_email(client: AsyncTestClient[Litestar], *, verified: bool = True) -> dict[str, str]:
    identity = new_identity()
    response = await post_form(client, "/signup/email", identity)
    assert response.status_code == 303, response.text
    if verified:
        await verify_email(client)
    return identity


async def sign_up_by_phone(client: AsyncTestClient[Litestar], app: Litestar) -> tuple[str, str]:
    typed, e164 = new_phone()
    identity = new_identity()
    response = await post_form(
        client,
        "/signup/phone",
        {"display_name": "Abebe Kebede", "handle": identity["handle"], "phone": typed},
    )
    assert response.status_code == 303, response.text
    code = await sms_code_for(app, e164)
    response = await post_form(client, "/verify", {"phone": e164, "purpose": "signup", "code": code})
    assert response.status_code == 303, response.text
    return e164, identity["handle"]


async def bare_creator(display_name: str = "Creator") -> uuid.UUID:
    """An account row with only a name and a handle, written as the app writes an account: acting for it."""
    creator_id = uuid.uuid4()
    async with tenant_for(creator_id) as tenant, tenant.scope():
        await Creator(id=creator_id, handle=f"c{creator_id.hex[:12]}", display_name=display_name).save()
    return creator_id


async def read_known(key: str, query: Any) -> Any:
    """Run ``query`` on accounts or phone codes as the app does, naming the id, email, phone or handle it knows:
    on PostgreSQL row-level security shows a unit no other account."""
    async with unit_of_work() as uow:
        return await uow.read_known(key, query)


async def acting(creator_id: uuid.UUID, call: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run one tenant-scoped service call in its own unit of work acting for ``creator_id``."""
    async with tenant_for(creator_id) as tenant:
        return await call(tenant, *args, **kwargs)

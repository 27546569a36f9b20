"""Sign-up and password reset answer alike whether or not an address has an account; the address is told.
And the outbox never holds a login code or a reset token in clear."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import SECRET, drain_jobs, post_form
from tests.helpers import (
    new_identity,
    new_phone,
    reset_link_for,
    sign_up_by_email,
    sign_up_by_phone,
    sms_code_for,
)
from windsurf.core import jobs, security
from windsurf.core.tables import Job
from windsurf.identity.tables import Creator, PhoneCode


def _page(text: str) -> str:
    """The page without what differs between any two requests (CSRF tokens, the address typed)."""
    return re.sub(r'value="[^"]*"', "", text)


async def test_phone_sign_up_with_a_taken_number_reads_like_a_new_one(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    taken, _ = await sign_up_by_phone(client, app)
    await post_form(client, "/logout", {})
    fresh_typed, fresh = new_phone()
    answers = []
    for phone in (taken, fresh_typed):
        response = await post_form(
            client,
            "/signup/phone",
            {"display_name": "X Y", "handle": new_identity()["handle"], "phone": phone},
        )
        assert response.status_code == 303
        target = urlsplit(response.headers["location"])
        answers.append((target.path, sorted(parse_qs(target.query))))
    assert answers[0] == answers[1]
    await drain_jobs(app)
    told = [sms.body for sms in app.state.jobs.sms.sms if sms.to == taken][-1]
    assert "You already have a Stan Store Windsurf account with this number" in told
    assert "http://127.0.0.1:8000/login" in told and not re.search(r"\b\d{6}\b", told)
    assert await PhoneCode.count().where((PhoneCode.phone == taken) & (PhoneCode.purpose == "signup")) == 1
    assert re.fullmatch(r"\d{6}", await sms_code_for(app, fresh))


async def test_email_sign_up_with_a_taken_address_tells_the_address(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/logout", {})
    again = await post_form(client, "/signup/email", {**new_identity(), "email": identity["email"].upper()})
    assert again.status_code == 200
    assert "Check your email" in again.text and "already" not in again.text
    assert "windsurf-session" not in again.headers.get("set-cookie", "")
    await drain_jobs(app)
    mail = [m for m in app.state.jobs.email.emails if m.to == identity["email"]][-1]
    assert mail.subject == "You already have a Stan Store Windsurf account"
    assert "/login" in mail.body and "/password-reset" in mail.body
    assert await Creator.count().where(Creator.email == identity["email"]) == 1


async def test_reset_answers_alike_and_tells_an_unknown_address(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/logout", {})
    unknown = f"nobody.{new_identity()['handle']}@example.com"
    known_page = await post_form(client, "/password-reset", {"email": identity["email"]})
    unknown_page = await post_form(client, "/password-reset", {"email": unknown})
    assert known_page.status_code == unknown_page.status_code == 200
    assert _page(known_page.text) == _page(unknown_page.text)
    await drain_jobs(app)
    mail = [m for m in app.state.jobs.email.emails if m.to == unknown][-1]
    assert "no account uses it" in mail.body and "/signup" in mail.body


async def test_the_outbox_holds_no_code_or_token_in_clear(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    await drain_jobs(app)
    identity = await sign_up_by_email(client)
    await post_form(client, "/logout", {})
    await post_form(client, "/password-reset", {"email": identity["email"]})
    typed, e164 = new_phone()
    await post_form(
        client, "/signup/phone", {"display_name": "A B", "handle": new_identity()["handle"], "phone": typed}
    )
    pending = [str(row["payload"]) for row in await Job.select(Job.payload).where(Job.status == "pending")]
    token = (await reset_link_for(app, identity["email"])).split("token=", 1)[1]
    code = await sms_code_for(app, e164)
    assert pending and not any(token in payload or code in payload for payload in pending)


def test_a_sealed_value_opens_only_within_its_lifetime_and_key() -> None:
    sealed = security.seal(SECRET, "123456")
    assert "123456" not in sealed
    assert security.unseal(SECRET, sealed, max_age_seconds=600) == "123456"
    with pytest.raises(security.SealExpired):
        security.unseal(SECRET, sealed, max_age_seconds=-1)
    with pytest.raises(security.SealExpired):
        security.unseal("another-secret-key-of-some-length-0123456789", sealed, max_age_seconds=600)


async def test_finished_jobs_are_pruned(app: Litestar) -> None:
    import datetime as dt

    from windsurf.core.uow import unit_of_work

    await drain_jobs(app)
    async with unit_of_work() as uow:
        done_id = await jobs.enqueue(
            uow, "identity.send_no_account", {"email": "x@example.com", "locale": "en"}
        )
    await drain_jobs(app)
    async with unit_of_work() as uow:
        pending_id = await jobs.enqueue(
            uow,
            "identity.send_no_account",
            {"email": "y@example.com", "locale": "en"},
            delay=dt.timedelta(days=1),
        )
    assert await jobs.prune_finished(kept=-dt.timedelta(minutes=1)) >= 1
    assert not await Job.exists().where(Job.id == done_id)
    assert await Job.exists().where(Job.id == pending_id)

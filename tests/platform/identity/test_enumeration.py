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
    read_known,
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
    codes = PhoneCode.count().where((PhoneCode.phone == taken) & (PhoneCode.purpose == "signup"))
    assert await read_known(taken, codes) == 1
    assert re.fullmatch(r"\d{6}", await sms_code_for(app, fresh))


async def test_email_sign_up_with_a_taken_address_reads_like_a_new_one(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    """Signing up, building, asking for the link again and logging back in read the same for a taken address as
    for a new one; only the address learns that it was used, and its owner's account is untouched."""
    owner = await sign_up_by_email(client)
    await post_form(client, "/logout", {})
    fresh = new_identity()
    seen = []
    for email in (owner["email"].upper(), fresh["email"]):
        identity = {**new_identity(), "email": email, "password": "another horse battery"}
        signed_up = await post_form(client, "/signup/email", identity)
        cookies = sorted(cookie.split("=", 1)[0] for cookie in signed_up.headers.get_list("set-cookie"))
        dashboard = await client.get("/dashboard")
        me = (await client.get("/api/v1/identity/me")).json()
        resent = await post_form(client, "/verify-email/resend", {"next": "/dashboard"})
        await post_form(client, "/logout", {})
        logged_in = await post_form(client, "/login", {"email": email, "password": identity["password"]})
        seen.append(
            (
                signed_up.status_code,
                signed_up.headers["location"],
                cookies,
                dashboard.status_code,
                "open the link we sent to " + email.lower() in dashboard.text,
                (me["email"] == email.lower(), me["verified"]),
                (resent.status_code, resent.headers["location"]),
                (logged_in.status_code, _page(logged_in.text)),
            )
        )
    assert seen[0] == seen[1]
    assert seen[0][:2] == (303, "/dashboard") and seen[0][7][0] == 422  # an unproven address does not log in
    await drain_jobs(app)
    told = [m for m in app.state.jobs.email.emails if m.to == owner["email"]]
    assert [m.subject for m in told].count(
        "You already have a Stan Store Windsurf account"
    ) == 2  # and resent
    assert "/login" in told[-1].body and "/password-reset" in told[-1].body and "verify" not in told[-1].body
    assert any(m.to == fresh["email"] and "/verify-email" in m.body for m in app.state.jobs.email.emails)
    assert await read_known(owner["email"], Creator.count().where(Creator.email == owner["email"])) == 1
    # The owner still logs in; the account made with their address never becomes theirs.
    back = await post_form(client, "/login", {"email": owner["email"], "password": owner["password"]})
    assert (
        back.status_code == 303
        and (await client.get("/api/v1/identity/me")).json()["handle"] == owner["handle"]
    )


async def test_an_unproven_address_logs_in_once_its_link_is_opened(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up_by_email(client, verified=False)
    await post_form(client, "/logout", {})
    refused = await post_form(
        client, "/login", {"email": identity["email"], "password": identity["password"]}
    )
    assert refused.status_code == 422 and "first open the link we emailed you" in refused.text
    await drain_jobs(app)  # the right password sent the link again
    links = [
        m for m in app.state.jobs.email.emails if m.to == identity["email"] and "/verify-email" in m.body
    ]
    assert len(links) == 2
    path = re.search(r"https?://[^/\s]+(/verify-email\S+)", links[-1].body)
    assert path is not None and (await client.get(path.group(1))).status_code == 200
    allowed = await post_form(
        client, "/login", {"email": identity["email"], "password": identity["password"]}
    )
    assert allowed.status_code == 303


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

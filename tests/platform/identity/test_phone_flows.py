"""Sign up and log in with an Ethiopian phone number and a one-time SMS code, over HTTP, on both databases."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import drain_jobs, post_form
from tests.helpers import new_identity, new_phone, read_known, sign_up_by_phone, sms_code_for
from windsurf.identity.tables import Creator, PhoneCode


async def test_phone_sign_up_sends_a_code_and_creates_the_account(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    typed, e164 = new_phone()
    handle = new_identity()["handle"]
    response = await post_form(
        client, "/signup/phone", {"display_name": "Abebe Kebede", "handle": handle, "phone": typed}
    )
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/verify"
    assert parse_qs(target.query) == {"phone": [e164], "purpose": ["signup"]}
    assert e164 in (await client.get(response.headers["location"])).text

    code = await sms_code_for(app, e164)
    # The code is stored only as a keyed digest.
    stored = await read_known(e164, PhoneCode.select().where(PhoneCode.phone == e164).first())
    assert stored is not None and code not in stored["code_digest"]

    response = await post_form(client, "/verify", {"phone": e164, "purpose": "signup", "code": code})
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    me = (await client.get("/api/v1/identity/me")).json()
    assert me["phone"] == e164 and me["handle"] == handle and me["email"] is None
    assert "Abebe Kebede" in (await client.get("/account")).text


async def test_phone_login_by_code_and_the_code_works_once(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    e164, _ = await sign_up_by_phone(client, app)
    await post_form(client, "/logout", {})

    # Any common way of writing the number reaches the same account.
    local = "0" + e164.removeprefix("+251")
    response = await post_form(client, "/login/phone", {"phone": local, "next": "/account"})
    assert response.status_code == 303
    code = await sms_code_for(app, e164)
    response = await post_form(
        client, "/verify", {"phone": e164, "purpose": "login", "code": code, "next": "/account"}
    )
    assert response.status_code == 303
    assert (await client.get("/api/v1/identity/me")).json()["phone"] == e164
    sign_ins = (await client.get("/api/v1/identity/sign-ins")).json()
    assert [entry["method"] for entry in sign_ins] == ["phone", "phone"]

    await post_form(client, "/logout", {})
    replay = await post_form(client, "/verify", {"phone": e164, "purpose": "login", "code": code})
    assert replay.status_code == 422
    assert "That code is not right. Check the SMS and try again." in replay.text


async def test_a_new_code_replaces_the_earlier_one(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    e164, _ = await sign_up_by_phone(client, app)
    await post_form(client, "/logout", {})
    await post_form(client, "/login/phone", {"phone": e164})
    first = await sms_code_for(app, e164)
    await post_form(client, "/login/phone", {"phone": e164})
    second = await sms_code_for(app, e164)
    if first != second:
        stale = await post_form(client, "/verify", {"phone": e164, "purpose": "login", "code": first})
        assert stale.status_code == 422
    fresh = await post_form(client, "/verify", {"phone": e164, "purpose": "login", "code": second})
    assert fresh.status_code == 303


async def test_unknown_number_reads_the_same_and_sends_nothing(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    _, e164 = new_phone()
    response = await post_form(client, "/login/phone", {"phone": e164})
    assert response.status_code == 303 and response.headers["location"].startswith("/verify?")
    await drain_jobs(app)
    assert not [sms for sms in app.state.jobs.sms.sms if sms.to == e164]
    attempt = await post_form(client, "/verify", {"phone": e164, "purpose": "login", "code": "123456"})
    assert attempt.status_code == 422
    assert "That code is not right" in attempt.text


async def test_wrong_code_then_lockout_after_five_attempts(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    e164, _ = await sign_up_by_phone(client, app)
    await post_form(client, "/logout", {})
    await post_form(client, "/login/phone", {"phone": e164})
    code = await sms_code_for(app, e164)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = await post_form(client, "/verify", {"phone": e164, "purpose": "login", "code": wrong})
        assert response.status_code == 422
        assert "That code is not right. Check the SMS and try again." in response.text
    # The sixth try is refused even with the right code: the code is spent.
    response = await post_form(client, "/verify", {"phone": e164, "purpose": "login", "code": code})
    assert response.status_code == 422
    assert "Too many wrong codes. Ask for a new one." in response.text
    assert (await client.get("/account")).status_code == 303


async def test_the_right_code_on_the_fifth_attempt_still_works(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    e164, _ = await sign_up_by_phone(client, app)
    await post_form(client, "/logout", {})
    await post_form(client, "/login/phone", {"phone": e164})
    code = await sms_code_for(app, e164)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        await post_form(client, "/verify", {"phone": e164, "purpose": "login", "code": wrong})
    response = await post_form(client, "/verify", {"phone": e164, "purpose": "login", "code": code})
    assert response.status_code == 303


async def test_expired_code_is_refused(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    e164, _ = await sign_up_by_phone(client, app)
    await post_form(client, "/logout", {})
    await post_form(client, "/login/phone", {"phone": e164})
    code = await sms_code_for(app, e164)
    unused = PhoneCode.consumed_at.is_null()
    row = await read_known(e164, PhoneCode.select().where((PhoneCode.phone == e164) & unused).first())
    assert row is not None
    # Ten minutes from sending, as the service set it.
    lifetime = row["expires_at"] - row["created_at"]
    assert dt.timedelta(minutes=9, seconds=59) < lifetime <= dt.timedelta(minutes=10, seconds=1)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await read_known(e164, PhoneCode.update({PhoneCode.expires_at: past}).where(PhoneCode.id == row["id"]))
    response = await post_form(client, "/verify", {"phone": e164, "purpose": "login", "code": code})
    assert response.status_code == 422
    assert "That code has expired. Ask for a new one." in response.text


async def test_phone_sign_up_refuses_a_taken_number_and_bad_fields(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    e164, handle = await sign_up_by_phone(client, app)
    await post_form(client, "/logout", {})
    # A taken number reads like a new one (see test_enumeration); its owner is told by SMS.
    taken = await post_form(
        client, "/signup/phone", {"display_name": "X", "handle": new_identity()["handle"], "phone": e164}
    )
    assert taken.status_code == 303
    handle_taken = await post_form(
        client, "/signup/phone", {"display_name": "X", "handle": handle, "phone": new_phone()[0]}
    )
    assert "That handle is taken. Please choose another." in handle_taken.text
    assert await read_known(e164, Creator.count().where(Creator.phone == e164)) == 1

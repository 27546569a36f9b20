"""Password reset by an emailed link, over HTTP, on both databases."""

from __future__ import annotations

import datetime as dt

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import SECRET, drain_jobs, post_form, serve
from tests.helpers import reset_link_for, sign_up_by_email
from windsurf.core import security
from windsurf.core.uow import tenant_for
from windsurf.identity.tables import PasswordReset

EXPIRED = "This reset link has expired or was already used. Ask for a new one."


async def test_reset_by_emailed_link_sets_the_new_password(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/logout", {})

    response = await post_form(client, "/password-reset", {"email": identity["email"].upper()})
    assert response.status_code == 200
    assert "we have sent it a link" in response.text
    link = await reset_link_for(app, identity["email"])
    assert link.startswith("/password-reset/confirm?token=")
    page = await client.get(link)
    assert page.status_code == 200 and "Choose a new password" in page.text

    token = link.split("token=", 1)[1]
    response = await post_form(
        client, "/password-reset/confirm", {"token": token, "password": "a brand new secret"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    await post_form(client, "/logout", {})

    old = await post_form(client, "/login", {"email": identity["email"], "password": identity["password"]})
    assert old.status_code == 422
    new = await post_form(client, "/login", {"email": identity["email"], "password": "a brand new secret"})
    assert new.status_code == 303

    await post_form(client, "/logout", {})
    again = await post_form(
        client, "/password-reset/confirm", {"token": token, "password": "yet another secret"}
    )
    assert again.status_code == 422 and EXPIRED in again.text


async def test_only_a_digest_of_the_token_is_stored(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/password-reset", {"email": identity["email"]})
    token = (await reset_link_for(app, identity["email"])).split("token=", 1)[1]
    me = (await client.get("/api/v1/identity/me")).json()
    async with tenant_for(me["id"]) as tenant, tenant.scope():
        rows = await PasswordReset.select().where(PasswordReset.creator_id == me["id"])
    assert len(rows) == 1
    assert rows[0]["token_digest"] == security.keyed_digest(SECRET, token)
    assert token.split(".")[1] not in rows[0]["token_digest"]


async def test_a_reset_logs_out_every_other_session(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    identity = await sign_up_by_email(client)
    async with serve(app) as intruder:
        await post_form(intruder, "/login", {"email": identity["email"], "password": identity["password"]})
        assert (await intruder.get("/account")).status_code == 200

        await post_form(client, "/password-reset", {"email": identity["email"]})
        token = (await reset_link_for(app, identity["email"])).split("token=", 1)[1]
        await post_form(client, "/password-reset/confirm", {"token": token, "password": "a brand new secret"})

        assert (await client.get("/account")).status_code == 200
        assert (await intruder.get("/account")).status_code == 303


async def test_expired_and_forged_links_are_refused(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/password-reset", {"email": identity["email"]})
    token = (await reset_link_for(app, identity["email"])).split("token=", 1)[1]
    me = (await client.get("/api/v1/identity/me")).json()
    async with tenant_for(me["id"]) as tenant, tenant.scope():
        await PasswordReset.update(
            {PasswordReset.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}
        ).where(PasswordReset.creator_id == me["id"])
    for candidate in (
        token,
        token[:-2] + "xx",
        "no-dot-here",
        f"{'0' * 32}.{token.split('.')[1]}",
        "x" * 5000,
        "",
    ):
        response = await post_form(
            client, "/password-reset/confirm", {"token": candidate, "password": "long enough!"}
        )
        assert response.status_code == 422, candidate
        assert EXPIRED in response.text


async def test_unknown_email_reads_the_same_and_gets_no_link(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    response = await post_form(client, "/password-reset", {"email": "nobody-here@example.com"})
    assert response.status_code == 200 and "we have sent it a link" in response.text
    await drain_jobs(app)
    sent = [mail for mail in app.state.jobs.email.emails if mail.to == "nobody-here@example.com"]
    assert sent and not any("token=" in mail.body for mail in sent)  # told it has no account, no link
    malformed = await post_form(client, "/password-reset", {"email": "not an email"})
    assert malformed.status_code == 422
    assert "Enter a valid email address, like name@example.com." in malformed.text


async def test_a_short_new_password_re_renders_the_form(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/password-reset", {"email": identity["email"]})
    token = (await reset_link_for(app, identity["email"])).split("token=", 1)[1]
    response = await post_form(client, "/password-reset/confirm", {"token": token, "password": "short"})
    assert response.status_code == 422
    assert "Use at least 8 characters for your password." in response.text
    assert f'value="{token}"' in response.text  # the link still works for a second try


async def test_using_one_link_ends_every_older_and_newer_one(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/logout", {})
    tokens = []
    for _ in range(3):
        await post_form(client, "/password-reset", {"email": identity["email"]})
        tokens.append((await reset_link_for(app, identity["email"])).split("token=", 1)[1])
    assert len(set(tokens)) == 3
    used = await post_form(
        client, "/password-reset/confirm", {"token": tokens[1], "password": "second secret"}
    )
    assert used.status_code == 303
    await post_form(client, "/logout", {})
    for token in (tokens[0], tokens[2]):
        again = await post_form(
            client, "/password-reset/confirm", {"token": token, "password": "other secret"}
        )
        assert again.status_code == 422 and EXPIRED in again.text
    login = await post_form(client, "/login", {"email": identity["email"], "password": "second secret"})
    assert login.status_code == 303

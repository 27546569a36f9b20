"""Sign up, log in and log out with email and password, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import post_form
from tests.helpers import new_identity, sign_up_by_email


async def test_sign_up_logs_in_and_shows_the_account(client: AsyncTestClient[Litestar]) -> None:
    identity = new_identity()
    response = await post_form(client, "/signup/email", identity)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"

    page = await client.get("/account")
    assert page.status_code == 200
    assert "Hana Tesfaye" in page.text
    assert f"/@{identity['handle']}" in page.text

    public = await client.get(f"/@{identity['handle']}")
    assert public.status_code == 200 and "Hana Tesfaye" in public.text


async def test_log_out_then_the_old_cookie_is_worthless(client: AsyncTestClient[Litestar]) -> None:
    identity = new_identity()
    await post_form(client, "/signup/email", identity)
    stolen = client.cookies["windsurf-session"]

    response = await post_form(client, "/logout", {})
    assert response.status_code == 303
    assert (await client.get("/account")).status_code == 303

    client.cookies.set("windsurf-session", stolen)
    replay = await client.get("/account")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/login")


async def test_log_in_issues_a_new_session_id(client: AsyncTestClient[Litestar]) -> None:
    identity = await sign_up_by_email(
        client
    )  # verified: an unproven address does not log in (test_enumeration)
    first = client.cookies["windsurf-session"]
    await post_form(client, "/logout", {})

    response = await post_form(
        client, "/login", {"email": identity["email"], "password": identity["password"]}
    )
    assert response.status_code == 303
    assert client.cookies["windsurf-session"] != first
    assert (await client.get("/api/v1/identity/me")).json()["email"] == identity["email"]


async def test_wrong_password_re_renders_the_form_with_one_message(client: AsyncTestClient[Litestar]) -> None:
    identity = new_identity()
    await post_form(client, "/signup/email", identity)
    await post_form(client, "/logout", {})

    wrong = await post_form(client, "/login", {"email": identity["email"], "password": "not the password"})
    unknown = await post_form(client, "/login", {"email": "nobody@example.com", "password": "whatever1"})
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "That email and password do not match an account." in response.text
    assert (await client.get("/account")).status_code == 303


async def test_missing_csrf_token_is_refused_with_a_message(client: AsyncTestClient[Litestar]) -> None:
    await client.get("/signup")
    response = await client.post("/signup/email", data=new_identity())
    assert response.status_code == 403
    assert "This form has expired" in response.text

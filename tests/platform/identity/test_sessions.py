"""Server-side sessions: cookie attributes, idle and absolute timeouts (by aging the stored record), htmx
forms."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import csrf, post_form
from tests.helpers import sign_up_by_email

COOKIE = "windsurf-session"


async def age_session(app: Litestar, session_id: str, *, created: float = 0, idle: float = 0) -> None:
    """Move the stored session's clock back, as if ``created``/``idle`` seconds had passed."""
    store = app.stores.get("sessions")
    record: dict[str, Any] = json.loads(await store.get(session_id) or b"null")
    record["created_at"] -= created
    record["last_seen"] -= idle
    await store.set(session_id, json.dumps(record), expires_in=60)


async def test_session_cookie_is_httponly_lax_and_host_wide(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/logout", {})
    response = await post_form(
        client, "/login", {"email": identity["email"], "password": identity["password"]}
    )
    cookie = next(
        value for value in response.headers.get_list("set-cookie") if value.startswith(f"{COOKIE}=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert re.search(r"samesite=lax", cookie, re.I) and "Path=/" in cookie
    assert "secure" not in attributes  # only in production (over https), see test_production
    assert "domain" not in attributes
    settings = app.state.settings
    assert f"Max-Age={settings.session_absolute_hours * 3600}" in cookie


async def test_idle_session_ends(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    await sign_up_by_email(client)
    session_id = client.cookies[COOKIE]
    idle = app.state.settings.session_idle_minutes * 60
    await age_session(app, session_id, created=idle - 5, idle=idle - 5)
    assert (await client.get("/account")).status_code == 200  # just inside: still in, and the visit counts
    record = json.loads(await app.stores.get("sessions").get(session_id) or b"null")
    assert time.time() - record["last_seen"] < 60

    await age_session(app, session_id, created=idle + 1, idle=idle + 1)
    response = await client.get("/account")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert await app.stores.get("sessions").get(session_id) is None


async def test_absolute_lifetime_ends_an_active_session(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    await sign_up_by_email(client)
    session_id = client.cookies[COOKIE]
    absolute = app.state.settings.session_absolute_hours * 3600
    await age_session(app, session_id, created=absolute - 60)
    assert (await client.get("/account")).status_code == 200
    await age_session(
        app, session_id, created=61
    )  # active a moment ago, but older than the absolute lifetime
    assert (await client.get("/account")).status_code == 303
    assert (await client.get("/api/v1/identity/me")).status_code == 401


async def test_forged_and_garbage_cookies_are_no_session(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    await sign_up_by_email(client)
    me = (await client.get("/api/v1/identity/me")).json()
    await app.stores.get("sessions").set("y" * 43, b"not json", expires_in=60)
    client.cookies.clear()
    for value in ("x" * 43, "revoked-before:" + me["id"], "%00%ff\\x00", "a" * 5000, "", "y" * 43):
        response = await client.get("/api/v1/identity/me", headers={"cookie": f"{COOKIE}={value}"})
        assert response.status_code == 401, value


async def test_htmx_forms_post_with_the_header_token(client: AsyncTestClient[Litestar]) -> None:
    """With htmx, data-hx-headers sends the CSRF token as X-CSRFToken instead of the hidden field."""
    page = await client.get("/signup", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert page.status_code == 200 and "HX-Request" in page.headers["vary"]
    token = await csrf(client)
    assert f'"x-csrftoken": "{token}"' in page.text
    htmx = {"HX-Request": "true", "HX-Boosted": "true", "X-CSRFToken": token}

    identity = {
        "display_name": "Hana",
        "handle": "hana_htmx_" + token[:6].lower().replace("-", "_"),
        "email": f"htmx.{token[:8]}@example.com".lower(),
        "password": "short",
    }
    bad = await client.post("/signup/email", data=identity, headers=htmx)
    assert bad.status_code == 422  # the base template's htmx config swaps 422 in place
    assert "Use at least 8 characters for your password." in bad.text
    assert "HX-Request" in bad.headers["vary"]

    good = await client.post("/signup/email", data={**identity, "password": "long enough now"}, headers=htmx)
    assert good.status_code == 303 and good.headers["location"] == "/dashboard"
    assert (await client.get("/account", headers=htmx)).status_code == 200

    forged = await client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": "forged"})
    assert forged.status_code == 403 and "This form has expired" in forged.text
    out = await client.post("/logout", headers=htmx)
    assert out.status_code == 303
    assert (await client.get("/account", headers=htmx)).status_code == 303


async def test_htmx_login_and_phone_forms(client: AsyncTestClient[Litestar]) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/logout", {})
    htmx = {"HX-Request": "true", "X-CSRFToken": await csrf(client)}
    wrong = await client.post(
        "/login", data={"email": identity["email"], "password": "nope nope"}, headers=htmx
    )
    assert wrong.status_code == 422 and "That email and password do not match an account." in wrong.text
    phone = await client.post("/login/phone", data={"phone": "12"}, headers=htmx)
    assert (
        phone.status_code == 422 and "Enter a valid Ethiopian mobile number, like 0911 234 567." in phone.text
    )
    right = await client.post(
        "/login", data={"email": identity["email"], "password": identity["password"]}, headers=htmx
    )
    assert right.status_code == 303


async def test_htmx_config_swaps_error_pages(client: AsyncTestClient[Litestar]) -> None:
    """A boosted form answered 4xx (rate limit, expired form, not found) must still show its page."""
    page = await client.get("/login")
    config = json.loads(re.search(r'name="htmx-config" content=\'([^\']+)\'', page.text).group(1))  # type: ignore[union-attr]
    rules = {rule["code"]: rule for rule in config["responseHandling"]}
    assert rules["422"]["swap"] is True
    assert rules["[45].."]["swap"] is True

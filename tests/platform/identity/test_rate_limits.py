"""Rate limits on log-in, code requests and password resets: per account and per IP, on the real Redis.

The test app counts on a clock the test controls (``rate_limit_clock``, see tests/conftest.py), standing at the
first second of every window: no window boundary can fall in the middle of a test and reset a counter it relies on.
"""

from __future__ import annotations

import dataclasses

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

import storefront
from storefront.pages.auth import LOGIN, LOGIN_ACCOUNT, RESET, SEND_CODE
from tests.conftest import ManualClock, post_form, serve
from tests.helpers import new_phone, reset_link_for, sign_up_by_email, sign_up_by_phone
from windsurf.app import create_app
from windsurf.core.i18n import translations_for
from windsurf.core.migrate import migrate
from windsurf.core.ratelimit import RateLimiter, RateLimitExceeded
from windsurf.settings import Settings

MESSAGE = "Too many attempts. Try again in %(minutes)s minutes."


def assert_limited(response: object, window_seconds: int, locale: str = "en") -> None:
    status = response.status_code  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert status == 429, text
    # The clock stands at the first second of the window: the whole window is left.
    assert int(headers["retry-after"]) == window_seconds
    minutes = window_seconds // 60
    expected = translations_for(storefront.LOCALES_DIR, locale).gettext(MESSAGE) % {"minutes": minutes}
    assert expected in text
    assert headers["content-language"] == locale


async def test_login_is_limited_per_account_and_address(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/logout", {})
    client.cookies.delete("windsurf-device")
    for _ in range(LOGIN.per_pair):
        response = await post_form(
            client, "/login", {"email": identity["email"], "password": "wrong password"}
        )
        assert response.status_code == 422
    # Even the right password is refused now from this address, with the form, the message and when to come back.
    response = await post_form(
        client, "/login", {"email": identity["email"].upper(), "password": identity["password"]}
    )
    assert_limited(response, LOGIN.window_seconds)
    assert 'name="email"' in response.text
    assert (await client.get("/account")).status_code == 303
    # Another account from the same address is still welcome.
    other = await post_form(
        client, "/login", {"email": "someone-else@example.com", "password": "whatever123"}
    )
    assert other.status_code == 422
    # And the owner, from another address, is not locked out by whoever guessed from this one.
    async with serve(app, client_address="203.0.113.50") as owner:
        response = await post_form(
            owner, "/login", {"email": identity["email"], "password": identity["password"]}
        )
        assert response.status_code == 303


async def test_guessing_from_many_addresses_meets_the_account_limit_but_not_the_owner(
    backend_settings: Settings, rate_limit_clock: ManualClock
) -> None:
    settings = dataclasses.replace(backend_settings, trust_forwarded_for=True)
    await migrate(settings)
    app = create_app(settings, clock=rate_limit_clock)
    async with serve(app) as owner, serve(app) as attacker:
        identity = await sign_up_by_email(owner)  # the owner's browser now carries a device cookie
        await post_form(owner, "/logout", {})
        for n in range(LOGIN_ACCOUNT.per_account):
            response = await post_form(
                attacker,
                "/login",
                {"email": identity["email"], "password": f"guess {n}"},
                headers={"x-forwarded-for": f"203.0.113.{n % 250}, 10.{n}.0.1"},
            )
            assert response.status_code == 422
        fresh = {"x-forwarded-for": "198.51.100.99"}
        blocked = await post_form(
            attacker, "/login", {"email": identity["email"], "password": identity["password"]}, headers=fresh
        )
        assert_limited(blocked, LOGIN_ACCOUNT.window_seconds)
        # The owner's recognised browser still gets in with the password,
        welcome = await post_form(
            owner, "/login", {"email": identity["email"], "password": identity["password"]}
        )
        assert welcome.status_code == 303
        await post_form(owner, "/logout", {})
        # and from a new browser the owner gets in by an emailed reset link.
        async with serve(app) as new_browser:
            assert (
                await post_form(new_browser, "/password-reset", {"email": identity["email"]})
            ).status_code == 200
            token = (await reset_link_for(app, identity["email"])).split("token=", 1)[1]
            reset = await post_form(
                new_browser, "/password-reset/confirm", {"token": token, "password": "a fresh password"}
            )
            assert reset.status_code == 303 and reset.headers["location"] == "/dashboard"


async def test_code_requests_are_limited_per_phone_however_it_is_written(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    e164, _ = await sign_up_by_phone(client, app)  # sign-up used one of the phone's code requests
    await post_form(client, "/logout", {})
    local = "0" + e164.removeprefix("+251")
    spellings = [e164, local, f"{local[:4]} {local[4:7]} {local[7:]}", e164.removeprefix("+")]
    responses = [await post_form(client, "/login/phone", {"phone": spelling}) for spelling in spellings]
    assert [r.status_code for r in responses[: SEND_CODE.per_account - 1]] == [303] * (
        SEND_CODE.per_account - 1
    )
    assert_limited(responses[SEND_CODE.per_account - 1], SEND_CODE.window_seconds)


async def test_code_requests_are_limited_per_ip(client: AsyncTestClient[Litestar]) -> None:
    for _ in range(SEND_CODE.per_ip):
        response = await post_form(client, "/login/phone", {"phone": new_phone()[1]})
        assert response.status_code == 303
    assert_limited(
        await post_form(client, "/login/phone", {"phone": new_phone()[1]}), SEND_CODE.window_seconds
    )


async def test_password_reset_is_limited_and_the_message_is_translated(
    client: AsyncTestClient[Litestar],
) -> None:
    identity = await sign_up_by_email(client)
    for _ in range(RESET.per_account):
        assert (await post_form(client, "/password-reset", {"email": identity["email"]})).status_code == 200
    client.cookies.set("lang", "am")
    response = await post_form(client, "/password-reset", {"email": identity["email"]})
    assert_limited(response, RESET.window_seconds, locale="am")


async def test_htmx_request_gets_the_same_429(client: AsyncTestClient[Litestar]) -> None:
    identity = await sign_up_by_email(client)
    for _ in range(RESET.per_account):
        await post_form(client, "/password-reset", {"email": identity["email"]})
    response = await post_form(
        client,
        "/password-reset",
        {"email": identity["email"]},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )
    assert_limited(response, RESET.window_seconds)


async def test_limits_count_in_redis_across_app_instances(
    app: Litestar, rate_limit_clock: ManualClock
) -> None:
    """Two pods share one Redis: the counter is one, not one per process."""
    from windsurf.app import create_app

    other = create_app(app.state.settings, clock=rate_limit_clock)
    first: RateLimiter = app.state.rate_limiter
    second: RateLimiter = other.state.rate_limiter
    for number, limiter in enumerate((first, second) * (LOGIN_ACCOUNT.per_account // 2)):
        await limiter.hit(LOGIN_ACCOUNT, ip=f"203.0.113.{number}", account="shared@example.com")
    with pytest.raises(RateLimitExceeded):
        await first.hit(LOGIN_ACCOUNT, ip="198.51.100.10", account="shared@example.com")


async def test_a_window_ends_at_its_boundary(app: Litestar, rate_limit_clock: ManualClock) -> None:
    limiter: RateLimiter = app.state.rate_limiter
    rate_limit_clock.advance(LOGIN.window_seconds - 1)  # the last second of a window
    for _ in range(LOGIN.per_pair):
        await limiter.hit(LOGIN, ip="203.0.113.20", account="edge@example.com")
    with pytest.raises(RateLimitExceeded) as refused:
        await limiter.hit(LOGIN, ip="203.0.113.20", account="edge@example.com")
    assert refused.value.retry_after == 1
    rate_limit_clock.advance(1)  # the next window counts afresh
    await limiter.hit(LOGIN, ip="203.0.113.20", account="edge@example.com")

"""Rate limits on log-in, code requests and password resets: per account and per IP, on the real Redis.

The test app counts on a clock the test controls (``rate_limit_clock``, see tests/conftest.py), standing at the
first second of every window: no window boundary can fall in the middle of a test and reset a counter it relies on.
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

import storefront
from storefront.pages.auth import LOGIN, RESET, SEND_CODE
from tests.conftest import ManualClock, post_form
from tests.helpers import new_phone, sign_up_by_email, sign_up_by_phone
from windsurf.core.i18n import translations_for
from windsurf.core.ratelimit import RateLimiter, RateLimitExceeded

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


async def test_login_is_limited_per_account(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    identity = await sign_up_by_email(client)
    await post_form(client, "/logout", {})
    for _ in range(LOGIN.per_account):
        response = await post_form(
            client, "/login", {"email": identity["email"], "password": "wrong password"}
        )
        assert response.status_code == 422
    # Even the right password is refused now, with the form, the message and when to come back.
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
    for limiter in (first, second) * (LOGIN.per_account // 2):
        await limiter.hit(LOGIN, ip="203.0.113.9", account="shared@example.com")
    with pytest.raises(RateLimitExceeded):
        await first.hit(LOGIN, ip="203.0.113.10", account="shared@example.com")


async def test_a_window_ends_at_its_boundary(app: Litestar, rate_limit_clock: ManualClock) -> None:
    limiter: RateLimiter = app.state.rate_limiter
    rate_limit_clock.advance(LOGIN.window_seconds - 1)  # the last second of a window
    for _ in range(LOGIN.per_account):
        await limiter.hit(LOGIN, ip="203.0.113.20", account="edge@example.com")
    with pytest.raises(RateLimitExceeded) as refused:
        await limiter.hit(LOGIN, ip="203.0.113.20", account="edge@example.com")
    assert refused.value.retry_after == 1
    rate_limit_clock.advance(1)  # the next window counts afresh
    await limiter.hit(LOGIN, ip="203.0.113.20", account="edge@example.com")

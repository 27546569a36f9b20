"""Whatever a person (or a script) sends gets a 4xx with a message, never a 500."""

from __future__ import annotations

import random

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import csrf, post_form
from tests.helpers import new_identity, read_known
from windsurf.identity.tables import Creator

FORMS = {
    "/signup/email": ("display_name", "handle", "email", "password"),
    "/signup/phone": ("display_name", "handle", "phone"),
    "/login": ("email", "password", "next"),
    "/login/phone": ("phone", "next"),
    "/verify": ("phone", "purpose", "code", "next"),
    "/password-reset": ("email",),
    "/password-reset/confirm": ("token", "password"),
}
NASTY = [
    "",
    " ",
    "\x00",
    "\x00" * 3,
    "a\x00b",
    "\uffff",
    "\u202e",
    "' OR 1=1 --",
    '"><script>x</script>',
    "%(code)s",
    "%s%s%n",
    "{{ 7*7 }}",
    "አበበ",
    "🙂" * 50,
    "\r\n\r\n",
    "x" * 300,
    "9" * 40,
    "+251",
    "@",
    "a@b",
    "//evil.example",
    "/\\evil",
    "../../etc/passwd",
    "0911234567",
    "+251911234567",
    "12345",
    "1234567",
]


async def test_overlong_fields_get_field_messages(client: AsyncTestClient[Litestar]) -> None:
    identity = new_identity()
    too_long = {
        "display_name": ("N" * 81, "Your name can have at most 80 characters."),
        "handle": ("h" * 31, "A handle has 3 to 30 characters"),
        "email": ("e" * 250 + "@example.com", "That email address is too long."),
        "password": ("p" * 129, "Your password can have at most 128 characters."),
    }
    for field, (value, message) in too_long.items():
        response = await post_form(client, "/signup/email", {**identity, field: value})
        assert response.status_code == 422, field
        assert message in response.text
        assert 'aria-invalid="true"' in response.text
    assert not await read_known(identity["email"], Creator.exists().where(Creator.email == identity["email"]))


async def test_malformed_emails_and_phones(client: AsyncTestClient[Litestar]) -> None:
    for email in (
        "plainaddress",
        "a@",
        "@example.com",
        "a b@example.com",
        "a@example..com",
        "a\x01@example.com",
    ):
        response = await post_form(client, "/signup/email", {**new_identity(), "email": email})
        assert response.status_code == 422, email
        assert "Enter a valid email address, like name@example.com." in response.text
    for phone in ("12", "0111234567", "+1 202 555 0123", "09abcdefgh", "+251 11 551 7000", "0" * 21):
        response = await post_form(client, "/login/phone", {"phone": phone})
        assert response.status_code == 422, phone
        assert "Enter a valid Ethiopian mobile number, like 0911 234 567." in response.text
    response = await post_form(client, "/signup/phone", {**new_identity(), "phone": ""})
    assert "Enter your phone number." in response.text


async def test_names_with_control_characters_are_refused(client: AsyncTestClient[Litestar]) -> None:
    for name in ("\x07", "Hana\x1b", "Hana\x07Tesfaye"):
        identity = {**new_identity(), "display_name": name}
        response = await post_form(client, "/signup/email", identity)
        assert response.status_code == 422
        assert "Your name can only have letters, digits, spaces and punctuation." in response.text
    ok = await post_form(client, "/signup/email", {**new_identity(), "display_name": "ሐና ተስፋዬ 🙂"})
    assert ok.status_code == 303
    await post_form(client, "/logout", {})
    # NUL is removed where the body is read (PostgreSQL refuses it in text), so it never reaches a rule.
    nul = await post_form(client, "/signup/email", {**new_identity(), "display_name": "Hana\x00"})
    assert nul.status_code == 303


async def test_wrong_shaped_codes(client: AsyncTestClient[Litestar]) -> None:
    for code in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        response = await post_form(
            client, "/verify", {"phone": "0911234567", "purpose": "login", "code": code}
        )
        assert response.status_code == 422
        assert "Enter the 6-digit code we sent you." in response.text


async def test_garbage_bodies(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    token = await csrf(client)
    rng = random.Random(2026)
    bodies = [
        ("application/x-www-form-urlencoded", bytes(rng.randrange(256) for _ in range(4000))),
        ("application/x-www-form-urlencoded", b"email=%ZZ%&&&==&password"),
        ("multipart/form-data; boundary=xyz", bytes(rng.randrange(256) for _ in range(4000))),
        ("multipart/form-data", b"no boundary at all"),
        ("application/json", b'{"email": '),
        ("text/plain", b"\x00\x01\x02"),
        # Invalid UTF-8 (an encoded lone surrogate, a stray continuation byte) in every field name we use.
        (
            "application/x-www-form-urlencoded",
            b"&".join(
                name.encode() + b"=%ED%A0%80x%80%FF" for name in {n for f in FORMS.values() for n in f}
            ),
        ),
    ]
    for path in FORMS:
        for content_type, body in bodies:
            response = await client.post(
                path, content=body, headers={"content-type": content_type, "x-csrftoken": token}
            )
            assert 400 <= response.status_code < 500 or response.status_code == 303, (
                path,
                content_type,
                response.text,
            )


async def test_huge_bodies_are_refused_with_413(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    limit = app.state.settings.max_request_mb * 1024 * 1024
    token = await csrf(client)
    body = b"email=" + b"x" * (limit + 1)
    response = await client.post(
        "/login",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded", "x-csrftoken": token},
    )
    assert response.status_code == 413
    assert "That upload is too large" in response.text


async def test_malformed_ids_in_api_paths(client: AsyncTestClient[Litestar]) -> None:
    await post_form(client, "/signup/email", new_identity())
    for raw in ("not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g", "%00", "' OR 1=1", "x" * 500):
        response = await client.get(f"/api/v1/identity/sign-ins/{raw}")
        assert response.status_code in {400, 404}, raw
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == response.status_code


async def test_unknown_pages_get_a_friendly_404(client: AsyncTestClient[Litestar]) -> None:
    for path in ("/no/such/page", "/@nobody_here", "/@" + "x" * 500, "/%00", "/api/v1/nothing"):
        response = await client.get(path)
        assert response.status_code == 404, path
        if path.startswith("/api/"):
            assert response.json()["title"] == "Page not found"
        else:
            assert "We could not find that page." in response.text and 'href="/"' in response.text
    am = await client.get("/no/such/page", headers={"accept-language": "am"})
    assert am.status_code == 404 and am.headers["content-language"] == "am"


async def test_fuzzed_forms_never_answer_500(client: AsyncTestClient[Litestar]) -> None:
    """A seeded fuzz loop: every form, every field, strings from a list of known troublemakers."""
    rng = random.Random(9457)
    token = await csrf(client)
    for round_number in range(60):
        path = rng.choice(list(FORMS))
        data = {name: rng.choice(NASTY) + rng.choice(NASTY) for name in FORMS[path]}
        if rng.random() < 0.3 and "handle" in data:
            data["handle"] = f"fz_{round_number}_{rng.randrange(10**6)}"
        response = await client.post(path, data={**data, "_csrf_token": token})
        assert response.status_code < 500, (path, data, response.text[:500])
        if response.status_code == 303 and "windsurf-session" in client.cookies:
            await post_form(client, "/logout", {})


async def test_field_messages_are_in_the_users_language(client: AsyncTestClient[Litestar]) -> None:
    client.cookies.set("lang", "am")
    response = await post_form(client, "/signup/email", {**new_identity(), "display_name": "Hana\x07"})
    assert response.status_code == 422 and response.headers["content-language"] == "am"
    assert "ስምዎ ፊደሎች፣ አሃዞች፣ ክፍተቶች እና ሥርዓተ ነጥቦች ብቻ ሊኖሩት ይችላል።" in response.text

"""Devices an account has logged in from: a signed cookie that lets its owner past the per-account limit.

The cookie holds a random nonce and an HMAC of it with the account's email under a key derived from the secret
key, so it cannot be forged or moved to another account, and the server stores nothing. It proves only that
this browser once logged in to that account; the password is still checked, and the per-(account, address)
limit still applies.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request, Response

from windsurf.core import security
from windsurf.settings import Settings

MAX_AGE = 180 * 24 * 3600


def cookie_name(settings: Settings) -> str:
    return "__Host-windsurf-device" if settings.is_production else "windsurf-device"


def _proof(secret_key: str, email: str, nonce: str) -> str:
    return security.keyed_digest(secret_key, f"device:{email.lower()}:{nonce}")


def remember(settings: Settings, response: Response[Any], email: str) -> None:
    nonce = security.new_token(16)
    response.set_cookie(
        key=cookie_name(settings),
        value=f"{nonce}.{_proof(settings.secret_key, email, nonce)}",
        path="/",
        max_age=MAX_AGE,
        httponly=True,
        secure=settings.is_production,
        samesite="lax",
    )


def recognised(settings: Settings, request: Request[Any, Any, Any], email: str) -> bool:
    nonce, _, proof = request.cookies.get(cookie_name(settings), "").partition(".")
    if not nonce or not proof or len(proof) != 64:
        return False
    expected = _proof(settings.secret_key, email, nonce)
    return hmac.compare_digest(proof.encode(), expected.encode())

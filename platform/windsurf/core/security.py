"""Passwords, one-time codes, random tokens and signatures."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from windsurf.core import offload

# argon2id with the library's RFC 9106 low-memory profile: strong, and fast enough for a 2-core pod.
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps the time of a login for an unknown account equal to that of a known one.
    Made on first use, in a worker thread: not at import, where it cost every process start a third of a second."""
    return _hasher.hash("windsurf-timing-equaliser")


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError, UnicodeError):
        return False


async def hash_password(password: str) -> str:
    """argon2id takes about 0.3 s of a core: in a worker thread, so buyers on this process are not kept waiting."""
    return await offload.cpu(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    return await offload.cpu(_verify, stored_hash, password)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_numeric_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def keyed_digest(secret_key: str, value: str) -> str:
    """HMAC-SHA256 of ``value``: how short secrets (codes, reset tokens) are stored, so a leak reveals
    none."""
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


def digests_match(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())

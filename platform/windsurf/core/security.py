"""Passwords, one-time codes, random tokens and signatures."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from windsurf.core import offload
from windsurf.settings import Settings

# argon2id with the library's RFC 9106 low-memory profile: strong, and fast enough for a 2-core pod.
STRONG = PasswordHasher()
# The smallest cost argon2id allows: for the test suite, which signs up a thousand creators (production refuses it).
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_hasher = STRONG


def configure(settings: Settings) -> None:
    """Hash new passwords at the settings' cost (called by create_app). Stored hashes carry their own cost, so
    every hash verifies whichever cost made it."""
    global _hasher
    _hasher = FAST if settings.argon2_cost == "fast" else STRONG


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verifying against this keeps the time of a login for an unknown account equal to that of a known one.
    Made on first use, in a worker thread: not at import, where it cost every process start a third of a second."""
    return hasher.hash("windsurf-timing-equaliser")


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(_hasher), password) and stored_hash is not None
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


def _sealing_key(secret_key: str) -> Fernet:
    # A key of its own, derived from the secret key, so that a sealed value can never double as a signature.
    derived = hashlib.sha256(b"windsurf-seal\x00" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, value: str) -> str:
    """Encrypt and authenticate ``value`` (AES-CBC + HMAC, Fernet) for a job that sends it later.

    The outbox then holds no code or token in clear; ``unseal`` refuses it once it is older than its lifetime.
    """
    return _sealing_key(secret_key).encrypt(value.encode()).decode()


class SealExpired(ValueError):
    """A sealed value is past its lifetime, or was not sealed with this key."""


def unseal(secret_key: str, sealed: str, *, max_age_seconds: int) -> str:
    try:
        return _sealing_key(secret_key).decrypt(sealed.encode(), ttl=max_age_seconds).decode()
    except InvalidToken:
        raise SealExpired("sealed value expired or forged") from None

"""Signature math the adapters share: HMAC-SHA256 over raw bytes, and telebirr's RSA signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hmac_matches(secret: str, body: bytes, signature: str) -> bool:
    """Constant-time comparison of a hex HMAC-SHA256 of the raw ``body`` bytes with ``signature``."""
    expected = hmac_sha256_hex(secret, body)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


# telebirr's reference tools leave these out of the signed string; biz_content's own fields are signed instead.
TELEBIRR_UNSIGNED = frozenset(
    {"sign", "sign_type", "header", "refund_info", "openType", "raw_request", "biz_content"}
)


def telebirr_sign_string(params: Mapping[str, Any]) -> str:
    """``k=v&...`` over the parameters and biz_content's fields, sorted by name, without the unsigned ones."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        if key not in TELEBIRR_UNSIGNED:
            flat[key] = str(value)
    biz = params.get("biz_content")
    if isinstance(biz, Mapping):
        for key, value in biz.items():
            if key not in TELEBIRR_UNSIGNED:
                flat[key] = str(value)
    return "&".join(f"{key}={flat[key]}" for key in sorted(flat))


def _pem(text: str) -> bytes:
    # PEM keys in environment variables often arrive with literal "\n" escapes instead of line breaks.
    return text.replace("\\n", "\n").strip().encode()


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(_pem(pem), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(_pem(pem))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


# telebirr calls it "SHA256WithRSA"; its reference tools sign with RSASSA-PSS (SHA-256, MGF1-SHA-256, salt of
# the digest's length), base64-encoded.
def rsa_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    signature = key.sign(
        text.encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
        hashes.SHA256(),
    )
    return base64.b64encode(signature).decode()


def rsa_verify(key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(
            raw,
            text.encode(),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True

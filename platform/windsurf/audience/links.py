"""Signed one-click unsubscribe links: they name the creator, the contact and the channel, and never expire
(an old newsletter's link must still work)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from windsurf.audience.inputs import Channel
from windsurf.core import security
from windsurf.core.errors import NotFoundError

CHANNEL_CODES = {"email": "e", "sms": "s"}
CODE_CHANNELS: dict[str, Channel] = {"e": "email", "s": "sms"}


@dataclass(frozen=True)
class UnsubscribeToken:
    creator_id: uuid.UUID
    contact_id: uuid.UUID
    channel: Channel


def _signature(secret_key: str, creator_id: uuid.UUID, contact_id: uuid.UUID, code: str) -> str:
    return security.keyed_digest(secret_key, f"unsubscribe:{creator_id}:{contact_id}:{code}")[:32]


def unsubscribe_token(secret_key: str, creator_id: uuid.UUID, contact_id: uuid.UUID, channel: Channel) -> str:
    code = CHANNEL_CODES[channel]
    return f"{creator_id.hex}.{contact_id.hex}.{code}.{_signature(secret_key, creator_id, contact_id, code)}"


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/unsubscribe/{token}"


def read_unsubscribe_token(secret_key: str, token: str) -> UnsubscribeToken:
    """The link's contents when its signature holds; anything else is a 404."""
    try:
        creator_text, contact_text, code, signature = token.split(".")
        creator_id, contact_id = uuid.UUID(hex=creator_text), uuid.UUID(hex=contact_text)
    except ValueError:
        raise NotFoundError() from None
    if code not in CODE_CHANNELS:
        raise NotFoundError()
    if not security.digests_match(_signature(secret_key, creator_id, contact_id, code), signature):
        raise NotFoundError()
    return UnsubscribeToken(creator_id, contact_id, CODE_CHANNELS[code])

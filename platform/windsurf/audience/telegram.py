"""Posting to a creator's Telegram channel through the Bot API (``sendMessage``), as the platform's bot.

The creator makes the bot an administrator of their channel and saves the channel's ``@name``. Telegram answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ...}``; a 429 carries
``parameters.retry_after`` (seconds). Too many requests, a server error or no answer are worth retrying; any
other refusal (the bot is not an admin, the channel does not exist) is final.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


class TelegramError(RuntimeError):
    def __init__(self, description: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.transient = transient
        self.retry_after = retry_after


@dataclass(frozen=True)
class TelegramBot:
    api_url: str
    token: str
    timeout: float = 10.0

    async def send_message(self, chat_id: str, text: str) -> None:
        if not self.token:
            raise TelegramError("no Telegram bot is configured", transient=False)
        url = f"{self.api_url.rstrip('/')}/bot{self.token}/sendMessage"
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    url,
                    json={"chat_id": chat_id, "text": text, "link_preview_options": {"is_disabled": True}},
                )
        except httpx.HTTPError as exc:
            raise TelegramError(f"Telegram did not answer: {type(exc).__name__}", transient=True) from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.is_success and isinstance(answer, dict) and answer.get("ok") is True:
            return
        description = str(answer.get("description", "")) if isinstance(answer, dict) else ""
        description = description or f"HTTP {response.status_code}"
        retry_after = None
        if isinstance(answer, dict) and isinstance(answer.get("parameters"), dict):
            value = answer["parameters"].get("retry_after")
            retry_after = float(value) if isinstance(value, int | float) else None
        transient = response.status_code == 429 or response.status_code >= 500
        raise TelegramError(description[:250], transient=transient, retry_after=retry_after)

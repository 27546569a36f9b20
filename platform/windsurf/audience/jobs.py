"""The audience's background jobs: sending a broadcast and a test send (idempotent per delivery)."""

from __future__ import annotations

import uuid
from typing import Any

from windsurf.audience import broadcasts
from windsurf.core import jobs


def _senders(context: jobs.JobContext) -> broadcasts.Senders:
    settings = context.settings
    bot = broadcasts.TelegramBot(settings.telegram_api_url, settings.telegram_bot_token)
    return broadcasts.Senders(settings, context.email, context.sms, bot)


@jobs.job(broadcasts.SEND_JOB)
async def send_broadcast(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    await broadcasts.send_some(
        _senders(context), uuid.UUID(payload["creator_id"]), uuid.UUID(payload["broadcast_id"])
    )


@jobs.job(broadcasts.TEST_SEND_JOB)
async def test_send(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    await broadcasts.test_send(
        _senders(context), uuid.UUID(payload["creator_id"]), uuid.UUID(payload["broadcast_id"]), payload["to"]
    )

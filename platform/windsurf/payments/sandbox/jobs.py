"""The sandbox gateway's notification delivery: a signed POST to the merchant's notify URL, from the outbox.

A merchant that does not answer 2xx gets the notification again later (the outbox retries with backoff), as
real providers retry; the same body (and notification id) is sent each time.
"""

from __future__ import annotations

from typing import Any

import httpx

from windsurf.core.jobs import JobContext, job
from windsurf.core.uow import unit_of_work
from windsurf.payments.providers.sandbox import SIGNATURE_HEADER
from windsurf.payments.providers.signing import hmac_sha256_hex
from windsurf.payments.sandbox import service


class NotificationRefused(RuntimeError):
    """The merchant did not acknowledge the notification; the outbox tries again later."""


@job(service.NOTIFY_JOB)
async def send_notification(context: JobContext, payload: dict[str, Any]) -> None:
    body = payload["body"].encode()
    signature = hmac_sha256_hex(context.settings.effective_sandbox_secret, body)
    async with httpx.AsyncClient(timeout=httpx.Timeout(context.settings.payment_timeout_seconds)) as client:
        response = await client.post(
            payload["notify_url"],
            content=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        )
    if not response.is_success:
        raise NotificationRefused(f"{payload['notify_url']} answered {response.status_code}")
    async with unit_of_work() as uow:
        await service.record_delivery(uow, payload["reference"])

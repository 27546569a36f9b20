"""Checkout's background jobs: an unpaid order gives back what it holds once its time is up."""

from __future__ import annotations

import uuid
from typing import Any

from windsurf.checkout import service
from windsurf.core import jobs
from windsurf.core.uow import tenant_for

EXPIRE_ORDER = "checkout.expire_order"


@jobs.job(EXPIRE_ORDER)
async def expire_order(context: jobs.JobContext, payload: dict[str, Any]) -> None:
    """Idempotent: an order already paid, expired or not yet due is left as it is."""
    async with tenant_for(uuid.UUID(payload["creator_id"])) as tenant:
        await service.expire(tenant, uuid.UUID(payload["order_id"]))

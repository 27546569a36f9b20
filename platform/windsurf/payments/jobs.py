"""Reconciliation: an attempt whose notification never came is settled from the provider's own answer."""

from __future__ import annotations

import uuid
from typing import Any

from windsurf.core.jobs import JobContext, job
from windsurf.payments import service
from windsurf.payments.providers.registry import build_providers


@job(service.RECONCILE_JOB)
async def reconcile(context: JobContext, payload: dict[str, Any]) -> None:
    """Idempotent: a settled attempt is left alone; a provider that is down makes the outbox retry later."""
    providers = build_providers(context.settings)
    try:
        await service.reconcile(
            uuid.UUID(payload["creator_id"]),
            payload["provider"],
            payload["reference"],
            int(payload.get("round", 0)),
            providers=providers,
            secret_key=context.settings.secret_key,
        )
    finally:
        await providers.aclose()

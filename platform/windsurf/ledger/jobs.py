"""The ledger's jobs: following a payout the provider accepted (a Chapa transfer) until it is paid or failed.

The job asks the provider with no transaction open (``own_units``): it reads the payout in one short unit of
work, asks Chapa, and records the answer in another. Recording is a conditional update from ``approved``, so a
repeated run, or staff deciding by hand meanwhile, records the outcome once.
"""

from __future__ import annotations

import uuid
from typing import Any

from windsurf.core import jobs
from windsurf.core.jobs import JobContext, job
from windsurf.core.uow import tenant_for
from windsurf.ledger import payouts
from windsurf.payments.providers.base import ErrorCode, PaymentError
from windsurf.payments.providers.chapa import ChapaProvider
from windsurf.payments.providers.registry import build_provider


@job(payouts.TRANSFER_STATUS_JOB, own_units=True)
async def transfer_status(context: JobContext, payload: dict[str, Any]) -> None:
    creator_id, payout_id = uuid.UUID(payload["creator_id"]), uuid.UUID(payload["payout_id"])
    round_ = int(payload.get("round", 0))
    async with tenant_for(creator_id) as tenant:
        payout = await payouts.get_payout(tenant, payout_id)
    if payout.status != "approved" or not payout.provider_reference:
        return  # decided already (by an earlier run, or by staff)
    chapa = build_provider("chapa", context.settings)
    try:
        assert isinstance(chapa, ChapaProvider)
        try:
            status = await chapa.transfer_status(payout.provider_reference)
        except PaymentError as error:
            if error.code != ErrorCode.PAYMENT_NOT_FOUND:
                raise  # the provider is down: the outbox retries
            status = "pending"  # not visible yet: ask again later
    finally:
        await chapa.aclose()
    async with tenant_for(creator_id) as tenant:
        settled = await payouts.settle_transfer(tenant, payout_id, status)
        if settled is None and round_ + 1 < len(payouts.TRANSFER_CHECKS):
            await jobs.enqueue(
                tenant.uow,
                payouts.TRANSFER_STATUS_JOB,
                {**payload, "round": round_ + 1},
                delay=payouts.TRANSFER_CHECKS[round_ + 1],
            )

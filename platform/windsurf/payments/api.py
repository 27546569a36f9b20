"""Provider callbacks: ``POST /webhooks/{provider}``.

The signature is checked on the raw body before anything else; then the notification is treated as a hint only
(service.confirm asks the provider). A duplicate is answered 200 and changes nothing, so providers stop
resending; a forged, mismatched or unknown one gets a 4xx problem document and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Router, post
from litestar.params import FromPath

from windsurf.core.errors import NotFoundError
from windsurf.core.metrics import PAYMENT_NOTIFICATIONS
from windsurf.dependencies import ProvidersDep, SettingsDep
from windsurf.payments import jobs as _jobs  # noqa: F401 - registers the reconciliation job
from windsurf.payments import service
from windsurf.payments.providers.base import ErrorCode, PaymentError

_log = logging.getLogger("windsurf.payments")


@post("/webhooks/{provider:str}", status_code=200, opt={"exclude_from_csrf": True})
async def notification(
    request: Request[Any, Any, Any],
    provider: FromPath[str],
    payment_providers: ProvidersDep,
    settings: SettingsDep,
) -> dict[str, str]:
    if provider not in payment_providers:
        raise NotFoundError()
    adapter = payment_providers.get(provider)
    body = await request.body()
    try:
        note = await adapter.verify_notification(body, dict(request.headers), dict(request.query_params))
    except PaymentError as error:
        _log.warning("payment notification refused", extra={"provider": provider, "code": str(error.code)})
        PAYMENT_NOTIFICATIONS.labels(provider, "refused").inc()
        raise
    try:
        outcome = await service.confirm(
            note.reference, provider, providers=payment_providers, settings=settings
        )
    except (NotFoundError, service.PaymentMismatch) as error:
        _log.warning(
            "payment notification refused",
            extra={
                "provider": provider,
                "reference": note.reference,
                "code": getattr(error, "code", "unknown_reference"),
            },
        )
        PAYMENT_NOTIFICATIONS.labels(
            provider, "mismatch" if isinstance(error, service.PaymentMismatch) else "unknown"
        ).inc()
        raise
    except PaymentError as error:
        if error.code == ErrorCode.PAYMENT_NOT_FOUND:
            PAYMENT_NOTIFICATIONS.labels(provider, "unknown").inc()
            raise NotFoundError() from error
        PAYMENT_NOTIFICATIONS.labels(provider, "provider_error").inc()
        raise  # the provider is down: 5xx-free 503/504 problem, and the provider resends later
    # "paid" counts orders this notification paid; a resent one for a paid order is a "duplicate".
    duplicate = outcome.status == "paid" and not outcome.paid_now
    PAYMENT_NOTIFICATIONS.labels(provider, "duplicate" if duplicate else outcome.status).inc()
    return {"status": outcome.status}


router = Router(path="/", route_handlers=[notification], tags=["payments"])

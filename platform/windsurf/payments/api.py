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
        raise
    except PaymentError as error:
        if error.code == ErrorCode.PAYMENT_NOT_FOUND:
            raise NotFoundError() from error
        raise  # the provider is down: 5xx-free 503/504 problem, and the provider resends later
    return {"status": outcome.status}


router = Router(path="/", route_handlers=[notification], tags=["payments"])

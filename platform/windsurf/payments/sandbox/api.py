"""The sandbox gateway's HTTP face, mounted under /sandbox-pay when the ``sandbox`` provider is enabled.

It stands where a real provider's servers would: a JSON API for merchants (create a payment, query its status;
``Authorization: Bearer <sandbox secret>``) and a hosted payment page for buyers with Pay / Fail / Cancel
(plain forms that work with JavaScript off, in Amharic and English). Like a provider's test mode, it also lets a
script make the buyer's decision through the API (``POST /api/payments/{reference}/decision``). The protocol is
documented with its client, windsurf.payments.providers.sandbox.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from windsurf.core import i18n, web
from windsurf.core.errors import NotFoundError, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.web import Renderer
from windsurf.dependencies import RendererDep, SettingsDep, UowDep
from windsurf.payments.sandbox import jobs as _jobs  # noqa: F401 - registers the notification job
from windsurf.payments.sandbox import service
from windsurf.settings import Settings

Req = Request[Any, Any, Any]
PREFIX = "/sandbox-pay"
STATUS_TEXT = {
    "pending": N_("Waiting for payment"),
    "paid": N_("Paid"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
    "refunded": N_("Refunded"),
}
NOTIFY_CHOICES = [
    ("", N_("As the gateway is set up")),
    ("deliver", N_("Send it now")),
    ("delay", N_("Send it late")),
    ("duplicate", N_("Send it twice")),
    ("drop", N_("Never send it")),
]


class NotAuthorised(ServiceError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__(N_("The API key is missing or wrong."))


def _check_key(request: Req, settings: Settings) -> None:
    expected = settings.effective_sandbox_secret
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise NotAuthorised()


@post("/api/payments", opt={"exclude_from_csrf": True}, status_code=201)
async def create_payment(request: Req, uow: UowDep, settings: SettingsDep) -> Response[Any]:
    _check_key(request, settings)
    try:
        data = json.loads(await request.body())
    except ValueError:
        data = None
    payment = await service.create_payment(uow, data)
    body = payment.as_json() | {"payment_url": _page_url(settings, payment.reference)}
    return Response(body, status_code=201)


@get("/api/payments/{reference:str}")
async def payment_status(
    request: Req, reference: FromPath[str], uow: UowDep, settings: SettingsDep
) -> dict[str, Any]:
    _check_key(request, settings)
    payment = await service.get_payment(uow, reference)
    if payment is None:
        raise NotFoundError()
    return payment.as_json()


@post("/api/payments/{reference:str}/decision", opt={"exclude_from_csrf": True}, status_code=200)
async def decide_by_api(
    request: Req, reference: FromPath[str], uow: UowDep, settings: SettingsDep
) -> dict[str, Any]:
    """What the buyer's click does, for scripts (tests, the checkout benchmark): ``{action, notify?}``."""
    _check_key(request, settings)
    try:
        data = json.loads(await request.body())
    except ValueError:
        data = None
    if not isinstance(data, dict):
        data = {}
    action, notify = data.get("action", ""), data.get("notify", "")
    payment = await service.decide(
        uow,
        reference,
        action if isinstance(action, str) else "",
        settings,
        notify=notify if isinstance(notify, str) else "?",
    )
    return payment.as_json()


@post("/api/payments/{reference:str}/refund", opt={"exclude_from_csrf": True}, status_code=200)
async def refund(
    request: Req, reference: FromPath[str], uow: UowDep, settings: SettingsDep
) -> dict[str, Any]:
    """Give back all or part of a paid payment (``{amount, refund_reference, reason?}``); the same refund reference
    again answers the same."""
    _check_key(request, settings)
    try:
        data = json.loads(await request.body())
    except ValueError:
        data = None
    return await service.refund(uow, reference, data)


def _page_url(settings: Settings, reference: str) -> str:
    return f"{settings.effective_sandbox_url}/pay/{reference}"


def _page(
    request: Req, renderer: Renderer, payment: service.GatewayPayment, *, status_code: int = 200
) -> Response[str]:
    locale = renderer.locale(request)
    return renderer.render(
        request,
        "sandbox_pay/page.html",
        {
            "payment": payment,
            "amount": i18n.format_money(payment.amount, locale, payment.currency),
            "status_text": STATUS_TEXT.get(payment.status, payment.status),
            "notify_choices": NOTIFY_CHOICES,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


@get("/pay/{reference:str}")
async def payment_page(
    request: Req, reference: FromPath[str], uow: UowDep, renderer: RendererDep
) -> Response[str]:
    payment = await service.get_payment(uow, reference)
    if payment is None:
        raise NotFoundError()
    return _page(request, renderer, payment)


@post("/pay/{reference:str}")
async def decide(request: Req, reference: FromPath[str], uow: UowDep, settings: SettingsDep) -> Response[Any]:
    fields = await web.form_fields(request, "action", "notify")
    payment = await service.decide(uow, reference, fields["action"], settings, notify=fields["notify"])
    # Back to the merchant, who learns the outcome from the notification or a status query, never from here.
    return Response(content=None, status_code=303, headers={"Location": payment.return_url})


router = Router(
    path=PREFIX,
    route_handlers=[create_payment, payment_status, decide_by_api, refund, payment_page, decide],
    tags=["sandbox gateway"],
)


def gateway_routers(settings: Settings) -> list[Router]:
    """The gateway's router when the sandbox provider is enabled (create_app mounts what this returns)."""
    return [router] if "sandbox" in settings.payment_providers else []

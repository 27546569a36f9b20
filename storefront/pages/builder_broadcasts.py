"""Broadcasts in the dashboard: compose (email or SMS), a draft's preview per channel with the SMS segment count
and the estimated recipients, a test send to oneself, sending, and the delivery state per recipient.

Plain forms answered by 303, or the page re-rendered with the problem: they work with JavaScript off. Another
creator's broadcast is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from windsurf.audience import inputs
from windsurf.audience import service as audience
from windsurf.core import web
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import Tenant
from windsurf.dependencies import AccountDep, RendererDep, TenantDep
from windsurf.flags import service as flags
from windsurf.identity.validation import FieldError

Req = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "private, no-store"}
BROADCASTS_URL = "/dashboard/broadcasts"
# Channels rolled out per creator by the flags `broadcasts.sms` and `broadcasts.telegram` (they cost money or
# reach a public channel): a flag that exists and is off holds the channel back from every creator it does not
# list. No flag means open, as both channels were before the flags.
ROLLOUT_CHANNELS = ("sms", "telegram")
CHANNEL_CLOSED = N_("This channel is not open for your store yet. Please choose another one.")
STATUS_LABELS = {"draft": N_("Draft"), "sending": N_("Sending"), "sent": N_("Sent"), "failed": N_("Failed")}
STATE_LABELS = {
    "queued": N_("Queued"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "skipped_unsubscribed": N_("Skipped: unsubscribed"),
}
DONE_NOTICES = {
    "test": N_("A test is on its way to you."),
    "sending": N_("Your broadcast is being sent."),
    "telegram": N_("Your changes are saved."),
}


async def _closed_channels(tenant: Tenant) -> frozenset[str]:
    return frozenset(
        [
            channel
            for channel in ROLLOUT_CHANNELS
            if not await flags.is_switched_on(tenant.uow, f"broadcasts.{channel}", tenant.creator_id)
        ]
    )


async def _list_page(
    request: Req,
    tenant: Tenant,
    renderer: Any,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    context = {
        "section": "broadcasts",
        "broadcasts": await audience.list_broadcasts(tenant),
        "tags": await audience.all_tags(tenant),
        "labels": STATUS_LABELS,
        "form": form or {"channel": "email"},
        "errors": errors or {},
        "closed": await _closed_channels(tenant),
        "telegram_channel": await audience.telegram_channel(tenant),
        "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
    }
    return renderer.render(
        request, "builder/audience/broadcasts.html", context, status_code=status_code, headers=NO_STORE
    )


@get(BROADCASTS_URL)
async def broadcasts_page(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    return await _list_page(request, tenant, renderer)


@post(BROADCASTS_URL)
async def compose(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    form = await web.form_fields(request, "channel", "subject", "body", "tag")
    if form["channel"] in await _closed_channels(tenant):
        errors = {"channel": CHANNEL_CLOSED}
        return await _list_page(request, tenant, renderer, form=form, errors=errors, status_code=422)
    try:
        draft = await audience.create_broadcast(tenant, inputs.broadcast_form(form))
    except InvalidInput as exc:
        return await _list_page(request, tenant, renderer, form=form, errors=exc.errors, status_code=422)
    return Redirect(path=f"{BROADCASTS_URL}/{draft.id}", status_code=303)


@post(f"{BROADCASTS_URL}/telegram")
async def save_telegram(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    form = await web.form_fields(request, "telegram_channel")
    try:
        channel = inputs.clean_telegram_channel(form["telegram_channel"][:100])
    except FieldError as exc:
        errors = {"telegram_channel": exc.message}
        return await _list_page(request, tenant, renderer, errors=errors, status_code=422)
    await audience.save_telegram_channel(tenant, channel)
    return Redirect(path=f"{BROADCASTS_URL}?done=telegram", status_code=303)


async def _broadcast_page(
    request: Req,
    tenant: Tenant,
    renderer: Any,
    broadcast_id: uuid.UUID,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    broadcast = await audience.get_broadcast(tenant, broadcast_id)
    context = {
        "section": "broadcasts",
        "broadcast": broadcast,
        "estimate": await audience.estimate(tenant, broadcast),
        "counts": await audience.delivery_counts(tenant, broadcast_id),
        "failed": await audience.failed_deliveries(tenant, broadcast_id),
        "labels": STATUS_LABELS,
        "states": STATE_LABELS,
        "error": error or (broadcast.error or None),
        "telegram_channel": await audience.telegram_channel(tenant),
        "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
    }
    return renderer.render(
        request, "builder/audience/broadcast.html", context, status_code=status_code, headers=NO_STORE
    )


@get(f"{BROADCASTS_URL}/{{broadcast_id:uuid}}")
async def broadcast_page(
    request: Req, broadcast_id: FromPath[uuid.UUID], tenant: TenantDep, renderer: RendererDep
) -> Response[Any]:
    return await _broadcast_page(request, tenant, renderer, broadcast_id)


@post(f"{BROADCASTS_URL}/{{broadcast_id:uuid}}/test")
async def test_send(
    request: Req,
    broadcast_id: FromPath[uuid.UUID],
    tenant: TenantDep,
    account: AccountDep,
    renderer: RendererDep,
) -> Response[Any]:
    broadcast = await audience.get_broadcast(tenant, broadcast_id)
    address = account.email if broadcast.channel == "email" else account.phone
    try:
        await audience.request_test_send(tenant, broadcast_id, address)
    except ServiceError as exc:
        return await _broadcast_page(
            request, tenant, renderer, broadcast_id, error=exc.message, status_code=422
        )
    return Redirect(path=f"{BROADCASTS_URL}/{broadcast_id}?done=test", status_code=303)


@post(f"{BROADCASTS_URL}/{{broadcast_id:uuid}}/send")
async def send(
    request: Req, broadcast_id: FromPath[uuid.UUID], tenant: TenantDep, renderer: RendererDep
) -> Response[Any]:
    # A draft written while its channel was open is not sent once the channel is held back.
    if (await audience.get_broadcast(tenant, broadcast_id)).channel in await _closed_channels(tenant):
        return await _broadcast_page(
            request, tenant, renderer, broadcast_id, error=CHANNEL_CLOSED, status_code=409
        )
    try:
        await audience.start_broadcast(tenant, broadcast_id)
    except ServiceError as exc:
        if isinstance(exc, NotFoundError):
            raise
        return await _broadcast_page(
            request, tenant, renderer, broadcast_id, error=exc.message, status_code=409
        )
    return Redirect(path=f"{BROADCASTS_URL}/{broadcast_id}?done=sending", status_code=303)


router = Router(
    path="/",
    route_handlers=[broadcasts_page, compose, save_telegram, broadcast_page, test_send, send],
    include_in_schema=False,
)

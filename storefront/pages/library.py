"""The buyer's library: /library asks for an email or phone, /library/open/<token> opens it (a button
that POSTs: following the link spends nothing), /library lists it.

Asking always answers the same ("if we have purchases for it, we sent a link"), so the page never tells whether a
contact bought anything; a job sends the one-time link only when it did. Redeeming the link sets a short-lived,
signed, HttpOnly cookie scoped to /library that names the buyer by their keyed digest (never the contact).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect

from windsurf.core import jobs, security, web
from windsurf.core.i18n import N_
from windsurf.core.ratelimit import Limit
from windsurf.delivery import service as delivery
from windsurf.dependencies import RateLimiterDep, RendererDep, SettingsDep, UowDep
from windsurf.identity.validation import FieldError, clean_email, clean_phone
from windsurf.settings import Settings

Req = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "private, no-store"}
COOKIE = "library"
COOKIE_SECONDS = 60 * 60
ASK = Limit("library-link", per_ip=20, per_account=5, window_seconds=60 * 60)


def _signature(secret_key: str, body: str) -> str:
    return security.keyed_digest(secret_key, f"library-cookie:{body}")


def library_cookie(settings: Settings, buyer_key: str, *, now: float | None = None) -> Cookie:
    expires = int((now if now is not None else time.time()) + COOKIE_SECONDS)
    body = f"{buyer_key}.{expires}"
    return Cookie(
        key=COOKIE,
        value=f"{body}.{_signature(settings.secret_key, body)}",
        path="/library",
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
    )


def read_library_cookie(settings: Settings, raw: str | None, *, now: float | None = None) -> str | None:
    """The buyer key of a genuine, unexpired cookie; None otherwise."""
    body, _, signature = (raw or "")[:200].rpartition(".")
    if not body or not security.digests_match(_signature(settings.secret_key, body), signature):
        return None
    buyer_key, _, expires = body.partition(".")
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        return None
    return buyer_key


def clean_contact(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise FieldError(N_("Please enter the email address or phone number you bought with."))
    return clean_email(value) if "@" in value else clean_phone(value)


@get("/library")
async def library_page(
    request: Req, uow: UowDep, renderer: RendererDep, settings: SettingsDep
) -> Response[Any]:
    buyer_key = read_library_cookie(settings, request.cookies.get(COOKIE))
    if buyer_key is None:
        context: dict[str, Any] = {"form": {}, "errors": {}, "sent": request.query_params.get("sent") == "1"}
        return renderer.render(request, "library/ask.html", context, headers=NO_STORE)
    buyer = await uow.act_for_buyer(buyer_key)
    purchases = [
        (
            grant,
            [
                (
                    file.filename,
                    "/download/"
                    + delivery.download_token(settings.secret_key, grant.creator_id, grant.id, file.file_id),
                )
                for file in grant.files
            ],
        )
        for grant in await delivery.library(buyer)
    ]
    return renderer.render(request, "library/list.html", {"purchases": purchases}, headers=NO_STORE)


@post("/library")
async def ask_for_link(
    request: Req,
    uow: UowDep,
    renderer: RendererDep,
    settings: SettingsDep,
    rate_limiter: RateLimiterDep,
) -> Response[Any]:
    form = await web.form_fields(request, "contact")
    raw = form["contact"][:254]
    await rate_limiter.hit(ASK, ip=web.client_ip(request, settings), account=raw.strip().lower() or None)
    try:
        contact = clean_contact(raw)
    except FieldError as exc:
        context = {"form": {"contact": raw}, "errors": {"contact": exc.message}, "sent": False}
        return renderer.render(request, "library/ask.html", context, status_code=422, headers=NO_STORE)
    # The outbox carries the buyer's keyed digest, never the contact: the job finds it in their purchases.
    key = delivery.buyer_key(settings.secret_key, contact)
    await jobs.enqueue(uow, delivery.LIBRARY_JOB, {"buyer_key": key, "locale": renderer.locale(request)})
    return Redirect(path="/library?sent=1", status_code=303, headers=NO_STORE)


@get("/library/open/{token:str}")
async def confirm_open(request: Req, token: FromPath[str], renderer: RendererDep) -> Response[Any]:
    """Show a button that opens the library; the link itself spends nothing, so a mail scanner that follows it
    leaves the one-time token for the buyer."""
    context = {"action": f"/library/open/{quote(token[:200], safe='')}"}
    return renderer.render(request, "library/open.html", context, headers=NO_STORE)


@post("/library/open/{token:str}")
async def open_library(token: FromPath[str], uow: UowDep, settings: SettingsDep) -> Response[Any]:
    buyer_key = await delivery.redeem_library_link(uow, settings.secret_key, token[:200])
    return Redirect(
        path="/library", status_code=303, headers=NO_STORE, cookies=[library_cookie(settings, buyer_key)]
    )


router = Router(
    path="/",
    route_handlers=[library_page, ask_for_link, confirm_open, open_library],
    include_in_schema=False,
)

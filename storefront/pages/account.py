"""The account page /account: password, email and phone (each verified before it takes effect), the active
sessions with "log the others out", a download of the account's data, and deleting the account.

Every form is a plain POST answered by 303 (or the page again with its messages and 422), so it all works with
JavaScript off. Each change that proves who is asking takes the current password.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import zipfile
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect

from storefront.pages import rendering
from storefront.pages.auth import LOGGED_OUT_CLEARS, set_session_cookie
from windsurf.audience import service as audience
from windsurf.catalog import service as catalog
from windsurf.checkout import service as checkout
from windsurf.core import offload, web
from windsurf.core.errors import InvalidInput, ServiceError, rate_limit_message
from windsurf.core.ratelimit import Limit, RateLimitExceeded
from windsurf.core.uow import Tenant
from windsurf.dependencies import (
    AccountDep,
    PageCacheDep,
    RateLimiterDep,
    RendererDep,
    SessionsDep,
    SettingsDep,
    TenantDep,
    UowDep,
)
from windsurf.identity import inputs
from windsurf.identity import service as identity
from windsurf.identity.sessions import SessionManager
from windsurf.settings import Settings
from windsurf.stores import service as stores

Req = Request[Any, Any, Any]
PAGE = "/account"
# Each form that checks the current password counts as a log-in attempt against it.
PASSWORD_CHECK = Limit("account-password", per_ip=100, per_account=10, window_seconds=15 * 60)
SEND = Limit("account-send", per_ip=30, per_account=5, window_seconds=15 * 60)
DONE = {"password", "email", "phone", "sessions"}


def _errors(exc: ServiceError) -> dict[str, str]:
    return exc.errors if isinstance(exc, InvalidInput) else {exc.field or "_form": exc.message}


async def _page(
    request: Req,
    renderer: RendererDep,
    tenant: Tenant,
    sessions: SessionManager,
    settings: Settings,
    *,
    failed: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    done = request.query_params.get("done")
    context = {
        "section": "account",
        "sign_ins": await identity.list_sign_ins(tenant),
        "sessions": [
            {
                "id": session.id,
                "user_agent": session.user_agent,
                "ip": session.ip,
                "last_seen": dt.datetime.fromtimestamp(session.last_seen, dt.UTC),
            }
            for session in await sessions.list_for(tenant.creator_id)
        ],
        "current_session": request.cookies.get(settings.session_cookie_name),
        "ethiopian": await stores.uses_ethiopian_calendar(
            tenant
        ),  # dates follow the store's calendar setting
        "done": done if done in DONE else None,
        "failed": failed,
        "errors": errors or {},
        "form": form or {},
    }
    return renderer.render(request, "account/index.html", context, status_code=status_code, headers=headers)


async def _limited(request: Req, limiter: Any, settings: Settings, limit: Limit, tenant: Tenant) -> None:
    await limiter.hit(limit, ip=web.client_ip(request, settings), account=str(tenant.creator_id))


@get(PAGE)
async def account_page(
    request: Req, renderer: RendererDep, tenant: TenantDep, sessions: SessionsDep, settings: SettingsDep
) -> Response[Any]:
    return await _page(request, renderer, tenant, sessions, settings)


async def _rejected(
    request: Req,
    renderer: RendererDep,
    tenant: Tenant,
    sessions: SessionManager,
    settings: Settings,
    section: str,
    exc: ServiceError | RateLimitExceeded,
    form: dict[str, str],
) -> Response[Any]:
    if isinstance(exc, RateLimitExceeded):
        errors = {"_form": rate_limit_message(request, exc)}
        status, headers = 429, {"Retry-After": str(exc.retry_after)}
    else:
        errors, status, headers = _errors(exc), 422, None
    safe_form = {key: value for key, value in form.items() if "password" not in key}
    return await _page(
        request,
        renderer,
        tenant,
        sessions,
        settings,
        failed=section,
        errors=errors,
        form=safe_form,
        status_code=status,
        headers=headers,
    )


async def _fresh_session(
    request: Req, sessions: SessionManager, settings: Settings, account_id: Any, path: str
) -> Response[Any]:
    """End every session of the account (listed or not), then give this browser a new one."""
    await sessions.revoke_all(account_id)
    session = await sessions.start(
        account_id,
        replacing=request.cookies.get(settings.session_cookie_name),
        user_agent=request.headers.get("user-agent", ""),
        ip=web.client_ip(request, settings),
    )
    await sessions.end_others(account_id, keep=session.id)
    response = Redirect(path=path, status_code=303)
    set_session_cookie(settings, response, session.id)
    return response


@post(f"{PAGE}/password")
async def change_password(
    request: Req,
    renderer: RendererDep,
    tenant: TenantDep,
    account: AccountDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    rate_limiter: RateLimiterDep,
) -> Response[Any]:
    form = await web.form_fields(request, "current_password", "password")
    try:
        await _limited(request, rate_limiter, settings, PASSWORD_CHECK, tenant)
        typed = inputs.password_change_form(
            current_password=form["current_password"], password=form["password"]
        )
        await identity.change_password(tenant, typed)
    except (ServiceError, RateLimitExceeded) as exc:
        return await _rejected(request, renderer, tenant, sessions, settings, "password", exc, form)
    # Whoever else knew the old password is logged out everywhere; this browser stays in.
    return await _fresh_session(request, sessions, settings, account.id, f"{PAGE}?done=password")


@post(f"{PAGE}/email")
async def change_email(
    request: Req,
    renderer: RendererDep,
    tenant: TenantDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    rate_limiter: RateLimiterDep,
) -> Response[Any]:
    form = await web.form_fields(request, "email", "current_password")
    try:
        await _limited(request, rate_limiter, settings, PASSWORD_CHECK, tenant)
        await _limited(request, rate_limiter, settings, SEND, tenant)
        typed_change = inputs.email_change_form(
            email=form["email"], current_password=form["current_password"]
        )
        await identity.start_email_change(tenant, typed_change, locale=renderer.locale(request))
    except (ServiceError, RateLimitExceeded) as exc:
        return await _rejected(request, renderer, tenant, sessions, settings, "email", exc, form)
    return Redirect(path=f"{PAGE}?done=email", status_code=303)


@get(f"{PAGE}/email/confirm")
async def confirm_email(
    request: Req, uow: UowDep, renderer: RendererDep, settings: SettingsDep
) -> Response[Any]:
    """The link emailed to the new address: opening it makes it the account's (verified) email."""
    try:
        email = await identity.confirm_email_change(
            uow, secret_key=settings.secret_key, token=request.query_params.get("token", "")
        )
    except ServiceError as exc:
        context: dict[str, Any] = {"verified": None, "error": exc.message}
        return renderer.render(request, "auth/email_verified.html", context, status_code=400)
    return renderer.render(request, "auth/email_verified.html", {"verified": {"email": email}, "error": None})


@post(f"{PAGE}/phone")
async def change_phone(
    request: Req,
    renderer: RendererDep,
    tenant: TenantDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    rate_limiter: RateLimiterDep,
) -> Response[Any]:
    form = await web.form_fields(request, "phone")
    try:
        await _limited(request, rate_limiter, settings, SEND, tenant)
        phone = await identity.start_phone_change(
            tenant,
            inputs.phone_number_form(phone=form["phone"]),
            secret_key=settings.secret_key,
            locale=renderer.locale(request),
        )
    except (ServiceError, RateLimitExceeded) as exc:
        return await _rejected(request, renderer, tenant, sessions, settings, "phone", exc, form)
    return Redirect(path=f"{PAGE}/phone/verify?{urlencode({'phone': phone})}", status_code=303)


@get(f"{PAGE}/phone/verify")
async def phone_code_page(request: Req, renderer: RendererDep, tenant: TenantDep) -> Response[Any]:
    context: dict[str, Any] = {"phone": request.query_params.get("phone", "")[:20], "errors": {}}
    return renderer.render(request, "account/phone_code.html", context)


@post(f"{PAGE}/phone/verify")
async def confirm_phone(
    request: Req,
    renderer: RendererDep,
    tenant: TenantDep,
    settings: SettingsDep,
    rate_limiter: RateLimiterDep,
) -> Response[Any]:
    form = await web.form_fields(request, "phone", "code")
    try:
        await _limited(request, rate_limiter, settings, PASSWORD_CHECK, tenant)
        await identity.confirm_phone_change(
            tenant,
            inputs.phone_code_form(phone=form["phone"], code=form["code"]),
            secret_key=settings.secret_key,
        )
    except (ServiceError, RateLimitExceeded) as exc:
        errors = (
            _errors(exc) if isinstance(exc, ServiceError) else {"_form": rate_limit_message(request, exc)}
        )
        context = {"phone": form["phone"][:20], "errors": errors}
        return renderer.render(request, "account/phone_code.html", context, status_code=422)
    return Redirect(path=f"{PAGE}?done=phone", status_code=303)


@post(f"{PAGE}/sessions/others")
async def log_out_others(
    request: Req, account: AccountDep, sessions: SessionsDep, settings: SettingsDep
) -> Response[Any]:
    return await _fresh_session(request, sessions, settings, account.id, f"{PAGE}?done=sessions")


@post(f"{PAGE}/delete")
async def delete_account(
    request: Req,
    renderer: RendererDep,
    tenant: TenantDep,
    account: AccountDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    rate_limiter: RateLimiterDep,
    page_cache: PageCacheDep,
) -> Response[Any]:
    form = await web.form_fields(request, "current_password", "confirm")
    try:
        await _limited(request, rate_limiter, settings, PASSWORD_CHECK, tenant)
        async with tenant.savepoint():
            typed_password = inputs.current_password_form(current_password=form["current_password"])
            handle = await identity.delete_personal_data(tenant, typed_password)
            await stores.erase(tenant)
            await catalog.erase_leads(tenant)
            await audience.erase(tenant)
    except (ServiceError, RateLimitExceeded) as exc:
        return await _rejected(request, renderer, tenant, sessions, settings, "delete", exc, form)
    if handle:  # offline at once in every process's cache too, not only once the render job has run
        await page_cache.invalidate(rendering.scope(handle))
    await sessions.revoke_all(account.id)
    await sessions.end(request.cookies.get(settings.session_cookie_name))
    response = Redirect(path="/?deleted=1", status_code=303, headers={"Clear-Site-Data": LOGGED_OUT_CLEARS})
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response


# --- the data download --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return buffer.getvalue()


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


async def export_files(tenant: Tenant, account: identity.Account) -> dict[str, str]:
    """Everything the account holds about itself, as JSON, with the tables also as CSV (for a spreadsheet)."""
    store = await stores.get_store(tenant)
    tables: dict[str, list[dict[str, Any]]] = {
        "sign_ins": [_plain(row) for row in await identity.list_sign_ins(tenant)],
        "products": [
            {key: value for key, value in _plain(product).items() if key not in {"description_html", "cover"}}
            for product in await catalog.list_products(tenant)
        ],
        "orders": [_plain(order) for order in await checkout.list_orders(tenant, limit=10_000)],
        "store_leads": [_plain(row) for row in await stores.list_leads(tenant, limit=10_000)],
        "product_leads": [_plain(lead) for lead in await catalog.list_leads(tenant)],
        "contacts": [_plain(contact) for contact in (await audience.list_contacts(tenant, limit=100_000))[0]],
    }
    files = {
        "account.json": json.dumps(_plain(account), ensure_ascii=False, indent=2),
        "store.json": json.dumps(
            {
                "draft": store.draft.to_dict(),
                "published": store.published.to_dict() if store.published else None,
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        ),
    }
    for name, rows in tables.items():
        files[f"{name}.json"] = json.dumps(rows, ensure_ascii=False, indent=2)
        files[f"{name}.csv"] = _csv(
            [{k: v for k, v in row.items() if not isinstance(v, dict | list)} for row in rows]
        )
    return files


@get(f"{PAGE}/export.zip")
async def export_data(tenant: TenantDep, account: AccountDep) -> Response[bytes]:
    data = await offload.cpu(_zip, await export_files(tenant, account))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="windsurf-{account.handle or "account"}-{stamp}.zip"',
            "Cache-Control": "private, no-store",
        },
    )


router = Router(
    path="/",
    route_handlers=[
        account_page,
        change_password,
        change_email,
        confirm_email,
        change_phone,
        phone_code_page,
        confirm_phone,
        log_out_others,
        delete_account,
        export_data,
    ],
    include_in_schema=False,
)

"""Sign up, log in (email + password or phone + SMS code), log out, password reset, language choice.

Every page is a plain HTML form that works with JavaScript off; with htmx (hx-boost) the same forms post in
the background. A rejected form is re-rendered with its field messages and status 422; success answers 303.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect

from windsurf.core import web
from windsurf.core.errors import InvalidInput, ServiceError, rate_limit_message
from windsurf.core.ratelimit import Limit, RateLimiter, RateLimitExceeded
from windsurf.core.uow import UnitOfWork
from windsurf.core.web import Renderer
from windsurf.dependencies import (
    AccountDep,
    RateLimiterDep,
    RendererDep,
    SessionsDep,
    SettingsDep,
    UowDep,
    ViewerDep,
)
from windsurf.identity import devices, inputs, service, validation
from windsurf.identity.service import Account
from windsurf.identity.sessions import SessionManager
from windsurf.settings import Settings

# Per account is the real defence; per IP only stops spraying. Ethiopian mobile networks put many phones
# behind one carrier-grade NAT address (a whole campus or town can sign up from it in a morning), so the
# per-IP numbers of sign-up and codes are a ceiling against floods, and per-contact limits do the fine work.
# Log-in: ten guesses per (account, address) and a hundred per address every 15 minutes, so a stranger who
# knows an email cannot lock its owner out; spread over many addresses, LOGIN_ACCOUNT stops them, except on a
# device the account logged in from before (a signed cookie), and the owner can always get in by an emailed
# reset link or an SMS code, which count apart.
LOGIN = Limit("login", per_ip=100, per_account=0, per_pair=10, window_seconds=15 * 60)
LOGIN_ACCOUNT = Limit("login-account", per_ip=0, per_account=50, window_seconds=60 * 60)
SIGNUP = Limit("signup", per_ip=300, per_account=5, window_seconds=15 * 60)
SEND_CODE = Limit("send-code", per_ip=120, per_account=3, window_seconds=15 * 60)
VERIFY_CODE = Limit("verify-code", per_ip=300, per_account=10, window_seconds=15 * 60)
RESET = Limit("password-reset", per_ip=30, per_account=3, window_seconds=60 * 60)
RESEND_VERIFICATION = Limit("verify-email", per_ip=30, per_account=3, window_seconds=15 * 60)
AFTER_LOGIN = "/dashboard"
LOGGED_OUT_CLEARS = '"cache", "storage"'
Req = Request[Any, Any, Any]


def safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must never send a creator to another site after logging in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:300]
    return AFTER_LOGIN


Rejection = ServiceError | RateLimitExceeded
Viewer = ViewerDep
Uow = UowDep
Render = RendererDep
Limiter = RateLimiterDep
Sessions = SessionsDep
Config = SettingsDep


def _errors(request: Req, exc: Rejection) -> dict[str, str]:
    if isinstance(exc, RateLimitExceeded):
        # Translated here because it carries a number; the template's _() leaves a translated text as it is.
        return {"_form": rate_limit_message(request, exc)}
    if isinstance(exc, InvalidInput):
        return exc.errors
    return {exc.field or "_form": exc.message}


def _rejected(
    renderer: Renderer, request: Req, template: str, context: dict[str, Any], exc: Rejection
) -> Response[Any]:
    """The form again with its messages: 422 for bad input, 429 with Retry-After when rate-limited."""
    context = {**context, "errors": _errors(request, exc)}
    if isinstance(exc, RateLimitExceeded):
        headers = {"Retry-After": str(exc.retry_after)}
        return renderer.render(request, template, context, status_code=429, headers=headers)
    return renderer.render(request, template, context, status_code=422)


def _account_key(raw: str) -> str:
    """One counter per account however it is written: '0911 234 567' and '+251911234567' are one phone."""
    for clean in (validation.clean_phone, validation.clean_email):
        try:
            return clean(raw)
        except validation.FieldError:
            continue
    return raw.strip().lower()[:300]


async def _limit(
    request: Req, limiter: RateLimiter, settings: Settings, limit: Limit, account: str | None
) -> None:
    key = _account_key(account) if account else None
    await limiter.hit(limit, ip=web.client_ip(request, settings), account=key)


def set_session_cookie(settings: Settings, response: Response[Any], session_id: str) -> None:
    response.set_cookie(
        key=settings.session_cookie_name,
        value=session_id,
        path="/",
        httponly=True,
        secure=settings.is_production,
        samesite="lax",
        max_age=settings.session_absolute_hours * 3600,
    )


async def _log_in(
    request: Req,
    uow: UnitOfWork,
    sessions: SessionManager,
    settings: Settings,
    account: Account,
    method: str,
    next_url: str,
) -> Response[Any]:
    old = request.cookies.get(settings.session_cookie_name)
    ip, user_agent = web.client_ip(request, settings), request.headers.get("user-agent", "")
    session = await sessions.start(account.id, replacing=old, user_agent=user_agent, ip=ip)
    await service.record_sign_in(uow, account, method=method, ip=ip, user_agent=user_agent)
    response = Redirect(path=safe_next(next_url), status_code=303)
    if account.shown_email:
        # An account that signed up with somebody else's address gets a cookie alike, which proves nothing for
        # that address (see service.sign_up_with_email).
        devices.remember(settings, response, account.email or str(account.id))
    set_session_cookie(settings, response, session.id)
    return response


def _verify_url(phone: str, purpose: str, next_url: str = "") -> str:
    query = {"phone": phone, "purpose": purpose}
    if next_url:
        query["next"] = next_url
    return "/verify?" + urlencode(query)


# --- sign up ------------------------------------------------------------------------------------------------


@get("/signup")
async def signup_page(request: Req, viewer: Viewer, renderer: Render) -> Response[Any]:
    if viewer:
        return Redirect(path=AFTER_LOGIN, status_code=303)
    return renderer.render(
        request, "auth/signup.html", {"form": {}, "errors": {}, "method": request.query_params.get("method")}
    )


@get(["/signup/email", "/signup/phone", "/login/phone"])
async def form_address(request: Req) -> Response[Any]:
    """A form's address asked for with GET (a reload after an error, a restored tab): the page with that form."""
    page, _, method = request.url.path.strip("/").partition("/")
    query = {"method": method}
    if request.query_params.get("next"):
        query["next"] = request.query_params["next"]
    return Redirect(path=f"/{page}?{urlencode(query)}", status_code=303)


@post("/signup/email")
async def signup_email(
    request: Req,
    uow: Uow,
    renderer: Render,
    rate_limiter: Limiter,
    sessions: Sessions,
    settings: Config,
) -> Response[Any]:
    form = await web.form_fields(request, "display_name", "handle", "email", "password")
    try:
        await _limit(request, rate_limiter, settings, SIGNUP, form["email"])
        try:
            typed = inputs.email_sign_up_form(**form)
        except InvalidInput as refused:
            await service.add_taken_handle(uow, refused, form["handle"])
            raise
        account = await service.sign_up_with_email(uow, typed, locale=renderer.locale(request))
    except (ServiceError, RateLimitExceeded) as exc:
        form["password"] = ""
        context = {"form": form, "method": "email"}
        return _rejected(renderer, request, "auth/signup.html", context, exc)
    return await _log_in(request, uow, sessions, settings, account, "password", AFTER_LOGIN)


@post("/signup/phone")
async def signup_phone(
    request: Req, uow: Uow, renderer: Render, rate_limiter: Limiter, settings: Config
) -> Response[Any]:
    form = await web.form_fields(request, "display_name", "handle", "phone")
    try:
        await _limit(request, rate_limiter, settings, SEND_CODE, form["phone"])
        try:
            typed = inputs.phone_sign_up_form(**form)
        except InvalidInput as refused:
            await service.add_taken_handle(uow, refused, form["handle"])
            raise
        phone = await service.request_phone_code(
            uow, typed, secret_key=settings.secret_key, locale=renderer.locale(request)
        )
    except (ServiceError, RateLimitExceeded) as exc:
        context = {"form": form, "method": "phone"}
        return _rejected(renderer, request, "auth/signup.html", context, exc)
    return Redirect(path=_verify_url(phone, "signup"), status_code=303)


# --- one-time codes -----------------------------------------------------------------------------------------


def _code_context(request: Req, errors: dict[str, str]) -> dict[str, Any]:
    purpose = request.query_params.get("purpose", "login")
    phone = request.query_params.get("phone", "")[:20]
    purpose = purpose if purpose in {"login", "signup"} else "login"
    next_url = request.query_params.get("next", "")
    return {
        "phone": phone,
        "purpose": purpose,
        "next": next_url,
        "errors": errors,
        "action": _verify_url(phone, purpose, next_url),
    }


@get("/verify")
async def verify_page(request: Req, renderer: Render) -> Response[Any]:
    return renderer.render(request, "auth/verify.html", _code_context(request, {}))


@post("/verify")
async def verify(
    request: Req,
    uow: Uow,
    renderer: Render,
    rate_limiter: Limiter,
    sessions: Sessions,
    settings: Config,
) -> Response[Any]:
    form = await web.form_fields(request, "phone", "purpose", "code", "next")
    purpose = form["purpose"] if form["purpose"] in {"login", "signup"} else "login"
    try:
        await _limit(request, rate_limiter, settings, VERIFY_CODE, form["phone"])
        account = await service.confirm_phone_code(
            uow,
            inputs.phone_code_form(phone=form["phone"], code=form["code"]),
            secret_key=settings.secret_key,
            purpose=purpose,
            locale=renderer.locale(request),
        )
    except (ServiceError, RateLimitExceeded) as exc:
        phone = form["phone"][:20]
        context: dict[str, Any] = {
            "phone": phone,
            "purpose": purpose,
            "next": form["next"],
            # The address keeps the phone: a reload (or a GET of the address bar) after a wrong code asks
            # for the code again, for the same number.
            "action": _verify_url(phone, purpose, form["next"]),
        }
        return _rejected(renderer, request, "auth/verify.html", context, exc)
    return await _log_in(request, uow, sessions, settings, account, "phone", form["next"] or AFTER_LOGIN)


# --- log in and out -----------------------------------------------------------------------------------------


@get("/login")
async def login_page(request: Req, viewer: Viewer, renderer: Render) -> Response[Any]:
    if viewer:
        return Redirect(path=safe_next(request.query_params.get("next")), status_code=303)
    context: dict[str, Any] = {
        "form": {},
        "errors": {},
        "next": request.query_params.get("next", ""),
        "method": request.query_params.get("method"),
    }
    return renderer.render(request, "auth/login.html", context)


@post("/login")
async def login(
    request: Req,
    uow: Uow,
    renderer: Render,
    rate_limiter: Limiter,
    sessions: Sessions,
    settings: Config,
) -> Response[Any]:
    form = await web.form_fields(request, "email", "password", "next")
    try:
        await _limit(request, rate_limiter, settings, LOGIN, form["email"])
        if not devices.recognised(settings, request, _account_key(form["email"])):
            await _limit(request, rate_limiter, settings, LOGIN_ACCOUNT, form["email"])
        credentials = inputs.login_form(email=form["email"], password=form["password"])
        account = await service.authenticate(uow, credentials)
    except (ServiceError, RateLimitExceeded) as exc:
        context = {"form": {"email": form["email"]}, "next": form["next"], "method": "email"}
        return _rejected(renderer, request, "auth/login.html", context, exc)
    return await _log_in(request, uow, sessions, settings, account, "password", form["next"])


@post("/login/phone")
async def login_phone(
    request: Req, uow: Uow, renderer: Render, rate_limiter: Limiter, settings: Config
) -> Response[Any]:
    form = await web.form_fields(request, "phone", "next")
    try:
        await _limit(request, rate_limiter, settings, SEND_CODE, form["phone"])
        phone = await service.request_phone_code(
            uow,
            inputs.phone_number_form(phone=form["phone"]),
            secret_key=settings.secret_key,
            locale=renderer.locale(request),
        )
    except (ServiceError, RateLimitExceeded) as exc:
        context = {"form": {"phone": form["phone"]}, "next": form["next"], "method": "phone"}
        return _rejected(renderer, request, "auth/login.html", context, exc)
    return Redirect(path=_verify_url(phone, "login", form["next"]), status_code=303)


@post("/logout")
async def logout(request: Req, sessions: Sessions, settings: Config) -> Response[Any]:
    await sessions.end(request.cookies.get(settings.session_cookie_name))
    # The browser drops what it kept of this site: its HTTP cache and its storage, htmx's history cache among
    # them, so Back after logging out on a shared phone shows nothing of the account.
    response = Redirect(
        path="/login?logged_out=1", status_code=303, headers={"Clear-Site-Data": LOGGED_OUT_CLEARS}
    )
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response


# --- password reset -----------------------------------------------------------------------------------------


@get("/password-reset")
async def reset_request_page(request: Req, renderer: Render) -> Response[Any]:
    return renderer.render(request, "auth/reset_request.html", {"form": {}, "errors": {}, "sent": False})


@post("/password-reset")
async def reset_request(
    request: Req, uow: Uow, renderer: Render, rate_limiter: Limiter, settings: Config
) -> Response[Any]:
    form = await web.form_fields(request, "email")
    try:
        await _limit(request, rate_limiter, settings, RESET, form["email"])
        await service.start_password_reset(
            uow,
            inputs.email_address_form(email=form["email"]),
            secret_key=settings.secret_key,
            reset_url=f"{settings.public_url}/password-reset/confirm",
            locale=renderer.locale(request),
        )
    except (ServiceError, RateLimitExceeded) as exc:
        context = {"form": form, "sent": False}
        return _rejected(renderer, request, "auth/reset_request.html", context, exc)
    return renderer.render(request, "auth/reset_request.html", {"form": form, "errors": {}, "sent": True})


@get("/password-reset/confirm")
async def reset_confirm_page(request: Req, renderer: Render) -> Response[Any]:
    context: dict[str, Any] = {"token": request.query_params.get("token", "")[:200], "errors": {}}
    return renderer.render(request, "auth/reset_confirm.html", context)


@post("/password-reset/confirm")
async def reset_confirm(
    request: Req, uow: Uow, renderer: Render, sessions: Sessions, settings: Config
) -> Response[Any]:
    form = await web.form_fields(request, "token", "password")
    try:
        typed = inputs.password_reset_form(token=form["token"], password=form["password"])
        account = await service.reset_password(uow, typed, secret_key=settings.secret_key)
    except (ServiceError, RateLimitExceeded) as exc:
        context: dict[str, Any] = {"token": form["token"][:200]}
        return _rejected(renderer, request, "auth/reset_confirm.html", context, exc)
    # Whoever else was logged in (the reason for many resets) is logged out everywhere.
    await sessions.revoke_all(account.id)
    return await _log_in(request, uow, sessions, settings, account, "password", AFTER_LOGIN)


# --- email verification -------------------------------------------------------------------------------------


@get("/verify-email")
async def verify_email(request: Req, uow: Uow, renderer: Render, settings: Config) -> Response[Any]:
    """The emailed link: verifies the address (it works logged in or not, on whichever phone opened it)."""
    try:
        account = await service.verify_email(
            uow, secret_key=settings.secret_key, token=request.query_params.get("token", "")
        )
    except ServiceError as exc:
        context = {"verified": None, "error": exc.message}
        return renderer.render(request, "auth/email_verified.html", context, status_code=400)
    return renderer.render(request, "auth/email_verified.html", {"verified": account, "error": None})


@post("/verify-email/resend")
async def resend_verification(
    request: Req, uow: Uow, account: AccountDep, rate_limiter: Limiter, settings: Config, renderer: Render
) -> Response[Any]:
    back = safe_next((await web.form_fields(request, "next"))["next"] or AFTER_LOGIN)
    try:
        await _limit(request, rate_limiter, settings, RESEND_VERIFICATION, str(account.id))
    except RateLimitExceeded as exc:
        context = {"verified": None, "error": rate_limit_message(request, exc)}
        headers = {"Retry-After": str(exc.retry_after)}
        return renderer.render(request, "auth/email_verified.html", context, status_code=429, headers=headers)
    if not account.verified:
        await service.send_email_verification(uow, account, renderer.locale(request))
    separator = "&" if "?" in back else "?"
    return Redirect(path=f"{back}{separator}verification=sent", status_code=303)


# --- account and language -----------------------------------------------------------------------------------


@get("/language", opt={"exclude_from_csrf": True})
async def language_link(request: Req, settings: Config) -> Response[Any]:
    """The language switch every page shows: a plain link, so it needs no CSRF token and works on error pages
    too. Only a same-site page is gone back to; the choice is a preference, nothing else changes."""
    params = request.query_params
    wanted = params.get("next") or "/"
    back = safe_next(wanted) if wanted.startswith("/") and not wanted.startswith("//") else "/"
    response = Redirect(path=back, status_code=303, headers={"Cache-Control": "no-store"})
    web.remember_language(settings, response, params.get("lang", ""))
    return response


router = Router(
    path="/",
    route_handlers=[
        signup_page,
        signup_email,
        signup_phone,
        verify_page,
        verify,
        login_page,
        login,
        login_phone,
        form_address,
        logout,
        reset_request_page,
        reset_request,
        reset_confirm_page,
        reset_confirm,
        verify_email,
        resend_verification,
        language_link,
    ],
    include_in_schema=False,
)

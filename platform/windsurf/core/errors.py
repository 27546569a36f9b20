"""Error responses: RFC 9457 problem documents for the JSON API, friendly translated pages for people.

Nothing a user types or a provider sends may surface as a 500; unexpected exceptions are logged with the
request
id and answered with a page that says so without leaking details.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from windsurf.core import web
from windsurf.core.i18n import N_
from windsurf.core.ratelimit import RateLimitExceeded
from windsurf.core.stores import StoreUnavailable

_log = logging.getLogger("windsurf.errors")
PROBLEM_JSON = "application/problem+json"

# What a person sees for each status; the detail a handler gives (already translated) is shown beneath.
STATUS_TEXT = {
    400: (N_("That request could not be read"), N_("Please check what you entered and try again.")),
    401: (N_("Please log in"), N_("You need to be logged in to see this page.")),
    403: (
        N_("This form has expired"),
        N_("For your security the form expired. Go back, reload the page and try again."),
    ),
    404: (
        N_("Page not found"),
        N_("We could not find that page. Check the link or go back to the home page."),
    ),
    405: (N_("That action is not allowed here"), N_("Go back and try again from the page itself.")),
    413: (N_("That upload is too large"), N_("Please choose a smaller file.")),
    429: (N_("Too many attempts"), N_("Please wait a few minutes and try again.")),
    503: (
        N_("This is briefly unavailable"),
        N_(
            "Logging in and your account pages are unavailable for a moment. Stores and products still work. "
            "Please try again in a minute."
        ),
    ),
    500: (
        N_("Something went wrong on our side"),
        N_("We have been told about it. Please try again in a moment."),
    ),
}


class FieldError(ValueError):
    """One field's value is wrong; ``message`` is the (untranslated) sentence shown beside it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServiceError(Exception):
    """A domain rule was broken; ``message`` is a translatable msgid, ``field`` the form field it concerns."""

    status_code = 400

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None, **variables: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code  # stable, for programs (``slug_taken``); the message is for people
        self.variables = variables


class InvalidInput(ServiceError):
    """Several fields are wrong at once; ``errors`` maps each field to a translatable msgid, ``codes`` some of
    them to a stable code (``handle_taken``)."""

    status_code = 422

    def __init__(self, errors: dict[str, str], codes: dict[str, str] | None = None) -> None:
        super().__init__(N_("Some fields are missing or not valid."))
        self.errors = errors
        self.codes = codes or {}

    def renamed(self, names: dict[str, str]) -> InvalidInput:
        """The same errors under another layer's field names (the JSON API's ``compare_at_santim``)."""
        return InvalidInput(
            {names.get(f, f): m for f, m in self.errors.items()},
            {names.get(f, f): c for f, c in self.codes.items()},
        )


class Conflict(ServiceError):
    """A value that must be unique is taken (``code`` says which rule, ``field`` which input)."""

    status_code = 409


class StaleVersion(Conflict):
    """A save was made from an older version of a document than the stored one (another tab or device saved
    in between): refused, so the newer save is never silently overwritten."""

    def __init__(self) -> None:
        super().__init__(
            N_("This was changed elsewhere after you opened it. Check the saved values, then save again."),
            code="stale_version",
        )


class NotFoundError(ServiceError):
    """The object does not exist, or belongs to somebody else: the two are indistinguishable on purpose."""

    status_code = 404

    def __init__(self, message: str = N_("Page not found")) -> None:
        super().__init__(message)


def _gettext(request: Request[Any, Any, Any], message: str, **variables: Any) -> str:
    renderer = web.renderer_for(request)
    if renderer is not None:
        return renderer.gettext(request, message, **variables)
    return message % variables if variables else message


def wants_problem_json(request: Request[Any, Any, Any]) -> bool:
    """JSON callers: our API, provider callbacks (machines too), the sandbox gateway's provider API
    (/sandbox-pay/api/...), or anyone asking for JSON: problem documents, never an HTML page."""
    path = request.url.path
    return (
        path.startswith(("/api/", "/webhooks/"))
        or "/api/" in path
        or "application/json" in request.headers.get("accept", "")
    )


def problem(
    request: Request[Any, Any, Any], status: int, detail: str | None = None, **extra: Any
) -> Response[Any]:
    title = _gettext(request, STATUS_TEXT.get(status, STATUS_TEXT[400])[0])
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def error_page(request: Request[Any, Any, Any], status: int, detail: str | None = None) -> Response[Any]:
    title, hint = STATUS_TEXT.get(status, STATUS_TEXT[500] if status >= 500 else STATUS_TEXT[400])
    renderer = web.renderer_for(request)
    if renderer is None:  # no HTML face in this process: the problem document is the page
        return problem(request, status, detail)
    return renderer.render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": _gettext(request, title),
            "hint": _gettext(request, hint),
            "detail": detail,
        },
        status_code=status,
    )


def respond(
    request: Request[Any, Any, Any], status: int, detail: str | None = None, **extra: Any
) -> Response[Any]:
    if wants_problem_json(request):
        return problem(request, status, detail, **extra)
    return error_page(request, status, detail)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        _log.error("server error", exc_info=exc)
        return respond(request, status)
    detail = None
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException):
        detail = _gettext(request, N_("Some fields are missing or not valid."))
        extra["errors"] = [
            {"field": item.get("key"), "message": item.get("message")}
            for item in (exc.extra if isinstance(exc.extra, list) else [])
        ]
    if isinstance(exc, NotAuthorizedException) and not wants_problem_json(request):
        return Response(
            content=None, status_code=303, headers={"Location": f"/login?next={request.url.path}"}
        )
    response = respond(request, status, detail, **extra)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def handle_service_error(request: Request[Any, Any, Any], exc: ServiceError) -> Response[Any]:
    detail = _gettext(request, exc.message, **exc.variables)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput):
        extra["errors"] = [
            _error_entry(field, _gettext(request, message), exc.codes.get(field))
            for field, message in exc.errors.items()
        ]
    elif exc.field:
        extra["errors"] = [_error_entry(exc.field, detail, exc.code)]
    if exc.code:
        extra["code"] = exc.code
    return respond(request, exc.status_code, detail, **extra)


def _error_entry(field: str, message: str, code: str | None) -> dict[str, str]:
    entry = {"field": field, "message": message}
    if code:
        entry["code"] = code
    return entry


def rate_limit_message(request: Request[Any, Any, Any], exc: RateLimitExceeded) -> str:
    """The translated 'try again in N minutes' (rounded up, so waiting that long always suffices)."""
    minutes = max(1, -(-exc.retry_after // 60))
    return _gettext(request, N_("Too many attempts. Try again in %(minutes)s minutes."), minutes=minutes)


def handle_rate_limit(request: Request[Any, Any, Any], exc: RateLimitExceeded) -> Response[Any]:
    response = respond(request, 429, rate_limit_message(request, exc))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.error("unhandled exception", exc_info=exc)
    try:
        return respond(request, HTTP_500_INTERNAL_SERVER_ERROR)
    except Exception:  # the error page itself failed: answer in plain text rather than not at all
        _log.exception("error page failed")
        return Response("Internal Server Error", status_code=500, media_type=MediaType.TEXT)


def handle_store_unavailable(request: Request[Any, Any, Any], exc: StoreUnavailable) -> Response[Any]:
    """Redis is down or hung (see core.stores): what needs it (logins, sessions, limits) is a 503, not a 500."""
    _log.warning("shared store unavailable", extra={"error": str(exc)})
    response = respond(request, 503)
    response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    return response


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: handle_http_exception,
    ServiceError: handle_service_error,
    RateLimitExceeded: handle_rate_limit,
    StoreUnavailable: handle_store_unavailable,
    Exception: handle_unexpected,
}

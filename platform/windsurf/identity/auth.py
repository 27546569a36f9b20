"""Who is asking: the account behind the session cookie, as a Litestar dependency and a guard."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from windsurf.core.stores import StoreUnavailable
from windsurf.identity import service
from windsurf.identity.service import Account
from windsurf.identity.sessions import Session, SessionManager


def session_manager(request: Request[Any, Any, Any]) -> SessionManager:
    return request.app.state.sessions


async def current_session(request: Request[Any, Any, Any]) -> Session | None:
    """The caller's session; with the session store unavailable, nobody is logged in for optional uses
    (public pages keep working) and ``require_account`` answers 503 instead of sending them to log in."""
    if "session" not in request.state:
        cookie = request.cookies.get(request.app.state.settings.session_cookie_name)
        try:
            request.state.session = await session_manager(request).load(cookie)
        except StoreUnavailable:
            request.state.session = None
            request.state.sessions_unavailable = True
    return request.state.session


async def current_account(request: Request[Any, Any, Any]) -> Account | None:
    if "account" not in request.state:
        session = await current_session(request)
        request.state.account = await service.get_account(session.creator_id) if session else None
    return request.state.account


async def require_account(request: Request[Any, Any, Any]) -> Account:
    """Dependency for pages and endpoints that need a logged-in creator; anonymous callers get 401 (or
    login)."""
    account = await current_account(request)
    if account is None and request.state.get("sessions_unavailable"):
        raise StoreUnavailable("sessions cannot be read")
    if account is None:
        raise NotAuthorizedException()
    return account

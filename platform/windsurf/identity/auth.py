"""Who is asking: the account behind the session cookie, as Litestar dependencies.

``viewer`` is the logged-in account or None (pages anybody may open), ``account`` the same but required (401,
which pages turn into the login page), ``tenant`` the unit of work acting for that account's creator.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import SkipValidation

from windsurf.core.stores import StoreUnavailable
from windsurf.core.uow import Tenant, UnitOfWork
from windsurf.identity import service
from windsurf.identity.service import Account
from windsurf.identity.sessions import SessionManager
from windsurf.settings import Settings


async def provide_viewer(
    request: Request[Any, Any, Any],
    sessions: NamedDependency[SkipValidation[SessionManager]],
    settings: NamedDependency[SkipValidation[Settings]],
    uow: NamedDependency[SkipValidation[UnitOfWork]],
) -> Account | None:
    """The logged-in account, or None; kept on the request so templates can greet it.

    With the session store unavailable (Redis stopped or hung) nobody is logged in for pages that only greet,
    so public pages keep working, and ``provide_account`` answers 503 instead of sending people to log in.
    """
    if "account" not in request.state:
        try:
            session = await sessions.load(request.cookies.get(settings.session_cookie_name))
        except StoreUnavailable:
            session = None
            request.state.sessions_unavailable = True
        request.state.session = session
        request.state.account = await service.get_account(uow, session.creator_id) if session else None
    account: Account | None = request.state.account
    return account


async def provide_account(
    request: Request[Any, Any, Any], viewer: NamedDependency[SkipValidation[Account | None]]
) -> Account:
    """For pages and endpoints that need a logged-in creator; anonymous callers get 401 (or the login page)."""
    if viewer is None and request.state.get("sessions_unavailable"):
        raise StoreUnavailable("sessions cannot be read")
    if viewer is None:
        raise NotAuthorizedException()
    return viewer


async def provide_tenant(
    uow: NamedDependency[SkipValidation[UnitOfWork]], account: NamedDependency[SkipValidation[Account]]
) -> Tenant:
    """The request's unit of work acting for the logged-in creator."""
    return await uow.act_for(account.id)

"""Feature flags at /staff/flags: staff turn a flag on for everyone, or for a few creators, or off.

Staff accounts only; anyone else gets the 404 of a page that does not exist. A change reaches every pod within
the flag cache's few seconds (windsurf.flags.service).
"""

from __future__ import annotations

from typing import Any

from litestar import Response, Router, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect

from storefront.pages.payouts import NO_STORE, errors_of
from storefront.pages.staff_payouts import _staff
from windsurf.core import web
from windsurf.core.errors import ServiceError
from windsurf.core.i18n import N_
from windsurf.core.uow import UnitOfWork
from windsurf.core.web import Renderer
from windsurf.dependencies import RendererDep, UowDep, ViewerDep
from windsurf.flags import service

PAGE = "/staff/flags"
SAVED = N_("Flag saved. Every server uses it within a few seconds.")


async def _page(
    request: HTMXRequest,
    renderer: Renderer,
    uow: UnitOfWork,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response[Any]:
    context = {
        "flags": await service.list_flags(uow),
        "errors": errors or {},
        "form": form or {},
        "done": SAVED if not errors and request.query_params.get("done") == "saved" else None,
    }
    return renderer.render(
        request, "flags/staff_flags.html", context, status_code=422 if errors else 200, headers=NO_STORE
    )


@get(PAGE)
async def flags_page(
    request: HTMXRequest, renderer: RendererDep, uow: UowDep, viewer: ViewerDep
) -> Response[Any]:
    _staff(viewer)
    return await _page(request, renderer, uow)


@post(PAGE)
async def save_flag(
    request: HTMXRequest, renderer: RendererDep, uow: UowDep, viewer: ViewerDep
) -> Response[Any]:
    staff = _staff(viewer)
    form = await web.form_fields(request, "name", "state", "creators", "description")
    try:
        async with uow.savepoint():
            await service.set_flag(
                uow,
                form["name"],
                enabled=form["state"] == "on",
                creators=service.parse_creators(form["creators"]),
                description=form["description"] or None,
                changed_by=staff.email or str(staff.id),
            )
    except ServiceError as exc:
        return await _page(request, renderer, uow, errors=errors_of(exc), form=form)
    return Redirect(path=f"{PAGE}?done=saved", status_code=303, headers=NO_STORE)


router = Router(path="/", route_handlers=[flags_page, save_flag], include_in_schema=False)

"""Pages anybody can open: the home page and a creator's public page at /@handle."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath
from windsurf.core import web
from windsurf.core.errors import NotFoundError
from windsurf.identity import auth, service


@get("/")
async def home(request: Request[Any, Any, Any]) -> Response[Any]:
    await auth.current_account(request)
    return web.render(request, "public/home.html")


@get("/{segment:str}")
async def creator_page(request: Request[Any, Any, Any], segment: FromPath[str]) -> Response[Any]:
    """/@handle. Litestar parameters are whole path segments, so the '@' is checked here."""
    handle = segment.removeprefix("@")
    creator = await service.find_by_handle(handle) if segment.startswith("@") and len(handle) <= 30 else None
    if creator is None:
        raise NotFoundError()
    return web.render(request, "public/profile.html", {"creator": creator})


router = Router(path="/", route_handlers=[home, creator_page], include_in_schema=False)

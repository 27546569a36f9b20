"""One-click unsubscribe: the signed link in every broadcast email (RFC 8058).

``GET`` shows a confirmation page with one button (a link scanner that follows every URL unsubscribes nobody);
``POST`` unsubscribes, from that button or straight from the mailbox provider's one-click request
(``List-Unsubscribe-Post: List-Unsubscribe=One-Click``), which carries no session and no CSRF token. The link
itself is the capability: its signature names the creator, the contact and the channel, so it is excluded from
the CSRF middleware. A forged or altered link is a 404.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from windsurf.audience import service as audience
from windsurf.dependencies import RendererDep, SettingsDep, UowDep

Req = Request[Any, Any, Any]
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


@get("/unsubscribe/{token:str}")
async def confirm_page(
    request: Req, token: FromPath[str], renderer: RendererDep, settings: SettingsDep
) -> Response[Any]:
    link = audience.read_unsubscribe_token(settings.secret_key, token[:200])
    context = {"token": token, "channel": link.channel, "done": False}
    return renderer.render(request, "audience/unsubscribe.html", context, headers=HEADERS)


@post("/unsubscribe/{token:str}", opt={"exclude_from_csrf": True})
async def unsubscribe(
    request: Req, token: FromPath[str], uow: UowDep, renderer: RendererDep, settings: SettingsDep
) -> Response[Any]:
    link = audience.read_unsubscribe_token(settings.secret_key, token[:200])
    tenant = await uow.act_for(link.creator_id)
    await audience.unsubscribe_if_present(tenant, link.contact_id, link.channel, "unsubscribe link")
    context = {"token": token, "channel": link.channel, "done": True}
    return renderer.render(request, "audience/unsubscribe.html", context, headers=HEADERS)


router = Router(path="/", route_handlers=[confirm_page, unsubscribe], include_in_schema=False)

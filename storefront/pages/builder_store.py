"""The store builder at /dashboard: profile, avatar, theme, links, settings, blocks, preview, publish, QR
code.

Every action is a plain ``<form method="post">``: with JavaScript off it answers 303 back to /dashboard (or
the page again with the field messages and 422); with htmx it answers the section it changed, rendered as a
block of the same template, plus out-of-band swaps of the "unpublished changes" bar and the live preview.
Draft edits never touch what buyers see; publishing does, and bumps the page-cache version.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import segno
from litestar import MediaType, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect

from storefront.pages import store_view
from windsurf.catalog import service as catalog
from windsurf.core import web
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError
from windsurf.core.i18n import N_
from windsurf.identity import auth
from windsurf.identity import service as identity
from windsurf.identity.service import Account
from windsurf.stores import service
from windsurf.stores.service import StoreState

Req = HTMXRequest
TEMPLATE = "builder/store/index.html"
BLOCK_FIELDS = ("title", "url", "heading", "contact", "product_id")
BLOCK_LABELS = {"product": N_("Product"), "link": N_("Link"), "capture": N_("Sign-up form")}
THEME_COLOUR = "#0b7a53"


def store_url(request: Req, account: Account) -> str:
    return f"{request.app.state.settings.public_url.rstrip('/')}/@{account.handle}"


async def _account(request: Req) -> Account:
    account = await auth.require_account(request)
    if not account.handle:
        raise ServiceError(N_("Staff accounts have no store."))
    return account


async def _context(request: Req, account: Account, state: StoreState, **extra: Any) -> dict[str, Any]:
    cards = await catalog.published_cards(account.id)
    settings = request.app.state.settings
    view = store_view.build_view(
        settings, account.handle or "", account.display_name, state.draft, cards, preview=True
    )
    return {
        "section": "store",
        "state": state,
        "doc": state.draft,
        "view": view,
        "s": view,
        "cards": cards,
        "card_titles": {str(card.id): card.title for card in cards},
        "store_url": store_url(request, account),
        "handle": account.handle,
        "qr_svg": segno.make(store_url(request, account), error="m").svg_inline(scale=4, omitsize=True),
        "leads": await service.list_leads(account.id, limit=20),
        "lead_count": await service.count_leads(account.id),
        "palettes": service.PALETTES,
        "palette_names": service.PALETTE_NAMES,
        "networks": service.SOCIAL_LABELS,
        "block_labels": BLOCK_LABELS,
        "errors": {},
        "form": {},
        "failed": None,
        "oob": False,
        **extra,
    }


async def _answer(
    request: Req,
    account: Account,
    section: str,
    action: Callable[[], Awaitable[StoreState]],
    form: dict[str, str] | None = None,
) -> Response[Any]:
    """Run a builder action; answer 303 / the changed section (htmx), or 422 with the messages."""
    try:
        state = await action()
    except ServiceError as exc:
        if isinstance(exc, NotFoundError):  # another creator's block, or none: a plain 404
            raise
        errors = exc.errors if isinstance(exc, InvalidInput) else {exc.field or "_form": exc.message}
        state = await service.get_store(account.id)
        context = await _context(request, account, state, errors=errors, form=form or {}, failed=section)
        if request.htmx:
            return web.render(request, TEMPLATE, context, status_code=422, block=_section_block(section))
        return web.render(request, TEMPLATE, context, status_code=422)
    if not request.htmx:
        return Redirect(path=f"/dashboard#{_section_block(section)}", status_code=303)
    account = await identity.get_account(account.id) or account  # the handle may have changed
    context = await _context(request, account, state)
    main = _section_block(section)
    html = web.render_html(request, TEMPLATE, context, block=main)
    context["oob"] = True
    for extra in ("status", "preview", "qr"):
        if extra != main:
            html += web.render_html(request, TEMPLATE, context, block=extra)
    return Response(
        html,
        status_code=200,
        media_type=MediaType.HTML,
        headers={
            "Vary": "HX-Request, Cookie, Accept-Language",
            "Content-Language": web.request_locale(request),
        },
    )


def _section_block(section: str) -> str:
    return "blocks" if section.startswith("block") else section


@get("/dashboard")
async def dashboard(request: Req) -> Response[Any]:
    account = await _account(request)
    state = await service.get_store(account.id)
    return web.render(request, TEMPLATE, await _context(request, account, state))


@get("/dashboard/preview")
async def preview(request: Req) -> Response[Any]:
    """The draft full-screen, exactly as buyers will see it once published."""
    account = await _account(request)
    state = await service.get_store(account.id)
    cards = await catalog.published_cards(account.id)
    view = store_view.build_view(
        request.app.state.settings,
        account.handle or "",
        account.display_name,
        state.draft,
        cards,
        preview=True,
    )
    locale = web.request_locale(request, default=state.draft.language)
    html = store_view.render_store_html(
        request.app.state.jinja,
        request.state.translations,
        locale,
        view,
        htmx_path=request.app.state.htmx_path,
    )
    return Response(
        html, status_code=200, media_type=MediaType.HTML, headers={"Cache-Control": "private, no-store"}
    )


@post("/dashboard/profile")
async def save_profile(request: Req) -> Response[Any]:
    account = await _account(request)
    form = await web.form_fields(request, "display_name", "handle", "bio")

    return await _answer(
        request, account, "profile", lambda: service.update_profile(account.id, **form), form
    )


@post("/dashboard/avatar")
async def save_avatar(request: Req) -> Response[Any]:
    account = await _account(request)
    upload = (await request.form()).get("avatar")
    storage = request.app.state.storage

    async def action() -> StoreState:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput({"avatar": N_("Choose a picture to upload.")})
        data = await upload.read()
        return await service.set_avatar(account.id, storage, data, upload.filename)

    return await _answer(request, account, "avatar", action)


@post("/dashboard/avatar/delete")
async def delete_avatar(request: Req) -> Response[Any]:
    account = await _account(request)
    return await _answer(
        request, account, "avatar", lambda: service.remove_avatar(account.id, request.app.state.storage)
    )


@post("/dashboard/theme")
async def save_theme(request: Req) -> Response[Any]:
    account = await _account(request)
    form = await web.form_fields(request, "palette", "accent")
    return await _answer(request, account, "theme", lambda: service.update_theme(account.id, **form), form)


@post("/dashboard/socials")
async def save_socials(request: Req) -> Response[Any]:
    account = await _account(request)
    form = await web.form_fields(request, *service.SOCIAL_NETWORKS)
    return await _answer(request, account, "socials", lambda: service.update_socials(account.id, form), form)


@post("/dashboard/settings")
async def save_settings(request: Req) -> Response[Any]:
    account = await _account(request)
    form = await web.form_fields(request, "language", "ethiopian_calendar")
    return await _answer(
        request,
        account,
        "settings",
        lambda: service.update_settings(
            account.id, language=form["language"], ethiopian_calendar=form["ethiopian_calendar"] == "on"
        ),
        form,
    )


@post("/dashboard/blocks")
async def add_block(request: Req) -> Response[Any]:
    account = await _account(request)
    form = await web.form_fields(request, "type", *BLOCK_FIELDS)
    section = f"block-new-{form['type']}"
    return await _answer(
        request, account, section, lambda: service.add_block(account.id, form["type"], form), form
    )


@post("/dashboard/blocks/{block_id:str}")
async def edit_block(request: Req, block_id: FromPath[str]) -> Response[Any]:
    account = await _account(request)
    form = await web.form_fields(request, *BLOCK_FIELDS)
    return await _answer(
        request, account, f"block-{block_id}", lambda: service.update_block(account.id, block_id, form), form
    )


@post("/dashboard/blocks/{block_id:str}/delete")
async def delete_block(request: Req, block_id: FromPath[str]) -> Response[Any]:
    account = await _account(request)
    return await _answer(request, account, "blocks", lambda: service.remove_block(account.id, block_id))


@post("/dashboard/blocks/{block_id:str}/move")
async def move_block(request: Req, block_id: FromPath[str]) -> Response[Any]:
    account = await _account(request)
    form = await web.form_fields(request, "direction")
    return await _answer(
        request, account, "blocks", lambda: service.move_block(account.id, block_id, form["direction"])
    )


@post("/dashboard/publish")
async def publish(request: Req) -> Response[Any]:
    account = await _account(request)

    return await _answer(
        request, account, "status", lambda: service.publish(account.id, request.app.state.storage)
    )


@get("/dashboard/qr.svg")
async def qr_code(request: Req) -> Response[bytes]:
    """The store's QR code as a printable SVG file."""
    account = await _account(request)
    buffer = io.BytesIO()
    segno.make(store_url(request, account), error="m").save(
        buffer, kind="svg", scale=10, border=4, title=f"@{account.handle}"
    )
    return Response(
        buffer.getvalue(),
        media_type="image/svg+xml",
        headers={
            "Content-Disposition": f'inline; filename="{account.handle}-qr.svg"',
            "Cache-Control": "private, no-cache",
        },
    )


@get("/manifest.webmanifest", opt={"exclude_from_csrf": True})
async def manifest(request: Req) -> Response[dict[str, Any]]:
    """Lets a creator add the builder to the phone's home screen."""
    icons = "/static/icons"
    return Response(
        {
            "name": web.gettext(request, "Stan Store Windsurf"),
            "short_name": web.gettext(request, "My store"),
            "start_url": "/dashboard",
            "scope": "/",
            "display": "standalone",
            "background_color": "#fbfaf7",
            "theme_color": THEME_COLOUR,
            "lang": web.request_locale(request),
            "icons": [
                {
                    "src": f"{icons}/icon-192-v1.png",
                    "sizes": "192x192",
                    "type": "image/png",
                    "purpose": "any",
                },
                {
                    "src": f"{icons}/icon-512-v1.png",
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "any",
                },
                {
                    "src": f"{icons}/maskable-512-v1.png",
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        },
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


router = Router(
    path="/",
    route_handlers=[
        dashboard,
        preview,
        save_profile,
        save_avatar,
        delete_avatar,
        save_theme,
        save_socials,
        save_settings,
        add_block,
        edit_block,
        delete_block,
        move_block,
        publish,
        qr_code,
        manifest,
    ],
    include_in_schema=False,
)

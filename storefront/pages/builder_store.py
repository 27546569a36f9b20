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
from dataclasses import dataclass
from typing import Any

import segno
from litestar import MediaType, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, SkipValidation
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect

from storefront.pages import store_view
from windsurf.catalog import service as catalog
from windsurf.core import offload, web
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError, StaleVersion
from windsurf.core.i18n import N_
from windsurf.core.storage import ObjectStorage
from windsurf.core.uow import Tenant
from windsurf.core.web import Renderer
from windsurf.dependencies import AccountDep, RendererDep, SettingsDep, StorageDep, TenantDep
from windsurf.identity import service as identity
from windsurf.identity.service import Account
from windsurf.settings import Settings
from windsurf.stores import inputs, service
from windsurf.stores.service import StoreState

Req = HTMXRequest
TEMPLATE = "builder/store/index.html"
BLOCK_FIELDS = ("title", "url", "heading", "contact", "product_id")
BLOCK_LABELS = {"product": N_("Product"), "link": N_("Link"), "capture": N_("Sign-up form")}
THEME_COLOUR = "#0b7a53"


@dataclass(frozen=True)
class Builder:
    """What every builder action works with: the request's creator, its tenant and the shared objects."""

    request: Req
    account: Account
    tenant: Tenant
    renderer: Renderer
    settings: Settings
    storage: ObjectStorage


def store_url(settings: Settings, account: Account) -> str:
    return f"{settings.public_url.rstrip('/')}/@{account.handle}"


# QR codes are drawn in a worker thread (windsurf.core.offload): segno is pure Python and takes milliseconds
# of the loop per drawing, which every buyer of the process would wait behind.
def _qr_inline(url: str) -> str:
    return str(segno.make(url, error="m").svg_inline(scale=4, omitsize=True))


def _qr_file(url: str, title: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=10, border=4, title=title)
    return buffer.getvalue()


def _qr_png(url: str) -> bytes:
    """A PNG for apps that take no SVG (messengers, phone galleries, most print shops' upload forms): 16 px a
    module, about 700 px square, sharp on a printed A6 flyer."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=16, border=4)
    return buffer.getvalue()


async def provide_builder(
    request: Req,
    account: AccountDep,
    tenant: TenantDep,
    renderer: RendererDep,
    settings: SettingsDep,
    storage: StorageDep,
) -> Builder:
    if not account.handle:
        raise ServiceError(N_("Staff accounts have no store."))
    return Builder(request, account, tenant, renderer, settings, storage)


Build = NamedDependency[SkipValidation[Builder]]


async def _context(b: Builder, account: Account, state: StoreState, **extra: Any) -> dict[str, Any]:
    tenant = b.tenant
    cards = await catalog.published_cards(tenant)
    leads, lead_count = await service.recent_leads(tenant, limit=20)
    settings = b.settings
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
        "store_url": store_url(settings, account),
        "handle": account.handle,
        "qr_svg": await offload.cpu(_qr_inline, store_url(settings, account)),
        "leads": leads,
        "lead_count": lead_count,
        "palettes": service.PALETTES,
        "palette_names": service.PALETTE_NAMES,
        "layouts": service.LAYOUT_NAMES,
        "buttons": service.BUTTON_NAMES,
        "networks": service.SOCIAL_LABELS,
        "block_labels": BLOCK_LABELS,
        "errors": {},
        "form": {},
        "failed": None,
        "newer": {},
        "oob": False,
        **extra,
    }


async def _answer(
    b: Builder,
    section: str,
    action: Callable[[], Awaitable[StoreState]],
    form: dict[str, str] | None = None,
) -> Response[Any]:
    """Run a builder action; answer 303 / the changed section (htmx), or 422 with the messages.

    The action runs in the request's unit of work; an action that writes in more than one step (the profile:
    handle, then draft) keeps them together in a savepoint of its own."""
    request, account = b.request, b.account
    try:
        state = await action()
    except ServiceError as exc:
        if isinstance(exc, NotFoundError):  # another creator's block, or none: a plain 404
            raise
        errors = exc.errors if isinstance(exc, InvalidInput) else {exc.field or "_form": exc.message}
        state = await service.get_store(b.tenant)
        typed = dict(form or {})
        newer: dict[str, str] = {}
        if isinstance(exc, StaleVersion):
            # What was typed stays in the form, the newer saved values are shown beside it, and the form now
            # carries the newer version: saving again (after a look) keeps what was typed.
            saved = {"display_name": state.draft.name, "handle": account.handle or "", "bio": state.draft.bio}
            newer = {name: value for name, value in saved.items() if typed.get(name, "") != value}
            typed["version"] = str(state.profile_version)
        context = await _context(b, account, state, errors=errors, form=typed, failed=section, newer=newer)
        status = 409 if isinstance(exc, StaleVersion) else 422
        if request.htmx:
            return b.renderer.render(
                request, TEMPLATE, context, status_code=status, block=_section_block(section)
            )
        return b.renderer.render(request, TEMPLATE, context, status_code=status)
    if not request.htmx:
        return Redirect(path=f"/dashboard#{_section_block(section)}", status_code=303)
    if section == "profile":  # the handle may have changed
        account = await identity.get_account(b.tenant.uow, account.id) or account
    context = await _context(b, account, state)
    main = _section_block(section)
    html = b.renderer.html(request, TEMPLATE, context, block=main)
    context["oob"] = True
    for extra in ("status", "preview", "qr"):
        if extra != main:
            html += b.renderer.html(request, TEMPLATE, context, block=extra)
    return Response(
        html,
        status_code=200,
        media_type=MediaType.HTML,
        headers={
            "Vary": "HX-Request, Cookie, Accept-Language",
            "Content-Language": b.renderer.locale(request),
        },
    )


def _section_block(section: str) -> str:
    return "blocks" if section.startswith("block") else section


@get("/dashboard")
async def dashboard(b: Build) -> Response[Any]:
    state = await service.get_store(b.tenant)
    return b.renderer.render(b.request, TEMPLATE, await _context(b, b.account, state))


@get("/dashboard/preview")
async def preview(b: Build) -> Response[Any]:
    """The draft full-screen, exactly as buyers will see it once published."""
    account = b.account
    state = await service.get_store(b.tenant)
    cards = await catalog.published_cards(b.tenant)
    view = store_view.build_view(
        b.settings,
        account.handle or "",
        account.display_name,
        state.draft,
        cards,
        preview=True,
    )
    locale = b.renderer.locale(b.request, default=state.draft.language)
    html = store_view.render_store_html(
        b.renderer.env,
        b.request.state.translations,
        locale,
        view,
        htmx_path=b.renderer.htmx_path,
    )
    return Response(
        html, status_code=200, media_type=MediaType.HTML, headers={"Cache-Control": "private, no-store"}
    )


@post("/dashboard/profile")
async def save_profile(b: Build) -> Response[Any]:
    form = await web.form_fields(b.request, "display_name", "handle", "bio", "version")
    raw_version = form.pop("version")
    version = int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else None

    async def action() -> StoreState:
        profile = inputs.profile_form(**form)
        return await service.update_profile(b.tenant, profile, expected_version=version)

    return await _answer(b, "profile", action, {**form, "version": raw_version})


@post("/dashboard/avatar")
async def save_avatar(b: Build) -> Response[Any]:
    upload = (await b.request.form()).get("avatar")

    async def action() -> StoreState:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput({"avatar": N_("Choose a picture to upload.")})
        data = await upload.read()
        return await service.set_avatar(b.tenant, b.storage, data, upload.filename)

    return await _answer(b, "avatar", action)


@post("/dashboard/avatar/delete")
async def delete_avatar(b: Build) -> Response[Any]:
    return await _answer(b, "avatar", lambda: service.remove_avatar(b.tenant, b.storage))


@post("/dashboard/banner")
async def save_banner(b: Build) -> Response[Any]:
    upload = (await b.request.form()).get("banner")

    async def action() -> StoreState:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput({"banner": N_("Choose a picture to upload.")})
        data = await upload.read()
        return await service.set_banner(b.tenant, b.storage, data, upload.filename)

    return await _answer(b, "banner", action)


@post("/dashboard/banner/delete")
async def delete_banner(b: Build) -> Response[Any]:
    return await _answer(b, "banner", lambda: service.remove_banner(b.tenant, b.storage))


@post("/dashboard/theme")
async def save_theme(b: Build) -> Response[Any]:
    form = await web.form_fields(b.request, "palette", "accent", "layout", "button")
    return await _answer(b, "theme", lambda: service.update_theme(b.tenant, inputs.theme_form(**form)), form)


@post("/dashboard/socials")
async def save_socials(b: Build) -> Response[Any]:
    form = await web.form_fields(b.request, *service.SOCIAL_NETWORKS)
    return await _answer(
        b, "socials", lambda: service.update_socials(b.tenant, inputs.socials_form(form)), form
    )


@post("/dashboard/settings")
async def save_settings(b: Build) -> Response[Any]:
    form = await web.form_fields(b.request, "language", "ethiopian_calendar")
    return await _answer(
        b,
        "settings",
        lambda: service.update_settings(
            b.tenant,
            inputs.settings_form(
                language=form["language"], ethiopian_calendar=form["ethiopian_calendar"] == "on"
            ),
        ),
        form,
    )


@post("/dashboard/blocks")
async def add_block(b: Build) -> Response[Any]:
    form = await web.form_fields(b.request, "type", *BLOCK_FIELDS)
    section = f"block-new-{form['type']}"
    return await _answer(
        b, section, lambda: service.add_block(b.tenant, inputs.block_form(form["type"], form)), form
    )


@post("/dashboard/blocks/{block_id:str}")
async def edit_block(b: Build, block_id: FromPath[str]) -> Response[Any]:
    form = await web.form_fields(b.request, *BLOCK_FIELDS)

    async def action() -> StoreState:
        # The block keeps its type: its form is read as that type's.
        kind = (await service.get_store(b.tenant)).draft.block(block_id).type
        return await service.update_block(b.tenant, block_id, inputs.block_form(kind, form))

    return await _answer(b, f"block-{block_id}", action, form)


@post("/dashboard/blocks/{block_id:str}/delete")
async def delete_block(b: Build, block_id: FromPath[str]) -> Response[Any]:
    return await _answer(b, "blocks", lambda: service.remove_block(b.tenant, block_id))


@post("/dashboard/blocks/{block_id:str}/move")
async def move_block(b: Build, block_id: FromPath[str]) -> Response[Any]:
    form = await web.form_fields(b.request, "direction")
    return await _answer(
        b, "blocks", lambda: service.move_block(b.tenant, block_id, inputs.clean_direction(form["direction"]))
    )


@post("/dashboard/publish")
async def publish(b: Build) -> Response[Any]:
    return await _answer(b, "status", lambda: service.publish(b.tenant, b.storage))


@get(
    [
        "/dashboard/profile",
        "/dashboard/avatar",
        "/dashboard/avatar/delete",
        "/dashboard/theme",
        "/dashboard/socials",
        "/dashboard/settings",
        "/dashboard/blocks",
        "/dashboard/blocks/{block_id:str}",
        "/dashboard/blocks/{block_id:str}/delete",
        "/dashboard/blocks/{block_id:str}/move",
        "/dashboard/publish",
    ]
)
async def form_address(b: Build) -> Response[Any]:
    """A form's address asked for with GET (a reload, a restored tab, a copied link): the form it belongs to,
    never a 405."""
    section = b.request.url.path.removeprefix("/dashboard/").split("/")[0]
    anchor = {"publish": "status"}.get(section, section)
    return Redirect(path=f"/dashboard#{anchor}", status_code=303)


@get("/dashboard/qr.svg")
async def qr_code(b: Build) -> Response[bytes]:
    """The store's QR code as a printable SVG file."""
    account = b.account
    return Response(
        await offload.cpu(_qr_file, store_url(b.settings, account), f"@{account.handle}"),
        media_type="image/svg+xml",
        headers={
            "Content-Disposition": f'inline; filename="{account.handle}-qr.svg"',
            "Cache-Control": "private, no-cache",
        },
    )


@get("/dashboard/qr.png")
async def qr_code_png(b: Build) -> Response[bytes]:
    """The store's QR code as a PNG image, for where an SVG is not taken."""
    account = b.account
    return Response(
        await offload.cpu(_qr_png, store_url(b.settings, account)),
        media_type="image/png",
        headers={
            "Content-Disposition": f'attachment; filename="{account.handle}-qr.png"',
            "Cache-Control": "private, no-cache",
        },
    )


@get("/manifest.webmanifest", opt={"exclude_from_csrf": True})
async def manifest(request: Req, renderer: RendererDep) -> Response[dict[str, Any]]:
    """Lets a creator add the builder to the phone's home screen."""
    icons = "/static/icons"
    return Response(
        {
            "name": renderer.gettext(request, "Stan Store Windsurf"),
            "short_name": renderer.gettext(request, "My store"),
            "start_url": "/dashboard",
            "scope": "/",
            "display": "standalone",
            "background_color": "#fbfaf7",
            "theme_color": THEME_COLOUR,
            "lang": renderer.locale(request),
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
        save_banner,
        delete_banner,
        save_theme,
        save_socials,
        save_settings,
        add_block,
        edit_block,
        delete_block,
        move_block,
        publish,
        form_address,
        qr_code,
        qr_code_png,
        manifest,
    ],
    dependencies={"b": Provide(provide_builder)},
    include_in_schema=False,
)

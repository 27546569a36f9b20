"""The creator's product pages in the dashboard: list, create, edit, cover, files, visibility, order, delete.

Every action is a plain ``<form method="post">`` answered by 303 (or the form re-rendered with 422), so it
works with JavaScript off. With htmx, the list's inline actions (visibility, move up/down) answer with the
list block of the same template instead of a redirect. Every change bumps the creator's page-cache version,
so buyers see it on their next request without any purge.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, SkipValidation
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect

from windsurf.catalog import inputs, service
from windsurf.catalog.validation import KINDS
from windsurf.core import web
from windsurf.core.disposition import attachment
from windsurf.core.errors import InvalidInput, NotFoundError, ServiceError, StaleVersion
from windsurf.core.i18n import N_
from windsurf.core.storage import ObjectStorage
from windsurf.core.uow import Tenant
from windsurf.core.web import Renderer
from windsurf.dependencies import AccountDep, RendererDep, SettingsDep, StorageDep, TenantDep
from windsurf.identity.service import Account
from windsurf.settings import Settings
from windsurf.stores import service as stores

Req = HTMXRequest
LIST_URL = "/dashboard/products"
KIND_LABELS = {
    "download": (N_("Digital download"), N_("Ebooks, templates, music, courses: one or more files.")),
    "lead_magnet": (N_("Lead magnet"), N_("Free, in exchange for an email or phone number.")),
    "link": (N_("External link"), N_("Send buyers to your YouTube, podcast, or another shop.")),
    "coaching": (N_("Coaching session"), N_("A paid call of a set length. Booking comes soon.")),
}
SAVED_MESSAGES = {
    "saved": N_("Your changes are saved."),
    "created": N_("Product created. Add the details, then publish it."),
    "cover": N_("The cover is updated."),
    "file": N_("The file is uploaded."),
    "file-removed": N_("The file is removed."),
    "visibility": N_("Visibility changed."),
    "on-store": N_("Published. It is now in your store's draft: publish your store to show it to buyers."),
}
# The edit form's fields a stale save compares with the saved product, and their labels.
COMPARED_FIELDS = {
    "title": N_("Title"),
    "slug": N_("Address"),
    "description": N_("Description"),
    "price": N_("Price in birr"),
    "compare_at": N_("Compare-at price"),
    "pwyw_min": N_("Pay what you want: minimum in birr"),
    "external_url": N_("Link"),
    "duration_minutes": N_("Duration in minutes"),
    "lead_field": N_("Ask buyers for"),
    "sales_limit": N_("Sales limit"),
    "visibility": N_("Visibility"),
}


@dataclass(frozen=True)
class Pages:
    """What every product page works with: the request's creator, its tenant and the shared objects."""

    request: Req
    account: Account
    tenant: Tenant
    renderer: Renderer
    settings: Settings
    storage: ObjectStorage


async def provide_pages(
    request: Req,
    account: AccountDep,
    tenant: TenantDep,
    renderer: RendererDep,
    settings: SettingsDep,
    storage: StorageDep,
) -> Pages:
    return Pages(request, account, tenant, renderer, settings, storage)


P = NamedDependency[SkipValidation[Pages]]


def _errors(exc: ServiceError) -> dict[str, str]:
    if isinstance(exc, InvalidInput):
        return exc.errors
    return {exc.field or "_form": exc.message}


def _error_text(p: Pages, exc: ServiceError) -> dict[str, str]:
    """Field -> translated message; the one message of a ServiceError may carry variables."""
    if isinstance(exc, InvalidInput):
        return {field: p.renderer.gettext(p.request, message) for field, message in exc.errors.items()}
    return {exc.field or "_form": p.renderer.gettext(p.request, exc.message, **exc.variables)}


def _back(path: str, flag: str | None = None) -> Response[Any]:
    return Redirect(path=f"{path}?done={flag}" if flag else path, status_code=303)


def _return_to(raw: str, product_id: uuid.UUID) -> str:
    """Where a plain form post goes back to: the list or the product's own page, nowhere else."""
    own = f"{LIST_URL}/{product_id}"
    return raw if raw in {LIST_URL, own} else LIST_URL


_SENT_FILENAME = re.compile(r'filename="((?:[^"\\]|\\.)*)"')


def sent_filename(upload: UploadFile) -> str:
    """The filename exactly as the browser sent it: the multipart parser keeps only the last path part, but a
    name that came with path parts must be refused, not quietly trimmed."""
    disposition = next((v for k, v in upload.headers.items() if k.lower() == "content-disposition"), "")
    match = _SENT_FILENAME.search(disposition)
    raw = re.sub(r"\\(.)", r"\1", match.group(1)) if match else ""
    return raw if raw and raw != upload.filename else upload.filename


async def _upload(request: Req, name: str) -> tuple[bytes, str] | None:
    form = await request.form()
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return await upload.read(), sent_filename(upload)


# --- list ---------------------------------------------------------------------------------------------------


async def _list_page(
    p: Pages, *, status_code: int = 200, errors: dict[str, str] | None = None
) -> Response[Any]:
    request = p.request
    products = await service.list_products(p.tenant)
    context = {
        "section": "products",
        "products": products,
        "kind_labels": KIND_LABELS,
        "list_errors": errors or {},
        "done": SAVED_MESSAGES.get(request.query_params.get("done", "")),
    }
    # The list's own hx-post actions swap the list; a boosted navigation (the nav link, a redirect after a
    # boosted form) swaps the whole body and needs the whole page.
    block = "product_list" if request.htmx and not request.htmx.boosted else None
    return p.renderer.render(
        request, "builder/products/list.html", context, status_code=status_code, block=block
    )


@get(LIST_URL)
async def product_list(p: P) -> Response[Any]:
    return await _list_page(p)


# --- create -------------------------------------------------------------------------------------------------


def _new_page(
    request: Req, renderer: Renderer, form: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response[Any]:
    context = {
        "section": "products",
        "form": form,
        "errors": errors,
        "kinds": KINDS,
        "kind_labels": KIND_LABELS,
    }
    return renderer.render(request, "builder/products/new.html", context, status_code=status_code)


@get(f"{LIST_URL}/new")
async def new_product_page(p: P) -> Response[Any]:
    kind = p.request.query_params.get("kind", "")
    return _new_page(p.request, p.renderer, {"kind": kind if kind in KINDS else "download"}, {})


# The new-product form's fields of each kind; the form hides the others, and they are not read.
NEW_FIELDS = {
    "download": ("price",),
    "coaching": ("price", "duration_minutes"),
    "link": ("price", "external_url"),
    "lead_magnet": (),
}


@post(f"{LIST_URL}/new")
async def create_product(p: P) -> Response[Any]:
    form = await web.form_fields(p.request, "kind", "title", "price", "external_url", "duration_minutes")
    wanted = NEW_FIELDS.get(form["kind"], ("price", "external_url", "duration_minutes"))
    fields = {key: form[key] for key in wanted if form[key]}
    fields["title"] = form["title"]
    try:
        product = await service.create_product(p.tenant, inputs.new_product_form(form["kind"], fields))
    except ServiceError as exc:
        return _new_page(p.request, p.renderer, form, _errors(exc), status_code=422)
    return _back(f"{LIST_URL}/{product.id}", "created")


# --- edit ---------------------------------------------------------------------------------------------------


def _saved_values(product: service.ProductView) -> dict[str, str]:
    """What the edit form shows for the stored product, its visibility and version included."""
    return {**product.form_values(), "visibility": product.visibility, "version": str(product.version)}


async def _edit_page(
    p: Pages,
    product_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    stale: bool = False,
) -> Response[Any]:
    request, account = p.request, p.account
    product = await service.get_product(p.tenant, product_id)
    leads = await service.list_leads(p.tenant, product.id) if product.kind == "lead_magnet" else []
    saved = _saved_values(product)
    shown = {**saved, **(form or {})}
    if stale:
        # The typed values stay in the form; the newer saved ones are listed, and the form now carries the
        # newer version, so saving again (after a look) keeps what was typed.
        shown["version"] = saved["version"]
    newer = {
        name: saved.get(name, "")
        for name in COMPARED_FIELDS
        if stale and name in shown and shown.get(name, "") != saved.get(name, "")
    }
    placement = stores.product_placement(await stores.get_store(p.tenant), product.id)
    context = {
        "section": "products",
        "product": product,
        "form": shown,
        "errors": errors or {},
        "newer": newer,
        "compared_fields": COMPARED_FIELDS,
        "placement": placement,
        "kind_labels": KIND_LABELS,
        "leads": leads[:100],
        "ethiopian": await stores.uses_ethiopian_calendar(p.tenant),
        "lead_count": len(leads),
        "done": SAVED_MESSAGES.get(request.query_params.get("done", "")),
        "max_file_mb": p.settings.max_file_mb,
        "public_path": f"/@{account.handle}/{product.slug}",
    }
    return p.renderer.render(request, "builder/products/edit.html", context, status_code=status_code)


@get(f"{LIST_URL}/{{product_id:uuid}}")
async def edit_product_page(p: P, product_id: FromPath[uuid.UUID]) -> Response[Any]:
    return await _edit_page(p, product_id)


def _version(raw: str) -> int | None:
    """The version a form was loaded with; a form without one (an old tab, a script) is not checked."""
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


async def _publish(p: Pages, product_id: uuid.UUID, visibility: service.Visibility) -> bool:
    """Change the visibility; a newly published product joins the store's draft. Returns whether it did."""
    before = await service.get_product(p.tenant, product_id)
    await service.set_visibility(p.tenant, product_id, visibility)
    if visibility == "published" and before.visibility != "published":
        return await stores.add_product_block(p.tenant, product_id)
    return False


@post(f"{LIST_URL}/{{product_id:uuid}}")
async def update_product(p: P, product_id: FromPath[uuid.UUID]) -> Response[Any]:
    """One save for the whole page: the details and the visibility together, so neither drops the other."""
    product = await service.get_product(p.tenant, product_id)
    names = ["title", "slug", "description", "sales_limit"]
    names += {
        "download": ["price", "compare_at", "pwyw_min"],
        "coaching": ["price", "compare_at", "pwyw_min", "duration_minutes"],
        "link": ["price", "compare_at", "external_url"],
        "lead_magnet": ["external_url", "lead_field"],
    }[product.kind]
    form = await web.form_fields(p.request, *names, "visibility", "version")
    fields = {name: form[name] for name in names}
    joined = False
    try:
        async with p.tenant.savepoint():  # the details and the visibility are saved together or not at all
            changes = inputs.product_form(fields, current=product)
            await service.update_product(
                p.tenant, product_id, changes, expected_version=_version(form["version"])
            )
            if form["visibility"] and form["visibility"] != product.visibility:
                joined = await _publish(p, product_id, inputs.clean_visibility(form["visibility"]))
    except StaleVersion as exc:
        return await _edit_page(p, product_id, form=form, errors=_errors(exc), status_code=409, stale=True)
    except NotFoundError:
        raise
    except ServiceError as exc:
        return await _edit_page(p, product_id, form=form, errors=_errors(exc), status_code=422)
    return _back(f"{LIST_URL}/{product_id}", "on-store" if joined else "saved")


@post(f"{LIST_URL}/{{product_id:uuid}}/visibility")
async def change_visibility(p: P, product_id: FromPath[uuid.UUID]) -> Response[Any]:
    form = await web.form_fields(p.request, "visibility", "return_to")
    back = _return_to(form["return_to"], product_id)
    joined = False
    try:
        visibility = inputs.clean_visibility(form["visibility"])
        joined = await _publish(p, product_id, visibility)
    except NotFoundError:
        raise
    except ServiceError as exc:
        if back == LIST_URL:
            return await _list_page(p, status_code=422, errors={str(product_id): exc.message})
        return await _edit_page(p, product_id, errors=_errors(exc), status_code=422)
    if p.request.htmx and back == LIST_URL:
        return await _list_page(p)
    return _back(back, "on-store" if joined else "visibility")


@post(f"{LIST_URL}/{{product_id:uuid}}/move")
async def move_product(p: P, product_id: FromPath[uuid.UUID]) -> Response[Any]:
    form = await web.form_fields(p.request, "direction")
    await service.move_product(p.tenant, product_id, inputs.clean_direction(form["direction"]))
    if p.request.htmx:
        return await _list_page(p)
    return _back(LIST_URL)


@post(f"{LIST_URL}/{{product_id:uuid}}/delete")
async def delete_product(p: P, product_id: FromPath[uuid.UUID]) -> Response[Any]:
    await service.delete_product(p.tenant, product_id, p.storage)
    return _back(LIST_URL)


# --- cover and files ----------------------------------------------------------------------------------------


@post(f"{LIST_URL}/{{product_id:uuid}}/cover")
async def upload_cover(p: P, product_id: FromPath[uuid.UUID]) -> Response[Any]:
    upload = await _upload(p.request, "cover")
    try:
        if upload is None:
            raise ServiceError(N_("Choose an image to upload."), field="cover")
        await service.set_cover(p.tenant, product_id, p.storage, *upload)
    except ServiceError as exc:
        return await _edit_page(p, product_id, errors=_error_text(p, exc), status_code=422)
    return _back(f"{LIST_URL}/{product_id}", "cover")


@post(f"{LIST_URL}/{{product_id:uuid}}/cover/delete")
async def remove_cover(p: P, product_id: FromPath[uuid.UUID]) -> Response[Any]:
    await service.remove_cover(p.tenant, product_id, p.storage)
    return _back(f"{LIST_URL}/{product_id}", "cover")


@post(f"{LIST_URL}/{{product_id:uuid}}/files")
async def upload_file(p: P, product_id: FromPath[uuid.UUID]) -> Response[Any]:
    upload = await _upload(p.request, "file")
    max_bytes = p.settings.max_file_mb * 1024 * 1024
    try:
        if upload is None:
            raise ServiceError(N_("Choose a file to upload."), field="file")
        await service.add_file(p.tenant, product_id, p.storage, *upload, max_bytes=max_bytes)
    except ServiceError as exc:
        return await _edit_page(p, product_id, errors=_error_text(p, exc), status_code=422)
    return _back(f"{LIST_URL}/{product_id}", "file")


@post(f"{LIST_URL}/{{product_id:uuid}}/files/{{file_id:uuid}}/delete")
async def remove_file(p: P, product_id: FromPath[uuid.UUID], file_id: FromPath[uuid.UUID]) -> Response[Any]:
    await service.remove_file(p.tenant, product_id, file_id, p.storage)
    return _back(f"{LIST_URL}/{product_id}", "file-removed")


@get(f"{LIST_URL}/{{product_id:uuid}}/files/{{file_id:uuid}}")
async def download_own_file(
    p: P, product_id: FromPath[uuid.UUID], file_id: FromPath[uuid.UUID]
) -> Response[Any]:
    """The owner fetches a file back: a short-lived presigned URL on S3, streamed by the app locally."""
    info = await service.get_file(p.tenant, product_id, file_id)
    return await file_response(p.storage, info)


async def file_response(storage: ObjectStorage, info: service.FileInfo) -> Response[Any]:
    presigned = await storage.presigned_url(info.storage_key, filename=info.filename)
    private = {"Cache-Control": "private, no-store"}
    if presigned:
        return Redirect(path=presigned, status_code=303, headers=private)
    data = await service.read_file(storage, info)
    # RFC 6266: the real name (any script) in filename*, an ASCII stand-in in filename; a raw Amharic name
    # cannot be written into a header at all.
    return Response(
        data,
        media_type=info.content_type,
        headers={**private, "Content-Disposition": attachment(info.filename)},
    )


@get(
    [
        f"{LIST_URL}/{{product_id:uuid}}/visibility",
        f"{LIST_URL}/{{product_id:uuid}}/move",
        f"{LIST_URL}/{{product_id:uuid}}/delete",
        f"{LIST_URL}/{{product_id:uuid}}/cover",
        f"{LIST_URL}/{{product_id:uuid}}/cover/delete",
        f"{LIST_URL}/{{product_id:uuid}}/files",
        f"{LIST_URL}/{{product_id:uuid}}/files/{{file_id:uuid}}/delete",
    ]
)
async def form_address(p: P, product_id: FromPath[uuid.UUID]) -> Response[Any]:
    """A form's address asked for with GET (a reload, a restored tab): the product page the form is on."""
    await service.get_product(p.tenant, product_id)  # another creator's product stays a 404
    return _back(f"{LIST_URL}/{product_id}")


router = Router(
    path="/",
    route_handlers=[
        product_list,
        new_product_page,
        create_product,
        edit_product_page,
        update_product,
        change_visibility,
        move_product,
        delete_product,
        upload_cover,
        remove_cover,
        upload_file,
        remove_file,
        download_own_file,
        form_address,
    ],
    dependencies={"p": Provide(provide_pages)},
    include_in_schema=False,
)

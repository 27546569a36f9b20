"""The creator's audience in the dashboard: the contact list (search, tag filter), a contact's page (tags, notes,
deletion on request), CSV export, and CSV import with a preview before anything is saved.

Plain forms answered by 303, or the page re-rendered with 422: everything works with JavaScript off. The import
preview carries the file's text in the confirm form, so nothing is stored until the creator confirms, and the
confirm step validates it again. Every read goes through the logged-in creator's tenant: another creator's
contact is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect

from windsurf.audience import inputs
from windsurf.audience import service as audience
from windsurf.core import web
from windsurf.core.errors import InvalidInput
from windsurf.core.i18n import N_
from windsurf.dependencies import RendererDep, TenantDep

Req = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "private, no-store"}
AUDIENCE_URL = "/dashboard/audience"
SOURCE_LABELS = {
    "lead_block": N_("Sign-up form"),
    "lead_magnet": N_("Lead magnet"),
    "purchase": N_("Purchase"),
    "import": N_("Import"),
    "manual": N_("Added by you"),
}
DONE_NOTICES = {
    "deleted": N_("The contact is deleted. We will never write to them again."),
    "saved": N_("Your changes are saved."),
}


@get(AUDIENCE_URL)
async def audience_page(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    search = request.query_params.get("q", "")[:100]
    tag = request.query_params.get("tag", "")[:30]
    contacts, total = await audience.list_contacts(tenant, search=search, tag=tag)
    imported = request.query_params.get("imported", "")
    context = {
        "section": "audience",
        "contacts": contacts,
        "total": total,
        "search": search,
        "tag": tag,
        "tags": await audience.all_tags(tenant),
        "labels": SOURCE_LABELS,
        "imported": int(imported) if imported.isdigit() and len(imported) < 6 else None,
        "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
    }
    return renderer.render(request, "builder/audience/list.html", context, headers=NO_STORE)


@get(f"{AUDIENCE_URL}/export.csv")
async def export_contacts(tenant: TenantDep) -> Response[Any]:
    # A byte-order mark, so that spreadsheet programs read the Amharic names as UTF-8.
    body = "\ufeff" + await audience.export_csv(tenant)
    return Response(
        body.encode(),
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": 'attachment; filename="contacts.csv"'},
    )


async def _import_page(
    request: Req,
    renderer: Any,
    *,
    errors: dict[str, str] | None = None,
    preview: inputs.ImportPreview | None = None,
    text: str = "",
    status_code: int = 200,
) -> Response[Any]:
    context = {"section": "audience", "errors": errors or {}, "preview": preview, "text": text}
    return renderer.render(
        request, "builder/audience/import.html", context, status_code=status_code, headers=NO_STORE
    )


@get(f"{AUDIENCE_URL}/import")
async def import_page(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    return await _import_page(request, renderer)


async def _posted_csv(request: Req) -> str:
    """The uploaded file's text, or the pasted text when no file was chosen."""
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(inputs.IMPORT_MAX_BYTES + 1)
        if len(data) > inputs.IMPORT_MAX_BYTES:
            raise InvalidInput({"file": N_("The file is too large. Import at most 1 MB at a time.")})
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput({"file": N_("Save the file as CSV in UTF-8 and try again.")}) from None
    pasted = form.get("csv", "")
    return pasted if isinstance(pasted, str) else ""


@post(f"{AUDIENCE_URL}/import")
async def preview_import(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    """Check every row and show what would be imported; nothing is saved yet."""
    try:
        text = await _posted_csv(request)
        preview = inputs.parse_import(text)
    except InvalidInput as exc:
        return await _import_page(request, renderer, errors=exc.errors, status_code=422)
    return await _import_page(request, renderer, preview=preview, text=text)


@post(f"{AUDIENCE_URL}/import/confirm")
async def confirm_import(request: Req, tenant: TenantDep, renderer: RendererDep) -> Response[Any]:
    form = await web.form_fields(request, "csv")
    try:
        preview = inputs.parse_import(form["csv"])
    except InvalidInput as exc:
        return await _import_page(request, renderer, errors=exc.errors, status_code=422)
    count = await audience.import_contacts(tenant, preview.good)
    return Redirect(path=f"{AUDIENCE_URL}?imported={count}", status_code=303)


async def _contact_page(
    request: Req,
    tenant: Any,
    renderer: Any,
    contact_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    contact = await audience.get_contact(tenant, contact_id)
    context = {
        "section": "audience",
        "contact": contact,
        "labels": SOURCE_LABELS,
        "form": form or {"tags": ", ".join(contact.tags), "notes": contact.notes},
        "errors": errors or {},
        "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
    }
    return renderer.render(
        request, "builder/audience/contact.html", context, status_code=status_code, headers=NO_STORE
    )


@get(f"{AUDIENCE_URL}/{{contact_id:uuid}}")
async def contact_page(
    request: Req, contact_id: FromPath[uuid.UUID], tenant: TenantDep, renderer: RendererDep
) -> Response[Any]:
    return await _contact_page(request, tenant, renderer, contact_id)


@post(f"{AUDIENCE_URL}/{{contact_id:uuid}}")
async def edit_contact(
    request: Req, contact_id: FromPath[uuid.UUID], tenant: TenantDep, renderer: RendererDep
) -> Response[Any]:
    form = await web.form_fields(request, "tags", "notes")
    try:
        await audience.edit_contact(tenant, contact_id, inputs.contact_form(form))
    except InvalidInput as exc:
        await audience.get_contact(tenant, contact_id)  # another creator's contact stays a 404
        return await _contact_page(
            request, tenant, renderer, contact_id, form=form, errors=exc.errors, status_code=422
        )
    return Redirect(path=f"{AUDIENCE_URL}/{contact_id}?done=saved", status_code=303)


@post(f"{AUDIENCE_URL}/{{contact_id:uuid}}/delete")
async def delete_contact(request: Req, contact_id: FromPath[uuid.UUID], tenant: TenantDep) -> Response[Any]:
    await audience.delete_contact(tenant, contact_id)
    return Redirect(path=f"{AUDIENCE_URL}?done=deleted", status_code=303)


router = Router(
    path="/",
    route_handlers=[
        audience_page,
        export_contacts,
        import_page,
        preview_import,
        confirm_import,
        contact_page,
        edit_contact,
        delete_contact,
    ],
    include_in_schema=False,
)

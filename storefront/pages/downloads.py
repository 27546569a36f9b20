"""A buyer's download, /download/<token>: the signed link names the creator, the grant and the file.

The link is read before anything else (an altered one is a 404, an expired one a 410 saying so); the download is
counted against the grant's limit by one conditional update, then the file is sent as an attachment, or the
buyer is sent to a short-lived presigned URL when the storage offers one (S3).
"""

from __future__ import annotations

from typing import Any

from litestar import Response, Router, get
from litestar.params import FromPath
from litestar.response import Redirect

from windsurf.core.disposition import attachment
from windsurf.delivery import service as delivery
from windsurf.dependencies import SettingsDep, StorageDep, UowDep

NO_STORE = {"Cache-Control": "private, no-store"}


@get("/download/{token:str}")
async def download(
    token: FromPath[str], uow: UowDep, settings: SettingsDep, storage: StorageDep
) -> Response[Any]:
    claims = delivery.read_download_token(settings.secret_key, token[:200])
    tenant = await uow.act_for(claims.creator_id)
    file = await delivery.use_download(tenant, claims.grant_id, claims.file_id)
    presigned = await storage.presigned_url(file.storage_key, filename=file.filename)
    if presigned:
        return Redirect(path=presigned, status_code=303, headers=NO_STORE)
    data = await storage.get(file.storage_key)
    return Response(
        data,
        media_type=file.content_type or "application/octet-stream",
        headers={
            **NO_STORE,
            "Content-Disposition": attachment(file.filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


router = Router(path="/", route_handlers=[download], include_in_schema=False)

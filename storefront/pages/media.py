"""Public images (product covers, store avatars) at /media/<key>, for the local folder and as a CDN origin.

Only keys under the public prefix are served; product files live under private keys and are a 404 here,
as is any key that is not a well-formed storage key (path traversal included). Keys are content-hashed,
so a response may be cached for a year without revalidation. No cookies: the route skips the CSRF middleware.
Images carry only the headers that mean something for an image (see windsurf.core.http.DOCUMENT_ONLY).
"""

from __future__ import annotations

from litestar import Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from windsurf.core.storage import StorageError, check_key, is_public_key
from windsurf.dependencies import StorageDep

IMAGE_TYPES = {"webp": "image/webp", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
IMMUTABLE = "public, max-age=31536000, immutable"


# WebP, PNG and JPEG are compressed already: gzip would only add a header and CPU.
@get("/media/{key:path}", opt={"exclude_from_csrf": True, "skip_compression": True})
async def media(key: FromPath[str], storage: StorageDep) -> Response[bytes]:
    key = key.lstrip("/")
    extension = key.rsplit(".", 1)[-1].lower() if "." in key else ""
    try:
        check_key(key)
        if not is_public_key(key) or extension not in IMAGE_TYPES:
            raise NotFoundException()
        data = await storage.get(key)
    except StorageError:
        raise NotFoundException() from None
    return Response(data, media_type=IMAGE_TYPES[extension], headers={"Cache-Control": IMMUTABLE})


router = Router(path="/", route_handlers=[media], include_in_schema=False)

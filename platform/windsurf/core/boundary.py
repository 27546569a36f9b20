"""Where request bodies become Python values: text cleaned once, for every handler, forms and JSON alike.

PostgreSQL refuses a NUL character in text, and nothing a person types needs one; rather than each field's
validator remembering that, NUL is removed here from every text value of a form (urlencoded or multipart) and
of a JSON body. A JSON body that is not UTF-8, does not parse, or nests deeper than ``MAX_JSON_DEPTH`` is a 400
problem document in the caller's language, not a 500 from the decoder.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import FormMultiDict, UploadFile
from litestar.exceptions import SerializationException
from litestar.plugins.htmx import HTMXRequest
from litestar.serialization import decode_json

from windsurf.core.errors import ServiceError
from windsurf.core.i18n import N_

# Our API's documents nest three or four levels; a hundred is generous and far below the decoder's own limit.
MAX_JSON_DEPTH = 64
_NOT_JSON = N_("The request body is not valid JSON text in UTF-8.")
_TOO_DEEP = N_("The request body nests too deeply.")


def clean_text(value: str) -> str:
    return value.replace("\x00", "") if "\x00" in value else value


def clean_json(value: Any, depth: int = 0) -> Any:
    """``value`` with NUL removed from every string (keys too); ServiceError beyond MAX_JSON_DEPTH."""
    if depth > MAX_JSON_DEPTH:
        raise ServiceError(_TOO_DEEP)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_json(item, depth + 1) for key, item in value.items()}
    return value


class CleanRequest(HTMXRequest):
    """The request class of the whole application (an HTMXRequest, so ``request.htmx`` keeps working)."""

    _windsurf_clean_json: Any = None

    async def json(self) -> Any:
        if self._windsurf_clean_json is None:
            body = await self.body()
            try:
                decoded = decode_json(
                    body or b"null", type_decoders=self.route_handler.resolve_type_decoders()
                )
            except (SerializationException, UnicodeDecodeError):
                raise ServiceError(_NOT_JSON) from None
            except RecursionError:
                raise ServiceError(_TOO_DEEP) from None
            self._windsurf_clean_json = (clean_json(decoded),)
        return self._windsurf_clean_json[0]

    async def form(self) -> FormMultiDict:
        form = await super().form()
        if not any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
            return form
        cleaned: list[tuple[str, str | UploadFile]] = [
            (key, clean_text(value) if isinstance(value, str) else value) for key, value in form.multi_items()
        ]
        self._form = FormMultiDict(cleaned)
        return self._form

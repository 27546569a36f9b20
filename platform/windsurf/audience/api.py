"""The SMS gateway's inbound webhook: ``POST /webhooks/sms/inbound?secret=...`` with a reply's ``from`` and
``message`` (JSON or a form, as the gateway forwards it).

A reply of STOP (or UNSUBSCRIBE, CANCEL, END, QUIT, STOPALL, ``አቁም``) silences that phone at once and for
good, for every creator: they all send through the platform's one sender. The secret (``WINDSURF_SMS_INBOUND_
SECRET``) is compared in constant time; the endpoint does not exist while it is unset. Other replies are
acknowledged and ignored, so the gateway stops resending.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from litestar import Request, Router, post
from litestar.exceptions import NotAuthorizedException

from windsurf.audience import service
from windsurf.core import security
from windsurf.core.errors import InvalidInput, NotFoundError
from windsurf.core.i18n import N_
from windsurf.dependencies import SettingsDep, UowDep
from windsurf.identity import validation
from windsurf.identity.validation import FieldError

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "አቁም"}


async def _fields(request: Request[Any, Any, Any]) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            given = json.loads(await request.body())
        except ValueError:
            raise InvalidInput({"body": N_("Some fields are missing or not valid.")}) from None
        if not isinstance(given, dict):
            raise InvalidInput({"body": N_("Some fields are missing or not valid.")})
    else:
        given = dict(await request.form())
    return {name: str(given.get(name, ""))[:1000] for name in ("from", "message")}


def is_stop(message: str) -> bool:
    words = unicodedata.normalize("NFC", message).strip().split()
    return bool(words) and words[0].strip(".!").upper() in STOP_WORDS


@post("/webhooks/sms/inbound", status_code=200, opt={"exclude_from_csrf": True})
async def inbound_sms(request: Request[Any, Any, Any], uow: UowDep, settings: SettingsDep) -> dict[str, str]:
    if not settings.sms_inbound_secret:
        raise NotFoundError()
    given = request.query_params.get("secret", "")
    if not security.digests_match(given, settings.sms_inbound_secret):
        raise NotAuthorizedException()
    fields = await _fields(request)
    if not is_stop(fields["message"]):
        return {"status": "ignored"}
    try:
        phone = validation.clean_phone(fields["from"])
    except FieldError as exc:
        raise InvalidInput({"from": exc.message}) from None
    await service.stop_sms(uow, phone)
    return {"status": "unsubscribed"}


router = Router(path="/", route_handlers=[inbound_sms], include_in_schema=False)

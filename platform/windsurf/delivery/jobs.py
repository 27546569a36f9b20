"""Delivery's background jobs: the buyer's links by email and SMS, library links, and stamping PDFs with who
bought them.

Both are idempotent. Sending reads the contact at send time (the outbox row carries ids only); stamping skips a
file already stamped, and a PDF it cannot stamp keeps being delivered as it is.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from windsurf.checkout import service as checkout
from windsurf.core import i18n, offload, storage
from windsurf.core.errors import NotFoundError
from windsurf.core.jobs import JobContext, job
from windsurf.core.messaging import Email, Sms
from windsurf.core.uow import Tenant, tenant_for, unit_of_work
from windsurf.delivery import service, stamping
from windsurf.stores import service as stores

_log = logging.getLogger("windsurf.delivery")


def download_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/download/{token}"


@dataclass(frozen=True)
class Receipt:
    """What the buyer's message says about the payment: the amount, when, in the store's calendar, and by whom."""

    amount_santim: int
    currency: str
    paid_at: dt.datetime
    ethiopian: bool
    store_name: str

    def line(self, gettext: Callable[[str], str], locale: str) -> str:
        return gettext("Paid %(amount)s on %(date)s.") % {
            "amount": i18n.format_money(self.amount_santim, locale, self.currency),
            "date": i18n.format_date(self.paid_at, locale, ethiopian=self.ethiopian),
        }


async def receipt(tenant: Tenant, order_id: uuid.UUID) -> Receipt | None:
    """The payment behind a grant; None for a grant with no order of its own (a lead magnet's, say)."""
    try:
        order = await checkout.get_order(tenant, order_id)
    except NotFoundError:
        return None
    try:
        state = await stores.get_store(tenant)
        doc = state.published or state.draft
        ethiopian, name = doc.ethiopian_calendar, doc.name
    except NotFoundError:  # the creator's account is gone: Gregorian dates, no store name
        ethiopian, name = False, ""
    return Receipt(order.amount_santim, order.currency, order.paid_at or order.created_at, ethiopian, name)


@job(service.SEND_JOB)
async def send_links(context: JobContext, payload: dict[str, Any]) -> None:
    creator_id, grant_id = uuid.UUID(payload["creator_id"]), uuid.UUID(payload["grant_id"])
    async with tenant_for(creator_id) as tenant:
        grant = await service.get_grant(tenant, grant_id)
        to = await service.recipient(tenant, grant_id)
        paid = await receipt(tenant, grant.order_id)
    secret, base = context.settings.secret_key, context.settings.public_url
    links = [
        (
            file.filename,
            download_url(base, service.download_token(secret, creator_id, grant_id, file.file_id)),
        )
        for file in grant.files
    ]
    _ = context.translations(to.locale).gettext
    variables = {
        "product": grant.product_title,
        "store": grant.store_name or (paid.store_name if paid else ""),
        "number": grant.order_number,
    }
    paid_line = paid.line(_, to.locale) if paid else ""
    listing = "\n".join(f"{name}: {url}" for name, url in links)
    library = f"{base.rstrip('/')}/library"
    if to.email:
        subject = _("Your purchase: %(product)s") % variables
        body = (
            _("Thank you for buying %(product)s from %(store)s. Your order number is %(number)s.") % variables
            + ("\n" + paid_line if paid_line else "")
            + "\n\n"
            + _("Download your files (each link works for 7 days):")
            + "\n"
            + listing
            + "\n\n"
            + _("You can download them again at any time from your library: %(url)s") % {"url": library}
        )
        await context.email.send_email(Email(to=to.email, subject=subject, body=body))
    if to.phone:
        first = links[0][1] if links else library
        body = _("%(product)s (order %(number)s): download at %(url)s") % {**variables, "url": first} + (
            " " + paid_line if paid_line else ""
        )
        await context.sms.send_sms(Sms(to=to.phone, body=body))


@job(service.STAMP_JOB)
async def stamp_file(context: JobContext, payload: dict[str, Any]) -> None:
    creator_id = uuid.UUID(payload["creator_id"])
    grant_id, file_id = uuid.UUID(payload["grant_id"]), uuid.UUID(payload["file_id"])
    async with tenant_for(creator_id) as tenant:
        target = await service.stamp_target(tenant, grant_id, file_id)
    if target is None:
        return
    original_key, line = target
    files = storage.build_storage(context.settings)
    original = await files.get(original_key)
    try:
        stamped = await offload.cpu(stamping.stamp, original, line)  # bounded with the other CPU work
    except stamping.StampError as exc:
        # The buyer keeps getting the original; retrying cannot make a damaged or encrypted PDF stampable.
        _log.warning("pdf not stamped", extra={"grant_id": str(grant_id), "reason": str(exc)})
        return
    key = service.stamped_key(creator_id, grant_id, file_id)
    await files.put(key, stamped, service.PDF)
    async with tenant_for(creator_id) as tenant:
        await service.record_stamp(tenant, grant_id, file_id, key)


@job(service.LIBRARY_JOB)
async def send_library_link(context: JobContext, payload: dict[str, Any]) -> None:
    """A one-time library link, sent only when the buyer has bought something (the page never says which).

    The payload names the buyer by their keyed digest only; the contact is read from their purchases here.
    """
    secret, base = context.settings.secret_key, context.settings.public_url
    locale = payload.get("locale", "am")
    # Jobs queued before payloads carried the key name the contact itself; they are still honoured.
    key = payload["buyer_key"] if "buyer_key" in payload else service.buyer_key(secret, payload["contact"])
    async with unit_of_work() as uow:
        contact = await service.library_contact(await uow.act_for_buyer(key), secret)
        if contact is None:
            return
        token = await service.new_library_link(uow, secret, key)
    url = f"{base.rstrip('/')}/library/open/{token}"
    _ = context.translations(locale if locale in ("am", "en") else "am").gettext
    if "@" in contact:
        body = (
            _("Open your library to download everything you bought (the link works once, for one hour):")
            + "\n"
            + url
        )
        await context.email.send_email(Email(to=contact, subject=_("Your library"), body=body))
    else:
        await context.sms.send_sms(
            Sms(to=contact, body=_("Your library (one hour, once): %(url)s") % {"url": url})
        )

"""Broadcasts: compose, estimate, start, and the sending loop the outbox runs.

Starting a broadcast writes one ``Delivery`` per consenting contact (``(broadcast_id, contact_id)`` is unique,
so a contact is queued at most once) and enqueues the send job, all in the creator's unit of work. The job sends
one delivery at a time, each in a unit of work of its own that commits at once:

1. claim: ``queued`` (or a ``sending`` claim whose lease ran out) -> ``sending``, raising ``attempts``;
2. check consent and suppressions again (an unsubscribe between start and send is honoured: ``skipped_unsubscribed``);
3. send, with a ``Message-ID`` fixed per delivery;
4. record ``sent``, or ``failed`` with the reason, or back to ``queued`` on a transient error (the job is retried
   with backoff).

A worker killed anywhere leaves each delivery either recorded or claimed; a claim is taken again after its lease,
so nothing is lost, and a delivery recorded ``sent`` is never claimed again. The one window left is a kill after
the server accepted a message and before ``sent`` committed: that delivery is sent again under the same
``Message-ID``, which mail systems use to recognise the repeat.

Throttling is per channel (``broadcast_<channel>_per_second``); SMS waits out quiet hours (21:00-08:00 in Addis
Ababa); each creator has a daily limit per channel, after which the job resumes the next day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import smtplib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Literal

from windsurf.audience import contacts
from windsurf.audience.inputs import BroadcastChannel, BroadcastDraft, Channel
from windsurf.audience.links import unsubscribe_token, unsubscribe_url
from windsurf.audience.segments import SegmentCount, count_segments
from windsurf.audience.tables import AudienceSettings, Broadcast, Contact, Delivery
from windsurf.audience.telegram import TelegramBot, TelegramError
from windsurf.catalog.validation import render_markdown
from windsurf.core import jobs
from windsurf.core.errors import NotFoundError, ServiceError
from windsurf.core.i18n import ADDIS_ABABA, N_
from windsurf.core.messaging import Email, EmailBackend, Sms, SmsBackend
from windsurf.core.uow import Tenant, UnitOfWork
from windsurf.settings import Settings

SEND_JOB = jobs.declare("audience.send_broadcast")
TEST_SEND_JOB = jobs.declare("audience.test_send")
MAX_DELIVERY_ATTEMPTS = 5
JOB_SECONDS = 20.0  # one job's share of sending; then a continuation job takes over
QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(8, 0)

DeliveryState = Literal["queued", "sending", "sent", "failed", "skipped_unsubscribed"]
DELIVERY_STATES: tuple[DeliveryState, ...] = ("queued", "sending", "sent", "failed", "skipped_unsubscribed")


@dataclass(frozen=True)
class BroadcastView:
    id: uuid.UUID
    channel: BroadcastChannel
    subject: str
    body_md: str
    tag: str
    status: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str = ""

    @property
    def body_html(self) -> str:
        """The email body as buyers' mail programs would show it: Markdown, sanitised."""
        return render_markdown(self.body_md)

    @property
    def segments(self) -> SegmentCount:
        return count_segments(self.body_md)


@dataclass(frozen=True)
class Estimate:
    recipients: int
    segments_each: int  # SMS only; 0 for email
    total_segments: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _view(row: dict[str, Any]) -> BroadcastView:
    return BroadcastView(
        id=row["id"],
        channel=row["channel"],
        subject=row["subject"],
        body_md=row["body_md"],
        tag=row["tag"],
        status=row["status"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        error=row["error"],
    )


# --- composing ----------------------------------------------------------------------------------------------


async def create_broadcast(tenant: Tenant, draft: BroadcastDraft) -> BroadcastView:
    broadcast_id = uuid.uuid4()
    async with tenant.scope():
        await Broadcast.insert(
            Broadcast(
                id=broadcast_id,
                creator_id=tenant.creator_id,
                channel=draft.channel,
                subject=draft.subject,
                body_md=draft.body_md,
                tag=draft.tag,
                status="draft",
            )
        )
    return await get_broadcast(tenant, broadcast_id)


async def get_broadcast(tenant: Tenant, broadcast_id: uuid.UUID) -> BroadcastView:
    async with tenant.scope():
        row = (
            await Broadcast.select()
            .where((Broadcast.creator_id == tenant.creator_id) & (Broadcast.id == broadcast_id))
            .first()
        )
    if row is None:
        raise NotFoundError()
    return _view(row)


async def list_broadcasts(tenant: Tenant, limit: int = 50) -> list[BroadcastView]:
    async with tenant.scope():
        rows = (
            await Broadcast.select()
            .where(Broadcast.creator_id == tenant.creator_id)
            .order_by(Broadcast.created_at, ascending=False)
            .limit(limit)
        )
    return [_view(row) for row in rows]


def _audience_query(tenant: Tenant, channel: Channel, tag: str) -> Any:
    consent = Contact.email_consent if channel == "email" else Contact.sms_consent
    address = Contact.email if channel == "email" else Contact.phone
    query = (Contact.creator_id == tenant.creator_id) & (consent == True) & address.is_not_null()  # noqa: E712
    if tag:
        query = query & Contact.tags.like(f"%,{tag.replace('%', '').replace('_', '')},%")
    return query


async def estimate(tenant: Tenant, broadcast: BroadcastView) -> Estimate:
    """Recipients (contacts who consented on the channel and carry the tag) and SMS segments before sending.
    A Telegram post has no recipients of ours: it goes to the channel, whose subscribers Telegram keeps."""
    if broadcast.channel == "telegram":
        return Estimate(0, 0, 0)
    async with tenant.scope():
        recipients = int(
            await Contact.count().where(_audience_query(tenant, broadcast.channel, broadcast.tag))
        )
    each = broadcast.segments.segments if broadcast.channel == "sms" else 0
    return Estimate(recipients, each, each * recipients)


async def start_broadcast(tenant: Tenant, broadcast_id: uuid.UUID) -> int:
    """Queue a delivery for every recipient and the job that sends them; returns how many were queued.

    Only a draft starts (a second click, or two at once, queue nothing more: the status update is conditional).
    """
    broadcast = await get_broadcast(tenant, broadcast_id)
    if broadcast.channel == "telegram" and not await telegram_channel(tenant):
        raise ServiceError(
            N_("Save your Telegram channel first, and make our bot an admin of it."),
            code="no_telegram_channel",
            field="_form",
        )
    async with tenant.scope():
        started = (
            await Broadcast.update({Broadcast.status: "sending", Broadcast.started_at: _now()})
            .where(
                (Broadcast.creator_id == tenant.creator_id)
                & (Broadcast.id == broadcast_id)
                & (Broadcast.status == "draft")
            )
            .returning(Broadcast.id)
        )
        if not started:
            raise ServiceError(N_("This broadcast was already sent."), code="already_sent", field="_form")
    if broadcast.channel == "telegram":
        await jobs.enqueue(tenant.uow, SEND_JOB, _job_payload(tenant.creator_id, broadcast_id))
        return 0
    channel: Channel = broadcast.channel
    async with tenant.scope():
        address = Contact.email if channel == "email" else Contact.phone
        rows = await Contact.select(Contact.id, address.as_alias("address")).where(
            _audience_query(tenant, channel, broadcast.tag)
        )
        deliveries = [
            Delivery(
                id=uuid.uuid4(),
                creator_id=tenant.creator_id,
                broadcast_id=broadcast_id,
                contact_id=row["id"],
                channel=channel,
                address=row["address"],
                state="queued",
            )
            for row in rows
        ]
        for start in range(0, len(deliveries), 500):
            await Delivery.insert(*deliveries[start : start + 500]).on_conflict(action="DO NOTHING")
    await jobs.enqueue(tenant.uow, SEND_JOB, _job_payload(tenant.creator_id, broadcast_id))
    return len(deliveries)


async def delivery_counts(tenant: Tenant, broadcast_id: uuid.UUID) -> dict[str, int]:
    async with tenant.scope():
        rows = await Delivery.select(Delivery.state).where(
            (Delivery.creator_id == tenant.creator_id) & (Delivery.broadcast_id == broadcast_id)
        )
    counts: dict[str, int] = dict.fromkeys(DELIVERY_STATES, 0)
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    return counts


async def failed_deliveries(tenant: Tenant, broadcast_id: uuid.UUID, limit: int = 50) -> list[dict[str, Any]]:
    async with tenant.scope():
        return await (
            Delivery.select(Delivery.address, Delivery.reason)
            .where(
                (Delivery.creator_id == tenant.creator_id)
                & (Delivery.broadcast_id == broadcast_id)
                & (Delivery.state == "failed")
            )
            .limit(limit)
        )


async def request_test_send(tenant: Tenant, broadcast_id: uuid.UUID, address: str | None) -> None:
    """Send the broadcast to the creator's own address (their account's email or phone) through the outbox."""
    broadcast = await get_broadcast(tenant, broadcast_id)
    if broadcast.channel == "telegram":
        raise ServiceError(
            N_("A Telegram post goes to your whole channel: there is no test send."),
            field="_form",
            code="no_test",
        )
    if not address:
        message = (
            N_("Add an email address to your account to send yourself a test.")
            if broadcast.channel == "email"
            else N_("Add a phone number to your account to send yourself a test.")
        )
        raise ServiceError(message, field="_form", code="no_address")
    payload = {**_job_payload(tenant.creator_id, broadcast_id), "to": address}
    await jobs.enqueue(tenant.uow, TEST_SEND_JOB, payload)


def _job_payload(creator_id: uuid.UUID, broadcast_id: uuid.UUID) -> dict[str, str]:
    return {"creator_id": str(creator_id), "broadcast_id": str(broadcast_id)}


# --- the creator's Telegram channel -------------------------------------------------------------------------


async def telegram_channel(tenant: Tenant) -> str:
    async with tenant.scope():
        row = (
            await AudienceSettings.select(AudienceSettings.telegram_channel)
            .where(AudienceSettings.creator_id == tenant.creator_id)
            .first()
        )
    return str(row["telegram_channel"]) if row else ""


async def save_telegram_channel(tenant: Tenant, channel: str) -> None:
    """Save the channel (``@name``, cleaned by ``inputs.clean_telegram_channel``); "" removes it."""
    async with tenant.scope():
        await AudienceSettings.insert(
            AudienceSettings(
                id=uuid.uuid4(), creator_id=tenant.creator_id, telegram_channel=channel, updated_at=_now()
            )
        ).on_conflict(
            target=AudienceSettings.creator_id,
            action="DO UPDATE",
            values=[AudienceSettings.telegram_channel, AudienceSettings.updated_at],
        )


# --- messages -----------------------------------------------------------------------------------------------


def _mail_domain(settings: Settings) -> str:
    return parseaddr(settings.email_from)[1].rpartition("@")[2] or "windsurf.et"


def email_for(
    settings: Settings,
    broadcast: BroadcastView,
    to: str,
    *,
    creator_id: uuid.UUID,
    contact_id: uuid.UUID | None,
    message_id: str,
) -> Email:
    """The email one contact receives: the Markdown as text, the one-click unsubscribe link and headers."""
    headers = {"Message-ID": message_id}
    body = broadcast.body_md
    if contact_id is not None:
        url = unsubscribe_url(
            settings.public_url, unsubscribe_token(settings.secret_key, creator_id, contact_id, "email")
        )
        headers.update(
            {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        )
        body = f"{body}\n\n--\n{url}"
    return Email(to=to, subject=broadcast.subject, body=body, headers=headers)


def is_transient(exc: Exception) -> bool:
    """Worth trying again later: the connection, a 4xx SMTP reply, a gateway that did not answer. A 5xx SMTP
    reply (the address or the message is refused) is final."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return True


# --- quiet hours and limits ---------------------------------------------------------------------------------


def quiet_until(now: dt.datetime) -> dt.datetime | None:
    """When SMS may go out again, if ``now`` is in Addis Ababa's quiet hours (21:00-08:00); else None."""
    local = now.astimezone(ADDIS_ABABA)
    if QUIET_END <= local.time() < QUIET_START:
        return None
    day = local.date() if local.time() < QUIET_END else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, QUIET_END, tzinfo=ADDIS_ABABA).astimezone(dt.UTC)


def _day_start(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(ADDIS_ABABA)
    return dt.datetime.combine(local.date(), dt.time(0, 0), tzinfo=ADDIS_ABABA).astimezone(dt.UTC)


def daily_limit(settings: Settings, channel: Channel) -> int:
    return settings.broadcast_daily_email_limit if channel == "email" else settings.broadcast_daily_sms_limit


async def _sent_today(tenant: Tenant, channel: Channel, now: dt.datetime) -> int:
    async with tenant.scope():
        return int(
            await Delivery.count().where(
                (Delivery.creator_id == tenant.creator_id)
                & (Delivery.channel == channel)
                & (Delivery.state == "sent")
                & (Delivery.sent_at >= _day_start(now))
            )
        )


# --- the sending loop ---------------------------------------------------------------------------------------


@asynccontextmanager
async def _committed(creator_id: uuid.UUID) -> AsyncIterator[Tenant]:
    """A unit of work of its own, committed when the block ends: each delivery's state is durable at once,
    whatever happens to the job around it."""
    uow = UnitOfWork()
    try:
        yield await uow.act_for(creator_id)
    except BaseException:
        await uow.rollback()
        raise
    await uow.commit()


async def _claim(creator_id: uuid.UUID, broadcast_id: uuid.UUID) -> dict[str, Any] | None:
    async with _committed(creator_id) as tenant, tenant.scope():
        for _ in range(10):
            now = _now()
            claimable = (
                (Delivery.creator_id == creator_id)
                & (Delivery.broadcast_id == broadcast_id)
                & (
                    (Delivery.state == "queued")
                    | ((Delivery.state == "sending") & (Delivery.claimed_until < now))
                )
            )
            candidate = await Delivery.select().where(claimable).order_by(Delivery.id).limit(1).first()
            if candidate is None:
                return None
            taken = (
                await Delivery.update(
                    {
                        Delivery.state: "sending",
                        Delivery.claimed_until: now + jobs.LEASE,
                        Delivery.attempts: candidate["attempts"] + 1,
                    }
                )
                .where(
                    claimable
                    & (Delivery.id == candidate["id"])
                    & (Delivery.attempts == candidate["attempts"])
                )
                .returning(*Delivery.all_columns())
            )
            if taken:
                return dict(taken[0])
    return None


async def _record(
    creator_id: uuid.UUID, claim: dict[str, Any], state: DeliveryState, reason: str = ""
) -> None:
    values: dict[Any, Any] = {
        Delivery.state: state,
        Delivery.reason: reason[:300],
        Delivery.claimed_until: None,
    }
    if state == "sent":
        values[Delivery.sent_at] = _now()
    async with _committed(creator_id) as tenant, tenant.scope():
        # Fenced by the claim's attempt: a worker whose lease ran out records nothing over a newer claim.
        await Delivery.update(values).where(
            (Delivery.creator_id == creator_id)
            & (Delivery.id == claim["id"])
            & (Delivery.state == "sending")
            & (Delivery.attempts == claim["attempts"])
        )


async def _finish_if_done(creator_id: uuid.UUID, broadcast_id: uuid.UUID) -> bool:
    async with _committed(creator_id) as tenant, tenant.scope():
        left = await Delivery.exists().where(
            (Delivery.creator_id == creator_id)
            & (Delivery.broadcast_id == broadcast_id)
            & Delivery.state.is_in(["queued", "sending"])
        )
        if left:
            return False
        await Broadcast.update({Broadcast.status: "sent", Broadcast.finished_at: _now()}).where(
            (Broadcast.creator_id == creator_id)
            & (Broadcast.id == broadcast_id)
            & (Broadcast.status == "sending")
        )
    return True


async def _resume_later(creator_id: uuid.UUID, broadcast_id: uuid.UUID, at: dt.datetime) -> None:
    async with _committed(creator_id) as tenant:
        await jobs.enqueue(
            tenant.uow,
            SEND_JOB,
            _job_payload(creator_id, broadcast_id),
            delay=max(at - _now(), dt.timedelta()),
        )


@dataclass(frozen=True)
class Senders:
    settings: Settings
    email: EmailBackend
    sms: SmsBackend
    telegram: TelegramBot | None = None


async def _post_to_telegram(senders: Senders, creator_id: uuid.UUID, broadcast: BroadcastView) -> None:
    """One post to the creator's channel; a refusal is recorded on the broadcast, a busy Telegram retried."""
    async with _committed(creator_id) as tenant:
        chat = await telegram_channel(tenant)
    bot = senders.telegram or TelegramBot(
        senders.settings.telegram_api_url, senders.settings.telegram_bot_token
    )
    status, error = "sent", ""
    try:
        await bot.send_message(chat, broadcast.body_md)
    except TelegramError as exc:
        if exc.transient and exc.retry_after:
            await _resume_later(creator_id, broadcast.id, _now() + dt.timedelta(seconds=exc.retry_after))
            return
        if exc.transient:
            raise  # the outbox retries after its backoff
        status, error = "failed", exc.description
    async with _committed(creator_id) as tenant, tenant.scope():
        await Broadcast.update(
            {Broadcast.status: status, Broadcast.error: error, Broadcast.finished_at: _now()}
        ).where(
            (Broadcast.creator_id == creator_id)
            & (Broadcast.id == broadcast.id)
            & (Broadcast.status == "sending")
        )


async def _deliver(
    senders: Senders, broadcast: BroadcastView, creator_id: uuid.UUID, claim: dict[str, Any]
) -> None:
    message_id = f"<{claim['id']}@{_mail_domain(senders.settings)}>"  # the same for every attempt
    if broadcast.channel == "email":
        await senders.email.send_email(
            email_for(
                senders.settings,
                broadcast,
                claim["address"],
                creator_id=creator_id,
                contact_id=claim["contact_id"],
                message_id=message_id,
            )
        )
    else:
        await senders.sms.send_sms(Sms(to=claim["address"], body=broadcast.body_md))


async def send_some(senders: Senders, creator_id: uuid.UUID, broadcast_id: uuid.UUID) -> None:
    """The send job: deliver until the broadcast is done, the job's share of time is used, a limit or quiet
    hours hold it (then a later job resumes), or a transient error (then the outbox retries this job)."""
    async with _committed(creator_id) as tenant:
        broadcast = await get_broadcast(tenant, broadcast_id)
    if broadcast.status != "sending":
        return
    if broadcast.channel == "telegram":
        await _post_to_telegram(senders, creator_id, broadcast)
        return
    channel: Channel = broadcast.channel
    rate = (
        senders.settings.broadcast_email_per_second
        if channel == "email"
        else senders.settings.broadcast_sms_per_second
    )
    ends = time.monotonic() + JOB_SECONDS
    while True:
        now = _now()
        held = quiet_until(now) if channel == "sms" else None
        if held is None:
            async with _committed(creator_id) as tenant:
                if await _sent_today(tenant, channel, now) >= daily_limit(senders.settings, channel):
                    tomorrow = _day_start(now) + dt.timedelta(days=1)
                    held = quiet_until(tomorrow) if channel == "sms" else tomorrow
                    held = held or tomorrow
        if held is not None:
            await _resume_later(creator_id, broadcast_id, held)
            return
        claim = await _claim(creator_id, broadcast_id)
        if claim is None:
            await _finish_if_done(creator_id, broadcast_id)
            return
        async with _committed(creator_id) as tenant:
            contact = None
            with suppress(NotFoundError):  # deleted on request since the broadcast started
                contact = await contacts.get_contact(tenant, claim["contact_id"])
            allowed = contact is not None and await contacts.may_send(tenant, contact, channel)
        if not allowed:
            await _record(creator_id, claim, "skipped_unsubscribed")
            continue
        try:
            await _deliver(senders, broadcast, creator_id, claim)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            if is_transient(exc) and claim["attempts"] < MAX_DELIVERY_ATTEMPTS:
                await _record(creator_id, claim, "queued", reason)
                raise  # the outbox runs this job again after its backoff
            await _record(creator_id, claim, "failed", reason)
            continue
        await _record(creator_id, claim, "sent")
        if rate > 0:
            await asyncio.sleep(1 / rate)
        if time.monotonic() >= ends:
            await _resume_later(creator_id, broadcast_id, _now())
            return


async def test_send(senders: Senders, creator_id: uuid.UUID, broadcast_id: uuid.UUID, to: str) -> None:
    async with _committed(creator_id) as tenant:
        broadcast = await get_broadcast(tenant, broadcast_id)
    message_id = f"<test-{uuid.uuid4()}@{_mail_domain(senders.settings)}>"
    if broadcast.channel == "email":
        await senders.email.send_email(
            email_for(
                senders.settings, broadcast, to, creator_id=creator_id, contact_id=None, message_id=message_id
            )
        )
    else:
        await senders.sms.send_sms(Sms(to=to, body=broadcast.body_md))

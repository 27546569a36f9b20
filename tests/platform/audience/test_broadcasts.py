"""Broadcasts through the outbox: email over SMTP (aiosmtpd on loopback), SMS through the AfroMessage-shaped
gateway (a loopback fake); unsubscribes honoured by the next send, each contact at most once, transient and
permanent failures, quiet hours and daily limits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from storefront import LOCALES_DIR
from tests.helpers import acting
from tests.platform.audience.smtp_inbox import Inbox, smtp_inbox
from tests.platform.payments.loopback import LoopbackServer, Recorded, Reply
from windsurf.audience import broadcasts
from windsurf.audience import jobs as _audience_jobs  # noqa: F401 - registers the send jobs
from windsurf.audience import service as audience
from windsurf.audience.tables import Delivery
from windsurf.core import i18n, jobs
from windsurf.core.errors import ServiceError
from windsurf.core.messaging import HttpSmsBackend, RecordingBackend, SmtpBackend
from windsurf.core.tables import Job
from windsurf.core.uow import tenant_for
from windsurf.settings import Settings

ADDIS = i18n.ADDIS_ABABA


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as served:
        yield served


def _context(settings: Settings, port: int, sms: Any = None) -> jobs.JobContext:
    fast = dataclasses.replace(settings, broadcast_email_per_second=0, broadcast_sms_per_second=0)
    return jobs.JobContext(
        settings=fast,
        sms=sms or RecordingBackend(),
        email=SmtpBackend("127.0.0.1", port, "Hana's shop <news@windsurf.et>"),
        translations=partial(i18n.translations_for, LOCALES_DIR),
    )


async def _contact(creator: uuid.UUID, email: str | None = None, phone: str | None = None, **kw: Any) -> Any:
    new = audience.NewContact(
        source="manual",
        email=email,
        phone=phone,
        email_consent=bool(email),
        sms_consent=bool(phone),
        consent_how="manual",
        **kw,
    )
    return await acting(creator, audience.add_contact, new)


async def _states(creator: uuid.UUID, broadcast_id: uuid.UUID) -> dict[str, str]:
    async with tenant_for(creator) as tenant, tenant.scope():
        rows = await Delivery.select(Delivery.address, Delivery.state).where(
            Delivery.broadcast_id == broadcast_id
        )
    return {row["address"]: row["state"] for row in rows}


async def _drain(context: jobs.JobContext) -> None:
    for _ in range(20):
        if not await jobs.run_due_jobs(context):
            return


DRAFT = audience.BroadcastDraft("email", "New ebook: Injera at home", "# ሰላም!\n\nRead **the guide**.")


async def test_an_unsubscribe_is_honoured_by_the_next_send(
    settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mailbox, port = inbox
    creator = uuid.uuid4()
    hana = await _contact(creator, "hana@example.com")
    sara = await _contact(creator, "sara@example.com")
    await _contact(creator, phone="+251911000333")  # SMS only: not an email recipient
    await acting(
        creator, audience.add_contact, audience.NewContact(source="purchase", email="buyer@example.com")
    )  # a buyer who never consented
    async with tenant_for(creator) as tenant:
        draft = await broadcasts.create_broadcast(tenant, DRAFT)
        assert await broadcasts.estimate(tenant, draft) == broadcasts.Estimate(2, 0, 0)
        assert await broadcasts.start_broadcast(tenant, draft.id) == 2
    # Sara unsubscribes after the broadcast was queued, before it is sent: honoured at once.
    token = audience.unsubscribe_token(settings.secret_key, creator, sara.id, "email")
    link = audience.read_unsubscribe_token(settings.secret_key, token)
    await acting(creator, audience.unsubscribe, link.contact_id, link.channel, "unsubscribe link")
    await _drain(_context(settings, port))

    assert mailbox.recipients() == ["hana@example.com"]
    assert await _states(creator, draft.id) == {
        "hana@example.com": "sent",
        "sara@example.com": "skipped_unsubscribed",
    }
    message = mailbox.accepted[0]
    assert message["Subject"] == "New ebook: Injera at home" and "ሰላም" in message.get_content()
    unsubscribe = str(message["List-Unsubscribe"])
    assert unsubscribe.startswith(f"<{settings.public_url}/unsubscribe/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        audience.read_unsubscribe_token(settings.secret_key, unsubscribe[1:-1].rsplit("/", 1)[1]).contact_id
        == hana.id
    )
    assert str(message["Message-ID"]).endswith("@windsurf.et>")
    async with tenant_for(creator) as tenant:
        assert (await broadcasts.get_broadcast(tenant, draft.id)).status == "sent"
        with pytest.raises(ServiceError):
            await broadcasts.start_broadcast(tenant, draft.id)  # a second click sends nothing more
        second = await broadcasts.create_broadcast(tenant, DRAFT)
        assert (await broadcasts.estimate(tenant, second)).recipients == 1
        await broadcasts.start_broadcast(tenant, second.id)
    await _drain(_context(settings, port))
    assert mailbox.recipients() == ["hana@example.com", "hana@example.com"]  # once per broadcast, never Sara


async def test_a_tag_narrows_the_recipients_and_a_deleted_contact_is_skipped(
    settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mailbox, port = inbox
    creator = uuid.uuid4()
    await _contact(creator, "a@example.com", tags=("vip",))
    gone = await _contact(creator, "b@example.com", tags=("vip",))
    await _contact(creator, "c@example.com")
    async with tenant_for(creator) as tenant:
        draft = await broadcasts.create_broadcast(tenant, dataclasses.replace(DRAFT, tag="vip"))
        assert await broadcasts.start_broadcast(tenant, draft.id) == 2
    await acting(creator, audience.delete_contact, gone.id)
    await _drain(_context(settings, port))
    assert mailbox.recipients() == ["a@example.com"]
    assert await _states(creator, draft.id) == {"a@example.com": "sent"}  # the deleted one's record went too


async def test_transient_errors_are_retried_and_refusals_recorded(
    settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mailbox, port = inbox
    creator = uuid.uuid4()
    for address in ("ok@example.com", "busy@example.com", "nobody@example.com"):
        await _contact(creator, address)
    busy_once: list[str] = []

    def before_accept(message: Any) -> str | None:
        to = str(message["To"])
        if to == "nobody@example.com":
            return "550 5.1.1 No such user"
        if to == "busy@example.com" and not busy_once:
            busy_once.append(to)
            return "451 4.3.0 Try again later"
        return None

    mailbox.before_accept = before_accept
    async with tenant_for(creator) as tenant:
        draft = await broadcasts.create_broadcast(tenant, DRAFT)
        await broadcasts.start_broadcast(tenant, draft.id)
    context = _context(settings, port)
    await jobs.run_due_jobs(context)  # stops at the transient error; the job waits out its backoff
    states = await _states(creator, draft.id)
    assert states["busy@example.com"] == "queued"
    async with tenant_for(creator) as tenant, tenant.scope():
        await Job.update({Job.run_at: dt.datetime.now(dt.UTC)}).where(Job.status == "pending")
    await _drain(context)
    assert sorted(mailbox.recipients()) == ["busy@example.com", "ok@example.com"]
    states = await _states(creator, draft.id)
    assert states == {"ok@example.com": "sent", "busy@example.com": "sent", "nobody@example.com": "failed"}
    async with tenant_for(creator) as tenant:
        (failed,) = await broadcasts.failed_deliveries(tenant, draft.id)
        counts = await broadcasts.delivery_counts(tenant, draft.id)
    assert "550" in failed["reason"] and "No such user" in failed["reason"]
    assert counts == {"queued": 0, "sending": 0, "sent": 2, "failed": 1, "skipped_unsubscribed": 0}


def test_quiet_hours_hold_sms_overnight_in_addis_ababa() -> None:
    def at(hour: int, minute: int = 0, day: int = 3) -> dt.datetime:
        return dt.datetime(2026, 12, day, hour, minute, tzinfo=ADDIS).astimezone(dt.UTC)

    assert broadcasts.quiet_until(at(8)) is None and broadcasts.quiet_until(at(20, 59)) is None
    assert broadcasts.quiet_until(at(21)) == at(8, day=4)
    assert broadcasts.quiet_until(at(23, 30)) == at(8, day=4)
    assert broadcasts.quiet_until(at(2)) == at(8, day=3)
    assert broadcasts.quiet_until(at(7, 59)) == at(8, day=3)


AFROMESSAGE_TOKEN = "afro-token-123"


async def _afromessage(replies: list[Recorded], request: Recorded) -> Reply:
    """AfroMessage's send endpoint: a bearer token, then {"acknowledge": "success", "response": {...}}."""
    if request.headers.get("authorization") != f"Bearer {AFROMESSAGE_TOKEN}":
        return Reply(401, {"acknowledge": "error", "response": {"errors": ["unauthorized"]}})
    replies.append(request)
    body = request.json()
    if not str(body.get("to", "")).startswith("+2519") and not str(body.get("to", "")).startswith("+2517"):
        return Reply(200, {"acknowledge": "error", "response": {"errors": ["invalid phone"]}})
    return Reply(
        200, {"acknowledge": "success", "response": {"message_id": uuid.uuid4().hex, "to": body["to"]}}
    )


async def test_sms_goes_through_the_gateway_with_its_daily_limit(
    settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    _, port = inbox
    sent: list[Recorded] = []
    creator = uuid.uuid4()
    for phone in ("+251911000401", "+251911000402", "+251722000403"):
        await _contact(creator, phone=phone)
    async with LoopbackServer(partial(_afromessage, sent)) as gateway:
        sms = HttpSmsBackend(f"{gateway.url}/api/send", AFROMESSAGE_TOKEN, "WINDSURF")
        context = _context(settings, port, sms)
        context = dataclasses.replace(
            context, settings=dataclasses.replace(context.settings, broadcast_daily_sms_limit=2)
        )
        async with tenant_for(creator) as tenant:
            draft = await broadcasts.create_broadcast(
                tenant, audience.BroadcastDraft("sms", "", "ሰላም! አዲስ መጽሐፍ ወጥቷል።")
            )
            estimate = await broadcasts.estimate(tenant, draft)
            assert estimate == broadcasts.Estimate(3, 1, 3)
            await broadcasts.start_broadcast(tenant, draft.id)
        now = dt.datetime.now(dt.UTC)
        await _drain(context)
        states = await _states(creator, draft.id)
        quiet = broadcasts.quiet_until(now)
        if quiet is not None:  # run during Addis Ababa's night: everything is held until 08:00
            assert set(states.values()) == {"queued"} and not sent
            return
        # The daily limit holds the third until tomorrow, 08:00 in Addis Ababa.
        assert sorted(states.values()) == ["queued", "sent", "sent"] and len(sent) == 2
        assert sent[0].json()["message"] == "ሰላም! አዲስ መጽሐፍ ወጥቷል።" and sent[0].json()["sender"] == "WINDSURF"
        async with tenant_for(creator) as tenant, tenant.scope():
            pending = await Job.select(Job.run_at, Job.payload).where(
                (Job.status == "pending") & (Job.name == broadcasts.SEND_JOB)
            )
        (resume,) = [job for job in pending if str(draft.id) in str(job["payload"])]
        tomorrow = dt.datetime.combine(
            now.astimezone(ADDIS).date() + dt.timedelta(days=1), dt.time(8), tzinfo=ADDIS
        )
        assert abs(resume["run_at"] - tomorrow.astimezone(dt.UTC)) < dt.timedelta(seconds=5)

"""A broadcast posted to the creator's Telegram channel through the Bot API (a loopback fake of sendMessage):
posted once, a refusal recorded on the broadcast, a 429's retry_after waited out; the channel name is cleaned."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from functools import partial
from typing import Any

import pytest

from storefront import LOCALES_DIR
from tests.platform.payments.loopback import LoopbackServer, Recorded, Reply
from windsurf.audience import inputs
from windsurf.audience import jobs as _audience_jobs  # noqa: F401 - registers the send jobs
from windsurf.audience import service as audience
from windsurf.audience.telegram import TelegramBot
from windsurf.core import i18n, jobs
from windsurf.core.errors import ServiceError
from windsurf.core.messaging import RecordingBackend
from windsurf.core.tables import Job
from windsurf.core.uow import tenant_for
from windsurf.identity.validation import FieldError
from windsurf.settings import Settings

TOKEN = "123456:ABC-test-token"


class FakeBotApi:
    """``POST /bot<token>/sendMessage``: ok for channels the bot administers, 403 otherwise; 429 once if asked."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.busy_once = False

    async def __call__(self, request: Recorded) -> Reply:
        if request.path != f"/bot{TOKEN}/sendMessage":
            return Reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        body = request.json()
        if self.busy_once:
            self.busy_once = False
            return Reply(
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 7",
                    "parameters": {"retry_after": 7},
                },
            )
        if body["chat_id"] != "@hana_books":
            return Reply(
                403,
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot is not a member of the channel chat",
                },
            )
        self.posts.append(body)
        return Reply(
            200, {"ok": True, "result": {"message_id": len(self.posts), "chat": {"username": "hana_books"}}}
        )


def _context(settings: Settings, api_url: str) -> jobs.JobContext:
    live = dataclasses.replace(settings, telegram_api_url=api_url, telegram_bot_token=TOKEN)
    return jobs.JobContext(
        settings=live,
        sms=RecordingBackend(),
        email=RecordingBackend(),
        translations=partial(i18n.translations_for, LOCALES_DIR),
    )


async def _post(creator: uuid.UUID, body: str) -> uuid.UUID:
    async with tenant_for(creator) as tenant:
        draft = await audience.create_broadcast(tenant, audience.BroadcastDraft("telegram", "", body))
        await audience.start_broadcast(tenant, draft.id)
    return draft.id


async def _status(creator: uuid.UUID, broadcast_id: uuid.UUID) -> tuple[str, str]:
    async with tenant_for(creator) as tenant:
        broadcast = await audience.get_broadcast(tenant, broadcast_id)
    return broadcast.status, broadcast.error


async def test_a_broadcast_is_posted_to_the_creators_channel(settings: Settings) -> None:
    fake = FakeBotApi()
    creator = uuid.uuid4()
    async with tenant_for(creator) as tenant:
        draft = await audience.create_broadcast(tenant, audience.BroadcastDraft("telegram", "", "አዲስ መጽሐፍ!"))
        with pytest.raises(ServiceError):  # no channel saved yet
            await audience.start_broadcast(tenant, draft.id)
        assert (await audience.get_broadcast(tenant, draft.id)).status == "draft"
        await audience.save_telegram_channel(tenant, inputs.clean_telegram_channel("https://t.me/hana_books"))
        await audience.save_telegram_channel(tenant, inputs.clean_telegram_channel("@hana_books"))
        assert await audience.telegram_channel(tenant) == "@hana_books"
    async with LoopbackServer(fake) as api:
        context = _context(settings, api.url)
        posted = await _post(creator, "አዲስ መጽሐፍ ወጥቷል! https://example.com/book")
        await jobs.run_due_jobs(context)
        assert await _status(creator, posted) == ("sent", "")
        assert [post["chat_id"] for post in fake.posts] == ["@hana_books"]
        assert fake.posts[0]["text"] == "አዲስ መጽሐፍ ወጥቷል! https://example.com/book"
        await jobs.run_due_jobs(context)
        assert len(fake.posts) == 1  # posted once

        # Telegram says wait: the post is tried again after retry_after, not before.
        fake.busy_once = True
        later = await _post(creator, "Second")
        before = dt.datetime.now(dt.UTC)
        await jobs.run_due_jobs(context)
        assert await _status(creator, later) == ("sending", "") and len(fake.posts) == 1
        async with tenant_for(creator) as tenant, tenant.scope():
            pending = await Job.select(Job.id, Job.run_at, Job.payload).where(
                (Job.status == "pending") & (Job.name == "audience.send_broadcast")
            )
            (resume,) = [job for job in pending if str(later) in str(job["payload"])]
            assert resume["run_at"] >= before + dt.timedelta(seconds=6)
            await Job.update({Job.run_at: dt.datetime.now(dt.UTC)}).where(Job.id == resume["id"])
        await jobs.run_due_jobs(context)
        assert await _status(creator, later) == ("sent", "") and len(fake.posts) == 2


async def test_a_channel_the_bot_cannot_post_to_is_recorded(settings: Settings) -> None:
    creator = uuid.uuid4()
    async with tenant_for(creator) as tenant:
        await audience.save_telegram_channel(tenant, "@someone_else")
    async with LoopbackServer(FakeBotApi()) as api:
        posted = await _post(creator, "Hello")
        await jobs.run_due_jobs(_context(settings, api.url))
    status, error = await _status(creator, posted)
    assert status == "failed" and "bot is not a member" in error


async def test_no_answer_from_telegram_is_transient() -> None:
    bot = TelegramBot("http://127.0.0.1:9", TOKEN, timeout=1)
    with pytest.raises(Exception) as raised:
        await bot.send_message("@hana_books", "x")
    assert getattr(raised.value, "transient", False) is True


@pytest.mark.parametrize("raw", ["@ab", "hana books", "@1abcde", "@" + "a" * 40])
def test_bad_channel_names_are_refused(raw: str) -> None:
    with pytest.raises(FieldError):
        inputs.clean_telegram_channel(raw)
    assert inputs.clean_telegram_channel("") == ""
    assert inputs.clean_telegram_channel("t.me/Hana_Books") == "@Hana_Books"

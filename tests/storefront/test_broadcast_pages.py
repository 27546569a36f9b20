"""Broadcast pages: compose with field errors, preview per channel with the Amharic SMS segment count and the
recipient estimate, a test send to oneself, sending through the outbox, and another creator's broadcast is a 404."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import drain_jobs, post_form
from tests.storefront.store_helpers import sign_up
from tests.storefront.test_audience_pages import SESSION, _store_with_a_lead

Client = AsyncTestClient[Litestar]


def _broadcast_id(location: str) -> str:
    match = re.fullmatch(r"/dashboard/broadcasts/([0-9a-f-]{36})", location)
    assert match is not None, location
    return match[1]


async def test_compose_preview_test_and_send_an_email(client: Client, app: Litestar) -> None:
    handle = await _store_with_a_lead(client, "reader@example.com")
    page = await client.get("/dashboard/broadcasts")
    assert page.status_code == 200 and 'name="channel"' in page.text

    refused = await post_form(
        client, "/dashboard/broadcasts", {"channel": "email", "subject": "", "body": "hi"}
    )
    assert refused.status_code == 422 and "Write a subject for the email." in refused.text
    assert ">hi</textarea>" in refused.text  # what was typed is kept
    odd = await post_form(client, "/dashboard/broadcasts", {"channel": "fax", "subject": "", "body": ""})
    assert odd.status_code == 422 and "Choose email, SMS or Telegram." in odd.text

    created = await post_form(
        client,
        "/dashboard/broadcasts",
        {"channel": "email", "subject": "New guide", "body": "**Hello** <script>alert(1)</script>"},
    )
    assert created.status_code == 303
    broadcast_id = _broadcast_id(created.headers["location"])
    preview = await client.get(created.headers["location"])
    assert "<strong>Hello</strong>" in preview.text and "<script>alert" not in preview.text
    assert "Recipients: 1." in preview.text

    tested = await post_form(client, f"/dashboard/broadcasts/{broadcast_id}/test", {})
    assert tested.status_code == 303 and tested.headers["location"].endswith("?done=test")
    await drain_jobs(app)
    mails = app.state.jobs.email.emails
    (test_mail,) = [
        mail for mail in mails if mail.to == f"{handle}@example.com" and mail.subject == "New guide"
    ]

    assert "List-Unsubscribe" not in test_mail.headers  # a test to oneself unsubscribes nobody

    sent = await post_form(client, f"/dashboard/broadcasts/{broadcast_id}/send", {})
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=sending")
    again = await post_form(client, f"/dashboard/broadcasts/{broadcast_id}/send", {})
    assert again.status_code == 409 and "This broadcast was already sent." in again.text
    await drain_jobs(app)
    (mail,) = [
        mail
        for mail in app.state.jobs.email.emails
        if mail.to == "reader@example.com" and mail.subject == "New guide"  # not the welcome message
    ]
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in mail.headers["List-Unsubscribe"] and "/unsubscribe/" in mail.body
    done = await client.get(f"/dashboard/broadcasts/{broadcast_id}")
    assert "Sent: 1" in done.text and "Queued: 0" in done.text


async def test_an_amharic_sms_shows_its_segments_and_estimate(client: Client) -> None:
    await sign_up(client)
    body = "ሰላም! " * 20  # 100 characters of Amharic: UCS-2, two parts of 67
    created = await post_form(
        client, "/dashboard/broadcasts", {"channel": "sms", "subject": "", "body": body}
    )
    assert created.status_code == 303
    preview = await client.get(created.headers["location"])
    assert "99 characters, 2 SMS per person." in preview.text  # the trailing space is trimmed
    assert "70 characters in one SMS, 67 per part" in preview.text
    assert "Recipients: 0, about 0 SMS in all." in preview.text
    # This creator's account has no phone: the test send explains instead of failing.
    tested = await post_form(client, created.headers["location"] + "/test", {})
    assert tested.status_code == 422 and "Add a phone number to your account" in tested.text


async def test_another_creators_broadcast_is_404(client: Client) -> None:
    await sign_up(client)
    created = await post_form(
        client, "/dashboard/broadcasts", {"channel": "email", "subject": "Mine", "body": "x"}
    )
    url = created.headers["location"]
    client.cookies.delete(SESSION)
    await sign_up(client, name="Creator B")
    assert (await client.get(url)).status_code == 404
    for action in ("/test", "/send"):
        assert (await post_form(client, url + action, {})).status_code == 404, action
    assert "Mine" not in (await client.get("/dashboard/broadcasts")).text


async def test_the_telegram_channel_is_saved_from_the_page(client: Client) -> None:
    await sign_up(client)
    bad = await post_form(client, "/dashboard/broadcasts/telegram", {"telegram_channel": "my channel!"})
    assert bad.status_code == 422 and "name, like @my_channel" in bad.text
    saved = await post_form(client, "/dashboard/broadcasts/telegram", {"telegram_channel": "t.me/hana_books"})
    assert saved.status_code == 303
    assert 'value="@hana_books"' in (await client.get("/dashboard/broadcasts")).text
    created = await post_form(
        client, "/dashboard/broadcasts", {"channel": "telegram", "subject": "", "body": "ሰላም"}
    )
    preview = await client.get(created.headers["location"])
    assert "Posted to @hana_books." in preview.text and "Post it" in preview.text
    no_test = await post_form(client, created.headers["location"] + "/test", {})
    assert no_test.status_code == 422 and "there is no test send" in no_test.text

"""Automations: a welcome when a contact joins from the store, a thank-you after a purchase, one reminder for a
checkout left unpaid an hour, each only where the contact's consent allows."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.conftest import drain_jobs
from tests.helpers import acting
from tests.platform.payments.test_money_path import Platform, platform  # noqa: F401 - the fixture
from windsurf.audience import automations
from windsurf.audience import service as audience
from windsurf.core.tables import Job
from windsurf.core.uow import unit_of_work


def _mails_to(platform: Platform, address: str) -> list[object]:  # noqa: F811
    return [mail for mail in platform.app.state.jobs.email.emails if mail.to == address]


async def test_a_new_subscriber_is_welcomed_once(platform: Platform) -> None:  # noqa: F811
    joined = audience.LeadCapture("email", "new.reader@example.com").as_contact("lead_block", "lead block")
    await acting(platform.creator_id, audience.add_contact, joined)
    await acting(platform.creator_id, audience.add_contact, joined)  # joining again: no second welcome
    await drain_jobs(platform.app)
    (welcome,) = _mails_to(platform, "new.reader@example.com")
    assert welcome.subject.startswith("Welcome to")  # type: ignore[attr-defined]
    assert welcome.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # type: ignore[attr-defined]
    assert "/unsubscribe/" in welcome.body  # type: ignore[attr-defined]
    # A buyer (no consent) or an import is not welcomed.
    await acting(
        platform.creator_id,
        audience.add_contact,
        audience.NewContact(source="purchase", email="b@example.com"),
    )
    await drain_jobs(platform.app)
    assert _mails_to(platform, "b@example.com") == []


async def test_a_buyer_is_thanked_only_with_consent(platform: Platform) -> None:  # noqa: F811
    fan = f"fan.{uuid.uuid4().hex[:6]}@example.com"
    await acting(
        platform.creator_id,
        audience.add_contact,
        audience.NewContact(source="manual", email=fan, email_consent=True, consent_how="manual"),
    )
    for email in (fan, None):
        order = await platform.order(**({"email": email} if email else {}))
        await platform.pay(await platform.start(order))
        await drain_jobs(platform.app)
        await drain_jobs(platform.app)
        assert await platform.status(order) == "paid"
        subjects = [mail.subject for mail in _mails_to(platform, order.email or "")]  # type: ignore[attr-defined]
        thanked = "Thank you for your purchase" in subjects
        assert thanked == (email == fan), subjects


async def _run_reminders_now(platform: Platform) -> None:  # noqa: F811
    async with unit_of_work() as uow:
        await uow.run(
            Job.update({Job.run_at: dt.datetime.now(dt.UTC)}).where(
                (Job.status == "pending") & (Job.name == automations.CHECKOUT_REMINDER_JOB)
            )
        )
    await drain_jobs(platform.app)


async def test_one_reminder_for_an_unpaid_checkout_after_an_hour(platform: Platform) -> None:  # noqa: F811
    waiting = f"waiting.{uuid.uuid4().hex[:6]}@example.com"
    paid = f"paid.{uuid.uuid4().hex[:6]}@example.com"
    for address in (waiting, paid):
        await acting(
            platform.creator_id,
            audience.add_contact,
            audience.NewContact(source="manual", email=address, email_consent=True, consent_how="manual"),
        )
    unpaid_order = await platform.order(email=waiting)
    paid_order = await platform.order(email=paid)
    await platform.pay(await platform.start(paid_order))
    await drain_jobs(platform.app)
    async with unit_of_work() as uow:
        pending = await uow.run(
            Job.select(Job.run_at, Job.payload).where(
                (Job.status == "pending") & (Job.name == automations.CHECKOUT_REMINDER_JOB)
            )
        )
    (due,) = [job["run_at"] for job in pending if str(unpaid_order.id) in str(job["payload"])]
    assert due - unpaid_order.created_at >= dt.timedelta(minutes=59)  # an hour after the checkout
    await _run_reminders_now(platform)
    reminders = [m for m in _mails_to(platform, waiting) if m.subject == "Your order is waiting"]  # type: ignore[attr-defined]
    assert len(reminders) == 1 and "/@" in reminders[0].body  # type: ignore[attr-defined]
    assert not [m for m in _mails_to(platform, paid) if m.subject == "Your order is waiting"]  # type: ignore[attr-defined]
    await _run_reminders_now(platform)
    assert len([m for m in _mails_to(platform, waiting) if m.subject == "Your order is waiting"]) == 1  # type: ignore[attr-defined]

"""The creator's balance and payout page and the staff payout queue, driven through real forms (JavaScript off)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from typing import Any

from litestar import Litestar

from tests.conftest import drain_jobs, post_form, serve
from tests.helpers import sign_up_by_email
from tests.platform.payments.fakes import FakeChapa
from windsurf.app import create_app
from windsurf.core.tables import Job
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.identity import service as identity
from windsurf.ledger import service
from windsurf.ledger.payouts import TRANSFER_STATUS_JOB

READY = service.LedgerPolicy(holding=dt.timedelta(0), payout_minimum=10_000, platform_fee_bps=0)


async def creator_with_sales(client: Any, *, ready: int, held: int = 0, settings: Any = None) -> uuid.UUID:
    await sign_up_by_email(client)
    creator = uuid.UUID((await client.get("/api/v1/identity/me")).json()["id"])
    async with tenant_for(creator) as tenant:
        await service.post_sale(
            tenant, order_reference=uuid.uuid4().hex, gross=ready, provider_fee=0, policy=READY
        )
        if held:
            await service.post_sale(
                tenant,
                order_reference=uuid.uuid4().hex,
                gross=held,
                provider_fee=0,
                policy=service.LedgerPolicy.from_settings(settings),
            )
    return creator


def figure(html: str, name: str) -> str:
    match = re.search(rf'id="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1).replace("\xa0", " ")


async def test_creator_sees_balance_adds_a_destination_and_requests_a_payout(
    client: Any, app: Litestar
) -> None:
    settings = app.state.settings
    await creator_with_sales(client, ready=50_000, held=20_000, settings=settings)
    page = await client.get("/dashboard/payouts")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    held = 20_000 - service.LedgerPolicy.from_settings(settings).platform_fee(20_000)
    assert figure(page.text, "available") == "ETB 500.00"
    assert figure(page.text, "pending") == f"ETB {held / 100:,.2f}"
    assert "becomes available on" in page.text  # the holding period, with its date
    assert "Add a payout destination first." in page.text

    bad = await post_form(
        client, "/dashboard/payouts/destinations", {"kind": "telebirr", "phone": "0711 234 567"}
    )
    assert bad.status_code == 422 and "Enter an Ethio Telecom mobile number" in bad.text
    added = await post_form(
        client, "/dashboard/payouts/destinations", {"kind": "telebirr", "phone": "0911 234 567"}
    )
    assert added.status_code == 303 and "no-store" in added.headers["cache-control"]
    page = await client.get(added.headers["location"])
    assert "Payout destination added." in page.text and "+251911234567" in page.text
    destination = re.search(r'<option value="([0-9a-f-]{36})"', page.text)
    assert destination

    for amount, message in [
        ("50", "This is below the minimum payout."),
        ("600", "That is more than your available balance."),
        ("five hundred", "Enter an amount in birr"),
    ]:
        refused = await post_form(
            client, "/dashboard/payouts", {"amount": amount, "destination": destination[1]}
        )
        assert refused.status_code == 422 and message in refused.text, amount
    requested = await post_form(
        client, "/dashboard/payouts", {"amount": "450", "destination": destination[1]}
    )
    assert requested.status_code == 303
    page = await client.get(requested.headers["location"])
    assert figure(page.text, "available") == "ETB 50.00" and figure(page.text, "in-review") == "ETB 450.00"
    assert "is in review by our team; expected by" in page.text
    assert "below the minimum payout" in page.text  # what is left waits, and the page says why

    client.cookies.set("lang", "am")
    amharic = await client.get("/dashboard/payouts")
    assert amharic.status_code == 200 and "ክፍያ" in amharic.text


async def test_another_creators_payout_is_a_404(client: Any, app: Litestar) -> None:
    await creator_with_sales(client, ready=20_000)
    await post_form(client, "/dashboard/payouts/destinations", {"kind": "telebirr", "phone": "0911 234 567"})
    page = await client.get("/dashboard/payouts")
    destination = re.search(r'<option value="([0-9a-f-]{36})"', page.text)
    assert destination
    await post_form(client, "/dashboard/payouts", {"amount": "200", "destination": destination[1]})
    page = await client.get("/dashboard/payouts")
    link = re.search(r'href="(/dashboard/payouts/[0-9a-f-]{36})"', page.text)
    assert link
    assert (await client.get(link[1])).status_code == 200

    async with serve(app) as other:
        await sign_up_by_email(other)
        assert (await other.get(link[1])).status_code == 404
        assert (await other.get(f"/dashboard/payouts/{uuid.uuid4()}")).status_code == 404
        assert link[1] not in (await other.get("/dashboard/payouts")).text
        # Nor can it spend into the first creator's destination.
        stolen = await post_form(
            other, "/dashboard/payouts", {"amount": "100", "destination": destination[1]}
        )
        assert stolen.status_code == 422


async def test_staff_review_approve_reject_and_mark_paid(client: Any, app: Litestar) -> None:
    creator = await creator_with_sales(client, ready=100_000)
    async with tenant_for(creator) as tenant:
        destination = await service.add_destination(tenant, kind="telebirr", phone="0911 234 567")
        first = await service.request_payout(
            tenant, destination_id=destination.id, amount=30_000, policy=READY
        )
        second = await service.request_payout(
            tenant, destination_id=destination.id, amount=20_000, policy=READY
        )

    # A creator, and anyone logged out, finds no staff console at all.
    assert (await client.get("/staff/payouts")).status_code == 404
    assert (
        await post_form(client, f"/staff/payouts/{first.id}/approve", {"reason": "me"})
    ).status_code == 404
    async with serve(app) as anonymous:
        assert (await anonymous.get("/staff/payouts")).status_code == 404

    email = f"ops.{uuid.uuid4().hex[:8]}@windsurf.et"
    async with unit_of_work() as uow:
        await identity.create_staff(uow, email=email, password="staff password 2026", display_name="Ops")
    async with serve(app) as staff:
        logged_in = await post_form(staff, "/login", {"email": email, "password": "staff password 2026"})
        assert logged_in.status_code == 303
        queue = await staff.get("/staff/payouts")
        assert queue.status_code == 200 and "no-store" in queue.headers["cache-control"]
        assert f"/staff/payouts/{first.id}" in queue.text and f"/staff/payouts/{second.id}" in queue.text

        no_reason = await post_form(staff, f"/staff/payouts/{first.id}/approve", {"reason": ""})
        assert no_reason.status_code == 422 and "Give a reason" in no_reason.text
        approved = await post_form(
            staff, f"/staff/payouts/{first.id}/approve", {"reason": "Documents checked"}
        )
        assert approved.status_code == 303
        assert "Payout approved." in (await staff.get(approved.headers["location"])).text
        paid = await post_form(staff, f"/staff/payouts/{first.id}/paid", {"reference": "TB-778812"})
        assert paid.status_code == 303
        rejected = await post_form(
            staff, f"/staff/payouts/{second.id}/reject", {"reason": "Wallet name differs"}
        )
        assert rejected.status_code == 303
        again = await post_form(staff, f"/staff/payouts/{second.id}/approve", {"reason": "changed my mind"})
        assert again.status_code == 422 and "already decided" in again.text
        assert (
            await post_form(staff, f"/staff/payouts/{first.id}/explode", {"reason": "x"})
        ).status_code == 404
        assert (await staff.get(f"/staff/payouts/{uuid.uuid4()}")).status_code == 404

    page = await client.get("/dashboard/payouts")
    assert figure(page.text, "paid-out") == "ETB 300.00" and figure(page.text, "available") == "ETB 700.00"
    assert "Wallet name differs" in page.text
    detail = await client.get(f"/dashboard/payouts/{first.id}")
    assert "Documents checked" in detail.text and "TB-778812" in detail.text


async def test_staff_send_a_payout_through_chapa_and_a_job_follows_the_transfer(settings: Any) -> None:
    """The button hands the payout to Chapa's transfers API (a loopback Chapa); the transfer-status job asks
    Chapa until the transfer is paid, then records it once, translated in the creator's history."""
    fake = FakeChapa()
    async with fake.server:
        configured = dataclasses.replace(
            settings,
            payment_providers=("sandbox", "chapa"),
            chapa_base_url=fake.server.url,
            chapa_secret_key=FakeChapa.SECRET,
            chapa_webhook_secret=FakeChapa.WEBHOOK_SECRET,
            payment_retry_backoff_seconds=0.001,
        )
        app = create_app(configured)
        async with serve(app) as creator_client:
            creator = await creator_with_sales(creator_client, ready=50_000)
            async with tenant_for(creator) as tenant:
                destination = await service.add_destination(tenant, kind="telebirr", phone="0911 234 567")
                payout = await service.request_payout(
                    tenant, destination_id=destination.id, amount=50_000, policy=READY
                )
            email = f"ops.{uuid.uuid4().hex[:8]}@windsurf.et"
            async with unit_of_work() as uow:
                await identity.create_staff(
                    uow, email=email, password="staff password 2026", display_name="Ops"
                )
            async with serve(app) as staff:
                await post_form(staff, "/login", {"email": email, "password": "staff password 2026"})
                approved = await post_form(
                    staff, f"/staff/payouts/{payout.id}/approve", {"reason": "Checked"}
                )
                assert approved.status_code == 303
                page = await staff.get(f"/staff/payouts/{payout.id}")
                assert f'action="/staff/payouts/{payout.id}/send"' in page.text
                sent = await post_form(staff, f"/staff/payouts/{payout.id}/send", {})
                assert sent.status_code == 303, sent.text
                after = await staff.get(sent.headers["location"])
                assert "Sent to Chapa." in after.text and f"/staff/payouts/{payout.id}/send" not in after.text
                twice = await post_form(staff, f"/staff/payouts/{payout.id}/send", {})
                assert twice.status_code == 422 and "already sent to the provider" in twice.text
            assert len(fake.server.calls("POST", "/v1/transfers")) == 1

            # Chapa has not paid it yet: the job asks, finds it pending, and asks again later.
            await _run_transfer_checks(app)
            async with tenant_for(creator) as tenant:
                assert (await service.get_payout(tenant, payout.id)).status == "approved"
            fake.transfers[str(payout.id)]["status"] = "success"
            await _run_transfer_checks(app)
            await _run_transfer_checks(app)  # nothing more to do
            async with tenant_for(creator) as tenant:
                paid = await service.get_payout(tenant, payout.id)
                balance = await service.balance(tenant)
            assert paid.status == "paid" and [e.to_status for e in paid.events][-2:] == ["approved", "paid"]
            assert (balance.available, balance.in_review, balance.paid_out) == (0, 0, 50_000)
            assert len(fake.server.calls("GET", f"/v1/transfers/verify/{payout.id}")) == 2

            creator_client.cookies.set("lang", "am")
            history = await creator_client.get(f"/dashboard/payouts/{payout.id}")
            assert "ወደ አቅራቢው ተልኳል።" in history.text and "Sent to the provider." not in history.text
            assert "አቅራቢው ዝውውሩን አረጋግጧል።" in history.text


async def _run_transfer_checks(app: Litestar) -> None:
    """Make the transfer-status jobs due now and run the outbox (their delays are minutes in production)."""
    await Job.update({Job.run_at: dt.datetime.now(dt.UTC)}).where(
        (Job.name == TRANSFER_STATUS_JOB) & (Job.status == "pending")
    )
    await drain_jobs(app)

"""Email sign-up signs in at once, but publishing, selling and payouts wait until the email (by its emailed link)
or the phone (by its SMS code) is verified. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from litestar import Litestar

from tests.conftest import drain_jobs, post_form, serve
from tests.helpers import sign_up_by_phone, verification_path
from tests.storefront.store_helpers import Client, sign_up
from windsurf.core import security

PUBLISH_FIRST = "Verify your email address or phone number before you publish: we sent you a link."
NOT_SELLING = "This store cannot take orders yet. Please contact the creator."
BANNER = "Verify your email to publish your store, sell and get paid"


async def _link_in_last_email(app: Litestar, email: str) -> str:
    await drain_jobs(app)
    bodies = [mail.body for mail in app.state.jobs.email.emails if mail.to == email]
    assert bodies, f"no email was sent to {email}"
    match = re.search(r"https?://\S+/verify-email\?\S+", bodies[-1])
    assert match, bodies[-1]
    url = urlsplit(match.group(0))
    return f"{url.path}?{url.query}"


async def test_an_unverified_creator_builds_but_publishes_only_after_the_emailed_link(
    app: Litestar, client: Client
) -> None:
    handle = await sign_up(client, verified=False)
    email = f"{handle}@example.com"
    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 200 and BANNER in dashboard.text
    assert 'action="/verify-email/resend"' in dashboard.text
    block = await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "T", "url": "https://e.et"}
    )
    assert block.status_code == 303  # building is allowed

    refused = await post_form(client, "/dashboard/publish", {})
    assert refused.status_code == 422 and PUBLISH_FIRST in refused.text
    api = await client.post("/api/v1/stores/me/publish", headers={"x-csrftoken": client.cookies["csrftoken"]})
    assert api.status_code == 403 and api.json()["code"] == "unverified"
    assert "https://e.et" not in (await client.get(f"/@{handle}")).text
    assert (await client.get("/api/v1/identity/me")).json()["verified"] is False

    # The link came through the outbox; opening it (even logged out, on another phone) verifies the address.
    link = await _link_in_last_email(app, email)
    async with serve(app) as other_phone:
        opened = await other_phone.get(link)
    assert opened.status_code == 200 and "is verified" in opened.text
    assert (await client.get("/api/v1/identity/me")).json()["verified"] is True
    assert BANNER not in (await client.get("/dashboard")).text
    assert (await post_form(client, "/dashboard/publish", {})).status_code == 303
    await drain_jobs(app)  # the render job of the published store
    assert "https://e.et" in (await client.get(f"/@{handle}")).text


async def test_resend_sends_a_new_link_and_says_so(app: Litestar, client: Client) -> None:
    handle = await sign_up(client, verified=False)
    email = f"{handle}@example.com"
    await drain_jobs(app)
    before = len([mail for mail in app.state.jobs.email.emails if mail.to == email])
    response = await post_form(client, "/verify-email/resend", {"next": "/dashboard"})
    assert response.status_code == 303 and response.headers["location"] == "/dashboard?verification=sent"
    page = await client.get(response.headers["location"])
    assert f"We sent a new link to {email}" in page.text
    link = await _link_in_last_email(app, email)
    assert len([mail for mail in app.state.jobs.email.emails if mail.to == email]) == before + 1
    assert (await client.get(link)).status_code == 200
    # Nobody logged in cannot ask for one.
    async with serve(app) as stranger:
        anonymous = await post_form(stranger, "/verify-email/resend", {})
        assert anonymous.status_code in {303, 401} and "/login" in anonymous.headers.get("location", "/login")


async def test_wrong_forged_and_outdated_links_verify_nothing(app: Litestar, client: Client) -> None:
    handle = await sign_up(client, verified=False)
    me = (await client.get("/api/v1/identity/me")).json()
    forged = security.seal(
        "another-secret-key-that-is-long-enough-0123", f"verify-email:{me['id']}:{me['email']}"
    )
    other_address = verification_path(me["id"], f"x{handle}@example.com")
    for path in ("/verify-email?token=junk", f"/verify-email?token={forged}", other_address, "/verify-email"):
        response = await client.get(path)
        assert response.status_code == 400, path
        assert "That verification link is not valid or has expired." in response.text
    assert (await client.get("/api/v1/identity/me")).json()["verified"] is False
    # Another account's link verifies that account only.
    async with serve(app) as someone:
        await sign_up(someone, verified=False)
        theirs = (await someone.get("/api/v1/identity/me")).json()
        assert (await client.get(verification_path(theirs["id"], theirs["email"]))).status_code == 200
        assert (await someone.get("/api/v1/identity/me")).json()["verified"] is True
    assert (await client.get("/api/v1/identity/me")).json()["verified"] is False


async def test_phone_sign_up_is_verified_by_its_code(app: Litestar, client: Client) -> None:
    await sign_up_by_phone(client, app)
    assert (await client.get("/api/v1/identity/me")).json()["verified"] is True
    assert BANNER not in (await client.get("/dashboard")).text
    assert (await post_form(client, "/dashboard/publish", {})).status_code == 303


async def test_checkout_and_payouts_wait_for_verification(app: Litestar, client: Client) -> None:
    handle = await sign_up(client, verified=False)
    headers = {"x-csrftoken": client.cookies["csrftoken"]}
    created = await client.post(
        "/api/v1/catalog/products",
        headers=headers,
        json={
            "kind": "coaching",
            "title": f"Call {uuid.uuid4().hex[:4]}",
            "price_santim": 50000,
            "duration_minutes": 45,
        },
    )
    assert created.status_code == 201, created.text
    product = created.json()
    visible = await client.post(
        f"/api/v1/catalog/products/{product['id']}/visibility",
        headers=headers,
        json={"visibility": "published"},
    )
    assert visible.status_code in {200, 204}, visible.text
    async with serve(app) as buyer:
        refused = await buyer.get(f"/checkout/{handle}/{product['slug']}")
        assert refused.status_code == 403 and NOT_SELLING in refused.text
        posted = await post_form(buyer, f"/checkout/{handle}/{product['slug']}", {"email": "b@example.com"})
        assert posted.status_code == 403 and NOT_SELLING in posted.text

        payout = await post_form(client, "/dashboard/payouts", {"amount": "100", "destination": ""})
        assert payout.status_code == 422
        assert "Verify your email address or phone number before you ask for a payout." in payout.text

        me = (await client.get("/api/v1/identity/me")).json()
        assert (await client.get(verification_path(me["id"], me["email"]))).status_code == 200
        assert (await buyer.get(f"/checkout/{handle}/{product['slug']}")).status_code == 200

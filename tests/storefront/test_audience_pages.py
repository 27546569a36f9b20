"""The audience pages: a lead from the store reaches the list; search, tags, notes, export, import with a
preview, deletion; the one-click unsubscribe link; the SMS STOP webhook; and another creator's contacts are a
404 over every route."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import uuid
import zipfile

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import csrf, post_form, serve
from tests.helpers import acting
from tests.storefront.store_helpers import sign_up
from windsurf.app import create_app
from windsurf.audience import service as audience
from windsurf.core.uow import tenant_for
from windsurf.settings import Settings

Client = AsyncTestClient[Litestar]
SESSION = "windsurf-session"


async def _store_with_a_lead(client: Client, contact: str = "Buyer@Example.com") -> str:
    handle = await sign_up(client)
    await post_form(
        client, "/dashboard/blocks", {"type": "capture", "heading": "My list", "contact": "email"}
    )
    await post_form(client, "/dashboard/publish", {})
    page = await client.get(f"/@{handle}")
    block = re.search(r'name="block" value="([0-9a-f]+)"', page.text)
    assert block is not None
    session = client.cookies[SESSION]
    client.cookies.clear()  # the buyer holds no cookie
    joined = await client.post(f"/subscribe/{handle}", data={"block": block[1], "contact": contact})
    assert joined.status_code == 200, joined.text
    client.cookies.set(SESSION, session)
    return handle


def _contact_ids(html: str) -> list[str]:
    return re.findall(r'href="/dashboard/audience/([0-9a-f-]{36})"', html)


async def test_a_lead_reaches_the_list_and_the_creator_manages_it(client: Client) -> None:
    await _store_with_a_lead(client)
    listing = await client.get("/dashboard/audience")
    assert listing.status_code == 200 and listing.headers["cache-control"] == "private, no-store"
    assert "buyer@example.com" in listing.text and "Sign-up form" in listing.text
    (contact_id,) = _contact_ids(listing.text)
    assert _contact_ids((await client.get("/dashboard/audience?q=BUYER")).text) == [contact_id]
    assert _contact_ids((await client.get("/dashboard/audience?q=nobody")).text) == []

    detail = await client.get(f"/dashboard/audience/{contact_id}")
    assert detail.status_code == 200 and "lead block" in detail.text
    refused = await post_form(client, f"/dashboard/audience/{contact_id}", {"tags": "x" * 40, "notes": "hi"})
    assert refused.status_code == 422 and "Keep each tag under 30 characters." in refused.text
    assert 'value="' + "x" * 40 in refused.text  # what was typed is kept
    saved = await post_form(
        client, f"/dashboard/audience/{contact_id}", {"tags": "VIP, Addis", "notes": "ጥሩ"}
    )
    assert saved.status_code == 303
    assert _contact_ids((await client.get("/dashboard/audience?tag=vip")).text) == [contact_id]

    exported = await client.get("/dashboard/audience/export.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    assert "buyer@example.com" in exported.text and "vip;addis" in exported.text

    deleted = await post_form(client, f"/dashboard/audience/{contact_id}/delete", {})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/dashboard/audience?done=deleted"
    assert (await client.get(f"/dashboard/audience/{contact_id}")).status_code == 404
    assert _contact_ids((await client.get("/dashboard/audience")).text) == []


CSV = (
    "email,phone,name,email_consent,sms_consent\n"
    "abebe@example.com,0911234567,አበበ,yes,yes\n"
    "broken@,,Bad,yes,no\n"
    "sara@example.com,,Sara,no,no\n"
)


async def test_import_previews_then_keeps_the_good_rows(client: Client) -> None:
    await sign_up(client)
    form = await client.get("/dashboard/audience/import")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    preview = await client.post(
        "/dashboard/audience/import",
        data={"_csrf_token": await csrf(client)},
        files={"file": ("contacts.csv", CSV.encode(), "text/csv")},
    )
    assert preview.status_code == 200
    assert "Rows ready to import: 2." in preview.text and "Rows left out: 1." in preview.text
    assert "Row 3" in preview.text and "The email address is not valid." in preview.text
    assert _contact_ids((await client.get("/dashboard/audience")).text) == []  # nothing saved yet
    text = re.search(r'name="csv" value="([^"]*)"', preview.text)
    assert text is not None
    confirmed = await post_form(
        client,
        "/dashboard/audience/import/confirm",
        {"csv": text[1].replace("&#10;", "\n").replace("&#13;", "")},
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/dashboard/audience?imported=2"
    listing = await client.get(confirmed.headers["location"])
    assert (
        "Contacts imported: 2." in listing.text
        and "አበበ" in listing.text
        and "sara@example.com" in listing.text
    )

    no_consent = await post_form(client, "/dashboard/audience/import", {"csv": "email\nx@example.com\n"})
    assert no_consent.status_code == 422 and "Add a consent column" in no_consent.text
    not_utf8 = await client.post(
        "/dashboard/audience/import",
        data={"_csrf_token": await csrf(client)},
        files={"file": ("contacts.csv", "email,email_consent\nሰላም,yes\n".encode("utf-16"), "text/csv")},
    )
    assert not_utf8.status_code == 422 and "UTF-8" in not_utf8.text


async def test_another_creators_contacts_are_404_over_every_route(client: Client) -> None:
    await _store_with_a_lead(client, "private@example.com")
    (contact_id,) = _contact_ids((await client.get("/dashboard/audience")).text)
    session_a = client.cookies[SESSION]
    client.cookies.delete(SESSION)
    await sign_up(client, name="Creator B")

    assert (await client.get(f"/dashboard/audience/{contact_id}")).status_code == 404
    for url, data in (
        (f"/dashboard/audience/{contact_id}", {"tags": "stolen", "notes": ""}),
        (f"/dashboard/audience/{contact_id}", {"tags": "x" * 40, "notes": ""}),
        (f"/dashboard/audience/{contact_id}/delete", {}),
    ):
        assert (await post_form(client, url, data)).status_code == 404, url
    for url in ("/dashboard/audience", "/dashboard/audience?q=private", "/dashboard/audience/export.csv"):
        assert "private@example.com" not in (await client.get(url)).text, url

    client.cookies.delete(SESSION)
    client.cookies.set(SESSION, session_a)
    detail = await client.get(f"/dashboard/audience/{contact_id}")
    assert detail.status_code == 200 and "stolen" not in detail.text


async def test_the_unsubscribe_link_confirms_then_unsubscribes_for_good(
    client: Client, settings: Settings
) -> None:
    creator = uuid.uuid4()
    contact = await acting(
        creator,
        audience.add_contact,
        audience.NewContact(
            source="manual", email="meron@example.com", email_consent=True, consent_how="manual"
        ),
    )
    token = audience.unsubscribe_token(settings.secret_key, creator, contact.id, "email")
    client.cookies.clear()
    page = await client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "Stop receiving emails from this list?" in page.text
    assert await acting(creator, audience.may_send, contact, "email")  # a link scanner's GET changes nothing
    # The mailbox provider's one-click POST (RFC 8058): no session, no CSRF token.
    done = await client.post(
        f"/unsubscribe/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    after = await acting(creator, audience.get_contact, contact.id)
    assert not after.email_consent and after.email_consent_how == "unsubscribe link"
    assert not await acting(creator, audience.may_send, after, "email")
    assert (await client.post(f"/unsubscribe/{token}")).status_code == 200  # twice is fine
    for forged in (token[:-1] + ("0" if token[-1] != "0" else "1"), token.replace(".e.", ".s."), "nonsense"):
        assert (await client.get(f"/unsubscribe/{forged}")).status_code == 404, forged
        assert (await client.post(f"/unsubscribe/{forged}")).status_code == 404, forged


async def test_a_stop_reply_through_the_gateway_webhook(settings: Settings) -> None:
    creator = uuid.uuid4()
    contact = await acting(
        creator,
        audience.add_contact,
        audience.NewContact(source="manual", phone="+251911777888", sms_consent=True, consent_how="manual"),
    )
    off = create_app(settings)
    async with serve(off) as client:
        assert (
            await client.post("/webhooks/sms/inbound", json={"from": "0911777888", "message": "STOP"})
        ).status_code == 404
    app = create_app(dataclasses.replace(settings, sms_inbound_secret="inbound-secret-123"))
    async with serve(app) as client:
        url = "/webhooks/sms/inbound?secret=inbound-secret-123"
        wrong = await client.post(
            "/webhooks/sms/inbound?secret=guess", json={"from": "0911777888", "message": "STOP"}
        )
        assert wrong.status_code == 401
        hello = await client.post(url, json={"from": "0911777888", "message": "hello"})
        assert hello.status_code == 200 and hello.json() == {"status": "ignored"}
        assert await acting(creator, audience.may_send, contact, "sms")
        bad = await client.post(url, json={"from": "12", "message": "STOP"})
        assert bad.status_code == 422
        assert (
            await client.post(url, content=b"[1]", headers={"Content-Type": "application/json"})
        ).status_code == 422
        stop = await client.post(url, data={"from": "+251911777888", "message": "stop please"})
        assert stop.status_code == 200 and stop.json() == {"status": "unsubscribed"}
    async with tenant_for(creator) as tenant:
        assert not await audience.may_send(tenant, contact, "sms")


async def test_anonymous_callers_reach_no_audience_page(client: Client) -> None:
    some_id = "00000000-0000-4000-8000-000000000000"
    for url in (
        "/dashboard/audience",
        "/dashboard/audience/export.csv",
        "/dashboard/audience/import",
        f"/dashboard/audience/{some_id}",
        "/dashboard/broadcasts",
        f"/dashboard/broadcasts/{some_id}",
    ):
        response = await client.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), url
    for url in (
        "/dashboard/audience/import",
        "/dashboard/audience/import/confirm",
        f"/dashboard/audience/{some_id}",
        f"/dashboard/audience/{some_id}/delete",
        "/dashboard/broadcasts",
        "/dashboard/broadcasts/telegram",
        f"/dashboard/broadcasts/{some_id}/test",
        f"/dashboard/broadcasts/{some_id}/send",
    ):
        response = await post_form(client, url, {})
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), url


async def test_deleting_the_account_erases_its_audience_and_the_download_holds_it(client: Client) -> None:
    await _store_with_a_lead(client)
    archive = zipfile.ZipFile(io.BytesIO((await client.get("/account/export.zip")).content))
    creator = uuid.UUID(json.loads(archive.read("account.json"))["id"])
    assert "buyer@example.com" in archive.read("contacts.csv").decode()
    assert (await acting(creator, audience.list_contacts))[1] == 1
    deleted = await post_form(client, "/account/delete", {"current_password": "correct horse battery"})
    assert deleted.status_code == 303
    # The people on the list gave their addresses to that creator: they go with the account.
    assert (await acting(creator, audience.list_contacts))[1] == 0

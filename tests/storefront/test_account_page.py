"""The account page /account over HTTP, on SQLite and PostgreSQL: password, email and phone changes (each
verified before it takes effect), active sessions and "log the others out", the data download, deleting the
account."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from urllib.parse import urlsplit

from litestar import Litestar

from tests.conftest import drain_jobs, post_form, serve
from tests.helpers import new_phone, sms_code_for
from tests.storefront.store_helpers import Client, sign_up

PASSWORD = "correct horse battery"
WRONG = "That is not your current password."


async def _log_in(client: Client, email: str, password: str = PASSWORD) -> int:
    response = await post_form(client, "/login", {"email": email, "password": password})
    return int(response.status_code)


async def _me(client: Client) -> dict[str, object]:
    response = await client.get("/api/v1/identity/me")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_page_lists_what_can_be_changed(client: Client) -> None:
    handle = await sign_up(client)
    page = await client.get("/account")
    assert page.status_code == 200
    for action in ("/account/password", "/account/email", "/account/phone", "/account/sessions/others"):
        assert f'action="{action}"' in page.text
    assert 'action="/account/delete"' in page.text and 'href="/account/export.zip"' in page.text
    assert f"{handle}@example.com" in page.text
    assert "this device" in page.text


async def test_password_change_needs_the_current_one_and_logs_the_others_out(
    app: Litestar, client: Client
) -> None:
    handle = await sign_up(client)
    email = f"{handle}@example.com"
    async with serve(app) as other_phone:
        assert await _log_in(other_phone, email) == 303
        assert (await other_phone.get("/dashboard")).status_code == 200

        wrong = await post_form(
            client, "/account/password", {"current_password": "not it at all", "password": "a new passphrase"}
        )
        assert wrong.status_code == 422 and WRONG in wrong.text
        short = await post_form(
            client, "/account/password", {"current_password": PASSWORD, "password": "short"}
        )
        assert short.status_code == 422
        changed = await post_form(
            client, "/account/password", {"current_password": PASSWORD, "password": "a new passphrase"}
        )
        assert changed.status_code == 303 and changed.headers["location"] == "/account?done=password"
        assert (await client.get("/dashboard")).status_code == 200  # this browser stays logged in
        assert (await other_phone.get("/dashboard")).status_code == 303  # the other one is out

    async with serve(app) as fresh:
        assert await _log_in(fresh, email) == 422
        assert await _log_in(fresh, email, "a new passphrase") == 303


async def test_sessions_listed_and_the_others_logged_out(app: Litestar, client: Client) -> None:
    handle = await sign_up(client)
    async with serve(app) as other_phone:
        assert await _log_in(other_phone, f"{handle}@example.com") == 303
        page = await client.get("/account")
        assert page.text.count("<tr><td>") >= 2  # both sessions (and the sign-ins) are listed
        response = await post_form(client, "/account/sessions/others", {})
        assert response.status_code == 303 and response.headers["location"] == "/account?done=sessions"
        assert (await other_phone.get("/dashboard")).status_code == 303
        assert (await client.get("/dashboard")).status_code == 200
        page = await client.get(response.headers["location"])
        assert "Every other session is logged out." in page.text
        sessions_table = page.text.split('id="sessions"')[1].split("</table>")[0]
        assert sessions_table.count("<tr><td>") == 1


async def test_email_changes_only_when_the_new_address_opens_its_link(app: Litestar, client: Client) -> None:
    handle = await sign_up(client)
    old, new = f"{handle}@example.com", f"new.{handle}@example.com"
    wrong = await post_form(client, "/account/email", {"email": new, "current_password": "nope nope nope"})
    assert wrong.status_code == 422 and WRONG in wrong.text
    bad = await post_form(client, "/account/email", {"email": "not-an-email", "current_password": PASSWORD})
    assert bad.status_code == 422
    async with serve(app) as someone:
        other = await sign_up(someone)
    taken = await post_form(
        client, "/account/email", {"email": f"{other}@example.com", "current_password": PASSWORD}
    )
    assert taken.status_code == 422 and "Another account uses this email." in taken.text

    asked = await post_form(client, "/account/email", {"email": new, "current_password": PASSWORD})
    assert asked.status_code == 303
    assert (await _me(client))["email"] == old  # nothing changes until the link is opened
    await drain_jobs(app)
    mail = [m for m in app.state.jobs.email.emails if m.to == new][-1]
    match = re.search(r"https?://\S+/account/email/confirm\?\S+", mail.body)
    assert match, mail.body
    url = urlsplit(match.group(0))
    opened = await client.get(f"{url.path}?{url.query}")
    assert opened.status_code == 200 and new in opened.text
    me = await _me(client)
    assert me["email"] == new and me["verified"] is True
    assert (await client.get("/account/email/confirm?token=junk")).status_code == 400
    async with serve(app) as fresh:
        assert await _log_in(fresh, old) == 422
        assert await _log_in(fresh, new) == 303


async def test_phone_changes_only_with_the_code_texted_to_it(app: Litestar, client: Client) -> None:
    await sign_up(client)
    typed, e164 = new_phone()
    asked = await post_form(client, "/account/phone", {"phone": typed})
    assert asked.status_code == 303 and asked.headers["location"].startswith("/account/phone/verify?")
    assert (await client.get(asked.headers["location"])).status_code == 200
    assert (await _me(client))["phone"] is None
    code = await sms_code_for(app, e164)
    wrong = await post_form(
        client, "/account/phone/verify", {"phone": e164, "code": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status_code == 422
    right = await post_form(client, "/account/phone/verify", {"phone": e164, "code": code})
    assert right.status_code == 303 and right.headers["location"] == "/account?done=phone"
    assert (await _me(client))["phone"] == e164
    # Another account cannot have it, and a code asked by one account does not serve another.
    async with serve(app) as someone:
        await sign_up(someone)
        taken = await post_form(someone, "/account/phone", {"phone": typed})
        assert taken.status_code == 422 and "Another account uses this phone number." in taken.text
        bad = await post_form(someone, "/account/phone", {"phone": "12345"})
        assert bad.status_code == 422


async def test_download_my_data_is_a_zip_of_json_and_csv(client: Client) -> None:
    handle = await sign_up(client)
    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "My channel", "url": "https://t.me/x"}
    )
    created = await client.post(
        "/api/v1/catalog/products",
        headers={"x-csrftoken": client.cookies["csrftoken"]},
        json={"kind": "coaching", "title": "Career call", "price_santim": 50000, "duration_minutes": 45},
    )
    assert created.status_code == 201
    response = await client.get("/account/export.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    assert "no-store" in response.headers["cache-control"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {
        "account.json",
        "store.json",
        "products.json",
        "products.csv",
        "orders.csv",
        "sign_ins.csv",
    } <= names
    account = json.loads(archive.read("account.json"))
    assert account["handle"] == handle and account["email"] == f"{handle}@example.com"
    assert "My channel" in archive.read("store.json").decode()
    products = list(csv.DictReader(io.StringIO(archive.read("products.csv").decode())))
    assert [row["title"] for row in products] == ["Career call"]
    assert len(json.loads(archive.read("sign_ins.json"))) >= 1
    async with serve(client._transport.app) as stranger:  # type: ignore[attr-defined]
        assert (await stranger.get("/account/export.zip")).status_code == 303


async def test_delete_takes_the_store_offline_and_erases_personal_data(app: Litestar, client: Client) -> None:
    handle = await sign_up(client)
    email = f"{handle}@example.com"
    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "My channel", "url": "https://t.me/x"}
    )
    assert (await post_form(client, "/dashboard/publish", {})).status_code == 303
    await drain_jobs(app)
    assert "My channel" in (await client.get(f"/@{handle}")).text

    wrong = await post_form(client, "/account/delete", {"current_password": "not my password"})
    assert wrong.status_code == 422 and WRONG in wrong.text
    assert "My channel" in (await client.get(f"/@{handle}")).text

    deleted = await post_form(client, "/account/delete", {"current_password": PASSWORD})
    assert deleted.status_code == 303
    assert deleted.headers["clear-site-data"] == '"cache", "storage"'
    # Offline at once, before any job has run.
    assert (await client.get(f"/@{handle}")).status_code == 404
    assert (await client.get("/dashboard")).status_code == 303
    await drain_jobs(app)
    assert (await client.get(f"/@{handle}")).status_code == 404
    async with serve(app) as fresh:
        assert await _log_in(fresh, email) == 422
        # The address is free for a new account, but the handle stays reserved: no impostor store.
        again = await post_form(
            fresh,
            "/signup/email",
            {"display_name": "Impostor", "handle": handle, "email": email, "password": PASSWORD},
        )
        assert again.status_code == 422 and "That handle is taken." in again.text

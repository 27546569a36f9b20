"""A changed handle: the old address redirects (301) to the new one, for the store and its products, and the old
handle stays its creator's for a year; nobody else can sign up with it or move to it, its creator can take it
back. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Litestar

from tests.conftest import post_form, serve
from tests.storefront.store_helpers import Client, sign_up
from windsurf.core.uow import unit_of_work
from windsurf.identity.tables import RetiredHandle

TAKEN = "That handle is taken. Please choose another."


async def _rename(client: Client, handle: str) -> object:
    return await post_form(
        client, "/dashboard/profile", {"display_name": "Hana Tesfaye", "handle": handle, "bio": ""}
    )


async def _new_product(client: Client) -> str:
    created = await client.post(
        "/api/v1/catalog/products",
        headers={"x-csrftoken": client.cookies["csrftoken"]},
        json={"kind": "coaching", "title": "Career call", "price_santim": 50000, "duration_minutes": 45},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["slug"])


async def test_old_store_and_product_addresses_redirect_to_the_new_handle(client: Client) -> None:
    old = await sign_up(client)
    slug = await _new_product(client)
    new = f"n_{uuid.uuid4().hex[:10]}"
    response = await _rename(client, new)
    assert response.status_code == 303, response.text

    store = await client.get(f"/@{old}")
    assert store.status_code == 301 and store.headers["location"] == f"/@{new}"
    # Not cached for ever: the creator may take the old handle back.
    assert store.headers["cache-control"] == "public, max-age=3600"
    product = await client.get(f"/@{old}/{slug}")
    assert product.status_code == 301 and product.headers["location"] == f"/@{new}/{slug}"
    assert (await client.get(f"/@{old.upper()}")).headers["location"] == f"/@{new}"
    # A handle nobody ever had is still a plain 404.
    assert (await client.get(f"/@never_{uuid.uuid4().hex[:8]}")).status_code == 404


async def test_another_creator_cannot_take_a_retired_handle(app: Litestar, client: Client) -> None:
    old = await sign_up(client)
    assert (await _rename(client, f"n_{uuid.uuid4().hex[:10]}")).status_code == 303

    async with serve(app) as other:
        signup = await post_form(
            other,
            "/signup/email",
            {
                "display_name": "Impostor",
                "handle": old,
                "email": f"imp_{uuid.uuid4().hex[:8]}@example.com",
                "password": "correct horse battery",
            },
        )
        assert signup.status_code == 422 and TAKEN in signup.text
        await sign_up(other, name="Impostor")
        rename = await _rename(other, old)
        assert rename.status_code == 422 and TAKEN in rename.text
        api = await other.get("/api/v1/identity/me")
        assert api.json()["handle"] != old
    assert (await client.get(f"/@{old}")).status_code == 301


async def test_the_creator_takes_their_old_handle_back(client: Client) -> None:
    first = await sign_up(client)
    second = f"n_{uuid.uuid4().hex[:10]}"
    assert (await _rename(client, second)).status_code == 303
    assert (await _rename(client, first)).status_code == 303
    assert (await client.get("/api/v1/identity/me")).json()["handle"] == first
    # The old address is the store again (not a redirect); the handle given up now redirects to it.
    assert (await client.get(f"/@{first}")).status_code != 301
    moved = await client.get(f"/@{second}")
    assert moved.status_code == 301 and moved.headers["location"] == f"/@{first}"


async def test_a_reservation_ends_after_its_year(app: Litestar, client: Client) -> None:
    old = await sign_up(client)
    assert (await _rename(client, f"n_{uuid.uuid4().hex[:10]}")).status_code == 303
    async with unit_of_work() as uow, uow.scope():
        retired = await RetiredHandle.select().where(RetiredHandle.handle == old).first()
        assert retired is not None
        until = retired["until"] if retired["until"].tzinfo else retired["until"].replace(tzinfo=dt.UTC)
        assert until - dt.datetime.now(dt.UTC) > dt.timedelta(days=365)
        await RetiredHandle.update(
            {RetiredHandle.until: dt.datetime.now(dt.UTC) - dt.timedelta(days=1)}
        ).where(RetiredHandle.handle == old)
    assert (await client.get(f"/@{old}")).status_code == 404
    async with serve(app) as other:
        await sign_up(other, name="Newcomer")
        assert (await _rename(other, old)).status_code == 303
        assert (await other.get("/api/v1/identity/me")).json()["handle"] == old

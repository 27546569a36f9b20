"""A store change is one unit of work: the handle and the draft commit together, the store row is made once
however many first loads race, and a taken handle is a coded error told by the unique index."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import post_form, serve
from tests.helpers import bare_creator
from tests.storefront.store_helpers import sign_up
from windsurf.core.errors import InvalidInput
from windsurf.core.uow import tenant_for
from windsurf.identity import service as identity
from windsurf.stores import service
from windsurf.stores.tables import Store

Client = AsyncTestClient[Litestar]


async def _creator() -> uuid.UUID:
    return await bare_creator("Hana")


class Later(Exception):
    """Something that goes wrong after the profile was saved, in the same request."""


async def test_a_failure_after_the_profile_save_leaves_handle_and_draft_unchanged(app: Litestar) -> None:
    creator_id = await _creator()
    async with tenant_for(creator_id) as tenant:
        before = await service.get_store(tenant)
        old_handle = (await identity.get_account(tenant.uow, creator_id)).handle  # type: ignore[union-attr]
    new_handle = f"n{uuid.uuid4().hex[:12]}"
    with pytest.raises(Later):
        async with tenant_for(creator_id) as tenant:
            saved = await service.update_profile(
                tenant, service.Profile(display_name="New name", handle=new_handle, bio="New bio")
            )
            assert saved.draft.name == "New name"
            assert (await identity.get_account(tenant.uow, creator_id)).handle == new_handle  # type: ignore[union-attr]
            raise Later()
    async with tenant_for(creator_id) as tenant:
        account = await identity.get_account(tenant.uow, creator_id)
        after = await service.get_store(tenant)
    assert account is not None and account.handle == old_handle
    assert after.draft == before.draft
    # And on success both are there.
    async with tenant_for(creator_id) as tenant:
        await service.update_profile(
            tenant, service.Profile(display_name="New name", handle=new_handle, bio="New bio")
        )
    async with tenant_for(creator_id) as tenant:
        assert (await identity.get_account(tenant.uow, creator_id)).handle == new_handle  # type: ignore[union-attr]
        assert (await service.get_store(tenant)).draft.bio == "New bio"


async def test_a_taken_handle_is_a_coded_error_and_the_draft_is_not_saved(client: Client) -> None:
    taken = await sign_up(client, name="First")
    client.cookies.clear()
    mine = await sign_up(client, name="Second")
    response = await post_form(
        client, "/dashboard/profile", {"display_name": "Renamed", "handle": taken, "bio": "Hello"}
    )
    assert response.status_code == 422 and "That handle is taken" in response.text
    store = (await client.get("/api/v1/stores/me")).json()
    assert store["handle"] == mine and store["draft"]["name"] == "Second" and store["draft"]["bio"] == ""
    me = (await client.get("/api/v1/identity/me")).json()
    async with tenant_for(uuid.UUID(me["id"])) as tenant:
        with pytest.raises(InvalidInput) as caught:
            await identity.change_handle(tenant, taken)
    assert caught.value.codes == {"handle": "handle_taken"}


# SQLite serialises writers (a concurrent one is refused, not raced); the race this guards is PostgreSQL's.
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_four_concurrent_first_dashboard_loads_make_one_store(app: Litestar) -> None:
    async with serve(app) as client:
        await sign_up(client)
        me = (await client.get("/api/v1/identity/me")).json()
        loads = await asyncio.gather(*(client.get("/dashboard") for _ in range(4)))
    assert [load.status_code for load in loads] == [200] * 4
    async with tenant_for(uuid.UUID(me["id"])) as tenant, tenant.scope():
        assert await Store.count().where(Store.creator_id == tenant.creator_id) == 1

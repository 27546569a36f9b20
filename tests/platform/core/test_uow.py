"""The unit of work: one transaction, begun lazily, one tenant set with bound parameters, on both backends."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from piccolo.querystring import QueryString

from windsurf.core import db
from windsurf.core.uow import TenantConflict, UnitOfWork, UnitOfWorkClosed, tenant_for, unit_of_work
from windsurf.stores.tables import Store


def _store(creator_id: uuid.UUID) -> Store:
    return Store(id=uuid.uuid4(), creator_id=creator_id, draft={"name": "x"})


async def _store_count(creator_id: uuid.UUID) -> int:
    async with tenant_for(creator_id) as tenant, tenant.scope():
        return int(await Store.count().where(Store.creator_id == creator_id))


async def test_commits_on_success_and_rolls_back_on_error(app: Litestar) -> None:
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    async with tenant_for(kept) as tenant, tenant.scope():
        await Store.insert(_store(kept))
    with pytest.raises(RuntimeError, match="boom"):
        async with tenant_for(dropped) as tenant:
            async with tenant.scope():
                await Store.insert(_store(dropped))
            raise RuntimeError("boom")
    assert await _store_count(kept) == 1
    assert await _store_count(dropped) == 0


async def test_begins_lazily_and_ends_once(app: Litestar) -> None:
    async with unit_of_work() as uow:
        assert not uow.begun
        await uow.act_for(uuid.uuid4())
        assert not uow.begun  # acting for a creator alone holds no connection
        await uow.run(QueryString("SELECT 1"))
        assert uow.begun
    with pytest.raises(UnitOfWorkClosed):
        await uow.run(QueryString("SELECT 1"))


async def test_a_second_creator_is_a_conflict_even_when_nested(app: Litestar) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    async with unit_of_work() as uow:
        same = await uow.act_for(first)
        assert (await uow.act_for(first)).creator_id == same.creator_id
        with pytest.raises(TenantConflict):
            await uow.act_for(second)
        with pytest.raises(TenantConflict):
            async with tenant_for(second):
                pass


async def test_a_savepoint_keeps_the_transaction_usable_after_a_duplicate(app: Litestar) -> None:
    creator = uuid.uuid4()
    async with tenant_for(creator) as tenant:
        async with tenant.scope():
            await Store.insert(_store(creator))
        with pytest.raises(Exception) as raised:
            async with tenant.savepoint():
                await Store.insert(_store(creator))  # creator_id is unique
        assert db.is_unique_violation(raised.value)
        async with tenant.scope():
            assert await Store.count().where(Store.creator_id == creator) == 1


postgres_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@postgres_only
async def test_the_tenant_is_a_bound_parameter_on_postgres(app: Litestar) -> None:
    creator, other = uuid.uuid4(), uuid.uuid4()
    async with tenant_for(creator) as tenant, tenant.scope():
        await Store.insert(_store(creator))
        statements = await tenant.uow.run(QueryString("SELECT statement FROM pg_prepared_statements"))
        texts = [row["statement"] for row in statements]
        assert any("set_config($1, $2, true)" in text for text in texts), texts
        assert not any(str(creator) in text for text in texts)
        setting = await tenant.uow.run(QueryString("SELECT current_setting('windsurf.creator_id') AS value"))
        assert setting[0]["value"] == str(creator)
    # Row-level security: another tenant, or none at all, sees nothing of it.
    assert await _store_count(other) == 0
    async with unit_of_work() as uow:
        rows = await uow.run(Store.select(Store.id).where(Store.creator_id == creator))
        assert rows == []


@postgres_only
async def test_the_setting_never_outlives_its_transaction(app: Litestar) -> None:
    async with tenant_for(uuid.uuid4()) as tenant:
        await tenant.uow.run(QueryString("SELECT 1"))
    for _ in range(5):  # whichever pooled connection comes next
        uow = UnitOfWork()
        rows = await uow.run(
            QueryString("SELECT coalesce(current_setting('windsurf.creator_id', true), '') AS value")
        )
        await uow.commit()
        assert rows[0]["value"] == ""


async def test_a_read_before_any_write_leaves_the_unit_unbegun(app: Litestar, backend: str) -> None:
    creator = uuid.uuid4()
    async with unit_of_work() as uow:
        assert await uow.read(Store.select(Store.id).where(Store.creator_id == creator)) == []
        assert not uow.begun  # no transaction, so no SQLite lock, while the request works on
        tenant = await uow.act_for(creator)
        async with tenant.scope():
            await Store.insert(_store(creator))
        # Once begun, a read sees the unit's own uncommitted writes.
        assert len(await uow.read(Store.select(Store.id).where(Store.creator_id == creator))) == 1

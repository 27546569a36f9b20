"""The unit of work: one database transaction per request or job, carrying at most one tenant.

A request (through the ``uow`` dependency) or a job (``async with unit_of_work() as uow``) gets one
``UnitOfWork``. Its transaction begins with the first query that needs it, so a request that re-encodes an upload
before writing holds no connection (and no SQLite lock) meanwhile, and a page that never queries opens none. It
commits when the request or job ends and rolls back when either raises.

The tenant is set once per unit, with bound parameters (``SELECT set_config($1, $2, true)``): one prepared
statement for every creator, and transaction-local so that a pooled connection never carries it into the next
request. ``act_for`` hands out the ``Tenant`` that tenant-scoped services require; asking the same unit to act for a
second creator raises ``TenantConflict`` instead of switching silently.

Services run their queries inside ``async with uow.scope()`` (or ``tenant.scope()``). The scope points Piccolo's
current transaction at this unit's connection for the enclosed block only, set and reset in the caller's own
context: Litestar resolves dependencies in separate tasks, so a transaction opened in a dependency would otherwise be
invisible to the handler.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

from windsurf.core import db
from windsurf.core.tenancy import ACCOUNT_KEY_SETTING

TENANT_SETTING = "windsurf.creator_id"
BUYER_SETTING = "windsurf.buyer_key"
_active: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar("windsurf_uow", default=None)


class TenantConflict(RuntimeError):
    """A unit of work already acts for another creator: one unit never writes for two tenants."""


class UnitOfWorkClosed(RuntimeError):
    """The unit of work was already committed or rolled back."""


class UnitOfWork:
    """One transaction, begun lazily, for a request or a job. Build it with ``unit_of_work()`` or the dependency."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine or db.bound_engine()
        self._transaction: Any = None
        self._creator_id: uuid.UUID | None = None
        self._buyer_key: str | None = None
        self._account_key: str | None = None  # as last set in the open transaction (None: unknown or unset)
        self._applied: set[str] = set()  # settings already set in the open transaction
        self._closed = False

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def begun(self) -> bool:
        """Whether a transaction is open (a read-only page that never queried has none)."""
        return self._transaction is not None

    @property
    def creator_id(self) -> uuid.UUID | None:
        return self._creator_id

    async def act_for(self, creator_id: uuid.UUID) -> Tenant:
        """The tenant this unit writes for; the same creator again is fine, another one is an error."""
        creator_id = uuid.UUID(str(creator_id))
        if self._creator_id is not None and self._creator_id != creator_id:
            raise TenantConflict("this unit of work already acts for another creator")
        self._creator_id = creator_id
        if self._transaction is not None:
            await self._apply_settings()
        return Tenant(self, creator_id)

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[None]:
        """Run the enclosed Piccolo queries in this unit's transaction."""
        transaction = await self._begin()
        token = self._engine.current_transaction.set(transaction)
        try:
            yield
        finally:
            self._engine.current_transaction.reset(token)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A block whose failure (a constraint violation, say) leaves the rest of the transaction usable."""
        async with self.scope():
            savepoint = await self._transaction.savepoint()
            try:
                yield
            except BaseException:
                await savepoint.rollback_to()
                self._account_key = None  # a setting made inside the savepoint was rolled back with it
                raise
            await savepoint.release()

    async def run(self, query: Any) -> Any:
        """Run one Piccolo query (or ``QueryString``) in this unit's transaction."""
        async with self.scope():
            if isinstance(query, QueryString):
                return await self._engine.run_querystring(query)
            return await query.run()

    async def read(self, query: Any) -> Any:
        """A read that needs no transaction of its own: in the unit's transaction once it has begun, otherwise on
        a connection of its own, leaving the unit unbegun.

        SQLite locks the whole file for a transaction's life, and a reader that later writes can deadlock with
        another writer: a request that looks up its account, re-encodes an upload for a second, then writes must
        not hold a transaction through that second. On PostgreSQL a tenant's read stays in the transaction,
        where its row-level security setting lives.
        """
        if self._transaction is not None or (
            isinstance(self._engine, PostgresEngine) and self._creator_id is not None
        ):
            return await self.run(query)
        if self._closed:
            raise UnitOfWorkClosed("this unit of work has already ended")
        return await query.run()

    async def look_up(self, key: str) -> None:
        """Make the account whose id, email, phone or handle is ``key`` (and the phone codes sent to ``key``)
        visible to this unit's queries, in its transaction: on PostgreSQL row-level security hides every other
        account from a unit, except the creator it acts for. Call it inside ``scope()``; SQLite needs nothing."""
        if not isinstance(self._engine, PostgresEngine) or key == self._account_key:
            return
        async with self.scope():
            await self._engine.run_querystring(
                QueryString("SELECT set_config({}, {}, true)", ACCOUNT_KEY_SETTING, key)
            )
        self._account_key = key

    async def read_known(self, key: str, query: Any) -> Any:
        """``read`` of an account known by ``key`` (see ``look_up``): on PostgreSQL in the unit's transaction,
        where the key's setting lives; on SQLite as ``read``, without beginning one."""
        if not isinstance(self._engine, PostgresEngine):
            return await self.read(query)
        async with self.scope():
            await self.look_up(key)
            return await query.run()

    async def commit(self) -> None:
        await self._finish(commit=True)

    async def rollback(self) -> None:
        await self._finish(commit=False)

    async def _begin(self) -> Any:
        if self._closed:
            raise UnitOfWorkClosed("this unit of work has already ended")
        if self._transaction is None:
            if isinstance(self._engine, SQLiteEngine):
                # SQLite: take the write lock at BEGIN. A deferred transaction that reads, then writes, fails at
                # once with "database is locked" when another writer got there first; an immediate one waits.
                transaction = self._engine.transaction(
                    transaction_type=TransactionType.immediate, allow_nested=False
                )
            else:
                transaction = self._engine.transaction(allow_nested=False)
            # What Piccolo's __aenter__ does, without binding the transaction to the context it was begun in.
            transaction.connection = await transaction.get_connection()
            if isinstance(transaction, PostgresTransaction):
                transaction.transaction = transaction.connection.transaction()
            try:
                await transaction.begin()
            except BaseException:
                await self._release(transaction)
                raise
            self._transaction = transaction
        if self._pending_settings():
            await self._apply_settings()
        return self._transaction

    async def act_for_buyer(self, buyer_key: str) -> Buyer:
        """Read a buyer's own purchases across stores (the library's read-only policy matches this key)."""
        if self._buyer_key is not None and self._buyer_key != buyer_key:
            raise TenantConflict("this unit of work already reads for another buyer")
        self._buyer_key = buyer_key
        if self._transaction is not None:
            await self._apply_settings()
        return Buyer(self, buyer_key)

    def _pending_settings(self) -> dict[str, str]:
        wanted = {TENANT_SETTING: self._creator_id, BUYER_SETTING: self._buyer_key}
        return {
            name: str(value)
            for name, value in wanted.items()
            if value is not None and name not in self._applied
        }

    async def _apply_settings(self) -> None:
        pending = self._pending_settings()
        self._applied.update(pending)
        if isinstance(self._engine, PostgresEngine):
            token = self._engine.current_transaction.set(self._transaction)
            try:
                for name, value in pending.items():
                    await self._engine.run_querystring(
                        QueryString("SELECT set_config({}, {}, true)", name, value)
                    )
            finally:
                self._engine.current_transaction.reset(token)

    async def _finish(self, *, commit: bool) -> None:
        if self._closed:
            return
        self._closed = True
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        try:
            if commit:
                await transaction.commit()
            else:
                await transaction.rollback()
        finally:
            await self._release(transaction)

    async def _release(self, transaction: Any) -> None:
        engine = self._engine
        if isinstance(engine, PostgresEngine) and engine.pool is not None:
            await engine.pool.release(transaction.connection)
        else:
            await transaction.connection.close()


@dataclass(frozen=True)
class Tenant:
    """Proof that a unit of work acts for ``creator_id``: what every tenant-scoped service takes.

    Only ``UnitOfWork.act_for`` (or ``tenant_for``) should build one, so that the tenant setting is in place.
    """

    uow: UnitOfWork
    creator_id: uuid.UUID

    def scope(self) -> Any:
        return self.uow.scope()

    def savepoint(self) -> Any:
        return self.uow.savepoint()


@dataclass(frozen=True)
class Buyer:
    """Proof that a unit of work reads for the buyer behind ``buyer_key`` (their library, across stores)."""

    uow: UnitOfWork
    buyer_key: str

    def scope(self) -> Any:
        return self.uow.scope()


@asynccontextmanager
async def unit_of_work(engine: Engine | None = None) -> AsyncIterator[UnitOfWork]:
    """A unit of work for a job, a CLI command or a test: committed on success, rolled back on error.

    Nested inside another unit in the same context it joins the outer one (which commits), so acting for a second
    creator there is a ``TenantConflict``, never a silent switch.
    """
    outer = _active.get()
    if outer is not None and not outer._closed:
        yield outer
        return
    uow = UnitOfWork(engine)
    token = _active.set(uow)
    try:
        yield uow
    except BaseException:
        await uow.rollback()
        raise
    else:
        await uow.commit()
    finally:
        _active.reset(token)


@asynccontextmanager
async def tenant_for(creator_id: uuid.UUID, engine: Engine | None = None) -> AsyncIterator[Tenant]:
    """A unit of work acting for one creator (jobs and tests)."""
    async with unit_of_work(engine) as uow:
        yield await uow.act_for(creator_id)


async def provide_uow() -> AsyncIterator[UnitOfWork]:
    """Litestar dependency: the request's unit of work, committed when the handler returns.

    Litestar throws the handler's exception into this generator, which rolls back. It touches no context variable:
    Litestar may resolve it in another task's context and clean it up in the handler's.
    """
    uow = UnitOfWork()
    try:
        yield uow
    except BaseException:
        await uow.rollback()
        raise
    await uow.commit()

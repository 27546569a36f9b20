"""Tenancy: which tables belong to a creator, and the row-level security that guards them.

The services scope every query by ``creator_id`` (the first wall). On PostgreSQL, row-level security is the
second wall: each creator-owned table gets a policy that compares ``creator_id`` with the transaction-local
setting ``windsurf.creator_id``, which the unit of work sets once per transaction (``windsurf.core.uow``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from piccolo.table import Table

SETTING = "windsurf.creator_id"
ACCOUNT_KEY_SETTING = "windsurf.account_key"
POLICY = "creator_isolation"
_creator_owned: dict[str, type[Table]] = {}

T = TypeVar("T", bound=type[Table])


def creator_owned(table: T) -> T:
    """Class decorator: ``table`` holds one creator's rows in ``creator_id``; migrate puts RLS on it."""
    if "creator_id" not in {column._meta.name for column in table._meta.columns}:
        raise TypeError(f"{table.__name__} is marked creator-owned but has no creator_id column")
    _creator_owned[table._meta.tablename] = table
    return table


def creator_owned_tables() -> list[type[Table]]:
    return list(_creator_owned.values())


_platform_owned: dict[str, str] = {}


def platform_owned(reason: str) -> Callable[[T], T]:
    """Class decorator for the rare table that names a creator in ``creator_id`` but must be read across
    creators before anybody is acting: no RLS, declared with the reason why, so a forgotten ``creator_owned`` can
    never pass as one of these."""

    def mark(table: T) -> T:
        if table._meta.tablename in _creator_owned:
            raise TypeError(f"{table.__name__} cannot be both creator-owned and platform-owned")
        _platform_owned[table._meta.tablename] = reason
        return table

    return mark


def platform_owned_tables() -> dict[str, str]:
    """Table name -> why it is not under row-level security."""
    return dict(_platform_owned)


def policy_statements(tablename: str) -> list[str]:
    """Idempotent DDL that puts ``tablename`` under the creator-isolation policy."""
    # nullif: after a transaction that set it ends, the setting reads '' (not NULL) on that connection.
    current = f"nullif(current_setting('{SETTING}', true), '')::uuid"
    return [
        f'ALTER TABLE "{tablename}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{tablename}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY} ON "{tablename}"',
        f'CREATE POLICY {POLICY} ON "{tablename}" '
        f"USING (creator_id = {current}) WITH CHECK (creator_id = {current})",
    ]


JOB_POLICY = "job_tenant_isolation"


def job_policy_statements() -> list[str]:
    """Idempotent DDL: a unit acting for a creator sees and writes only that creator's jobs, not another creator's
    and not the platform's (whose payloads name people who have no store: sign-up and reset messages); a unit
    acting for nobody (the worker claiming and completing jobs, pruning) sees them all."""
    current = f"nullif(current_setting('{SETTING}', true), '')::uuid"
    visible = f"({current} IS NULL OR creator_id = {current})"
    return [
        'ALTER TABLE "job" ENABLE ROW LEVEL SECURITY',
        'ALTER TABLE "job" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {JOB_POLICY} ON "job"',
        f'CREATE POLICY {JOB_POLICY} ON "job" USING {visible} WITH CHECK {visible}',
    ]


ACCOUNT_POLICY = "account_known_by_key"


def account_policy_statements() -> list[str]:
    """Idempotent DDL for the personal data read before anybody is acting (accounts, phone codes).

    Logging in, signing up and a buyer's request must find an account by its email, phone, handle or id with
    nobody acting, so these tables cannot compare with the tenant alone. A unit sees and writes the account it
    acts for, and any row whose key it already knows and has named (``UnitOfWork.look_up``): never a list of
    everybody's. A query that forgets its WHERE reads nothing more than what the unit was told.
    """
    tenant = f"nullif(current_setting('{SETTING}', true), '')::uuid"
    key = f"nullif(current_setting('{ACCOUNT_KEY_SETTING}', true), '')"
    account = f"(id = {tenant} OR {key} IN (id::text, email, phone, handle))"
    code = f"(phone = {key})"
    statements: list[str] = []
    for table, visible in (("creator", account), ("phone_code", code)):
        statements += [
            f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
            f'DROP POLICY IF EXISTS {ACCOUNT_POLICY} ON "{table}"',
            f'CREATE POLICY {ACCOUNT_POLICY} ON "{table}" USING {visible} WITH CHECK {visible}',
        ]
    return statements

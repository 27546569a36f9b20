# ruff: noqa: S608 - table names come from our own registry, not from input
"""Tenancy: another creator's object is a 404; on PostgreSQL, row-level security is the second wall."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import APP_ROLE, SECRET, drain_jobs, post_form, serve
from tests.helpers import sign_up_by_email
from tests.platform.catalog.helpers import create, pdf_bytes, sign_up, upload
from windsurf.analytics import classify
from windsurf.analytics import service as analytics
from windsurf.audience import service as audience
from windsurf.checkout import service as checkout
from windsurf.checkout.tables import Refund
from windsurf.core import db, jobs, tenancy
from windsurf.core.tables import Job
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.delivery import service as delivery
from windsurf.identity import inputs
from windsurf.identity import service as identity
from windsurf.identity.tables import Creator, PhoneCode
from windsurf.ledger import service as ledger
from windsurf.payments.tables import PaymentAttempt
from windsurf.settings import Settings


async def test_creator_b_gets_404_for_creator_a_sign_ins(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    await sign_up_by_email(client)
    a_sign_ins = (await client.get("/api/v1/identity/sign-ins")).json()
    assert len(a_sign_ins) == 1
    a_id = a_sign_ins[0]["id"]
    assert (await client.get(f"/api/v1/identity/sign-ins/{a_id}")).status_code == 200

    async with serve(app) as other:
        await sign_up_by_email(other)
        response = await other.get(f"/api/v1/identity/sign-ins/{a_id}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 404
        # Indistinguishable from an id nobody has.
        missing = await other.get(f"/api/v1/identity/sign-ins/{uuid.uuid4()}")
        assert missing.status_code == 404 and missing.json()["title"] == response.json()["title"]
        b_ids = {entry["id"] for entry in (await other.get("/api/v1/identity/sign-ins")).json()}
        assert b_ids and a_id not in b_ids
        await post_form(other, "/logout", {})

    # B's sign-ins never show up in A's list, which is exactly what it was before B came.
    after = (await client.get("/api/v1/identity/sign-ins")).json()
    assert not b_ids & {entry["id"] for entry in after}
    assert after == a_sign_ins


def test_every_table_with_a_creator_id_is_creator_owned() -> None:
    tables = db.all_tables()  # imports every app's tables, which registers their marks
    owned = set(tenancy.creator_owned_tables())
    # Declared one by one, each with its reason (read across creators before anybody is acting).
    platform = tenancy.platform_owned_tables()
    assert set(platform) <= {"retired_handle"}, platform
    for table in tables:
        has_creator_id = "creator_id" in {column._meta.name for column in table._meta.columns}
        if table is Job:  # records who enqueued it, under its own policy (tenancy.job_policy_statements)
            assert has_creator_id and table not in owned
            continue
        exempt = table._meta.tablename in platform
        assert has_creator_id == (table in owned or exempt), table._meta.tablename
    assert owned, "no creator-owned tables at all"


def test_marking_a_table_without_creator_id_fails() -> None:
    from piccolo.columns import Varchar
    from piccolo.table import Table

    class Loose(Table, tablename="loose_for_test"):
        name = Varchar()

    with pytest.raises(TypeError):
        tenancy.creator_owned(Loose)


ON_POSTGRES = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.fixture
def postgres_settings(settings: Settings) -> Settings:
    assert settings.uses_postgres
    return settings


async def creator_with_rows_everywhere(client: AsyncTestClient[Litestar], app: Litestar) -> str:
    """A creator who has at least one row in every creator-owned table; returns the creator's id. Without rows in
    a table, a check of that table's isolation could not fail: a new creator-owned table needs a row here too.

    Rows are made the way users make them (pages and forms), or through the domain's service where no page
    exists yet (checkout and delivery).
    """
    identity = await sign_up(client)
    me = (await client.get("/api/v1/identity/me")).json()
    await post_form(client, "/password-reset", {"email": me["email"]})
    product_id = await create(client, kind="lead_magnet", title="Free Pack", price="")
    await upload(client, f"/dashboard/products/{product_id}/files", "file", "pack.pdf", pdf_bytes())
    published = await post_form(
        client,
        f"/dashboard/products/{product_id}/visibility",
        {"visibility": "published", "return_to": "/dashboard/products"},
    )
    assert published.status_code == 303, published.text
    await post_form(client, "/dashboard/blocks", {"type": "capture", "heading": "Join", "contact": "email"})
    assert (await post_form(client, "/dashboard/publish", {})).status_code == 303
    await post_form(client, "/logout", {})
    client.cookies.clear()  # a buyer: no session, no CSRF cookie
    store = f"/@{identity['handle']}"
    same_origin = {"Origin": "http://testserver.local", "Sec-Fetch-Site": "same-origin"}
    lead = await client.post(
        f"{store}/free-pack/lead", data={"contact": "b@example.com"}, headers=same_origin
    )
    assert lead.status_code == 200, lead.text
    block = re.search(r'name="block" value="([0-9a-f]+)"', (await client.get(store)).text)
    assert block is not None
    joined = await client.post(
        f"/subscribe/{identity['handle']}", data={"block": block[1], "contact": "b@example.com"}
    )
    assert joined.status_code == 200, joined.text
    creator_id = uuid.UUID(me["id"])
    async with tenant_for(creator_id) as tenant:
        await checkout.create_discount(tenant, checkout.NewDiscount(code="MESKEL", kind="percent", value=10))
        offer = checkout.Offer(uuid.UUID(product_id), creator_id, "Free Pack", 25_000, sales_limit=10)
        request = checkout.CheckoutRequest(
            uuid.uuid4().hex, "Abebe", "b@example.com", None, "telebirr", "MESKEL"
        )
        order = await checkout.place_order(tenant, offer, request)
        async with tenant.scope():
            await PaymentAttempt.insert(
                PaymentAttempt(
                    id=uuid.uuid4(),
                    creator_id=creator_id,
                    order_id=order.id,
                    provider="sandbox",
                    reference=f"{creator_id.hex}-{uuid.uuid4().hex[:12]}",
                    amount_santim=order.amount_santim,
                    currency=order.currency,
                )
            )
            await Refund.insert(
                Refund(
                    id=uuid.uuid4(),
                    creator_id=creator_id,
                    order_id=order.id,
                    reference=f"{order.number}-r-{uuid.uuid4().hex}",
                    amount_santim=1_000,
                    reason="A chapter was missing",
                    actor="creator",
                )
            )
        files = (delivery.FileRef(uuid.uuid4(), "pack.zip", "application/zip", "private/x/pack.zip"),)
        new_grant = delivery.NewGrant(
            order.id, order.number, offer.product_id, "Free Pack", "Store", "b@example.com", None, files
        )
        await delivery.grant_for_order(tenant, new_grant, secret_key=SECRET)
        # The ledger: a sale and a refund in the creator's book, a payout destination and a payout (with its event).
        ready = ledger.LedgerPolicy(holding=dt.timedelta(0), payout_minimum=100, platform_fee_bps=500)
        sale = uuid.uuid4().hex
        await ledger.post_sale(tenant, order_reference=sale, gross=25_000, provider_fee=500, policy=ready)
        await ledger.post_refund(
            tenant, order_reference=sale, refund_reference=uuid.uuid4().hex, amount=1_000
        )
        destination = await ledger.add_destination(tenant, kind="telebirr", phone="0911 234 567")
        await ledger.request_payout(tenant, destination_id=destination.id, amount=10_000, policy=ready)
        # The audience: the lead above is a contact; a broadcast queues it, then it unsubscribes (a suppression).
        broadcast = await audience.create_broadcast(tenant, audience.BroadcastDraft("email", "News", "Hello"))
        assert await audience.start_broadcast(tenant, broadcast.id) == 1
        (contact,), _ = await audience.list_contacts(tenant)
        await audience.unsubscribe(tenant, contact.id, "email", "unsubscribe link")
        await audience.save_telegram_channel(tenant, "@windsurf_news")
    # Analytics: a counted view with its visitor, from a CDN log object (the checkout above started one order).
    views = analytics.ViewBatch()
    views.add((classify.today(), "", "telegram", "mobile"), uuid.uuid4().hex * 2)
    assert await analytics.add_store_views(identity["handle"], views, log_object=f"E1.{uuid.uuid4().hex}.gz")
    await drain_jobs(app)  # what the outbox makes from all this (rendered pages, stamped files)
    return str(creator_id)


@ON_POSTGRES
async def test_rls_hides_rows_without_the_creator_setting(
    postgres_settings: Settings, client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    a_id = await creator_with_rows_everywhere(client, app)
    b_id = await creator_with_rows_everywhere(client, app)

    owner = await asyncpg.connect(postgres_settings.migration_database_url)
    owned_by_a, rows_in_all = {}, {}
    for table in tenancy.creator_owned_tables():
        name = table._meta.tablename
        owned_by_a[name] = await owner.fetchval(
            f'SELECT count(*) FROM "{name}" WHERE creator_id = $1', uuid.UUID(a_id)
        )
        rows_in_all[name] = await owner.fetchval(f'SELECT count(*) FROM "{name}"')
    await owner.close()
    for name, count in owned_by_a.items():
        # A has rows, and so does somebody else (B at least): each check below can tell A's rows from others'.
        assert 1 <= count < rows_in_all[name], (
            f"{name}: give creators a row there in creator_with_rows_everywhere"
        )
    connection = await asyncpg.connect(postgres_settings.database_url)
    try:
        assert await connection.fetchval("SELECT current_user") == APP_ROLE
        for table in tenancy.creator_owned_tables():
            name = table._meta.tablename
            # No creator set: no rows at all, and no writes.
            assert await connection.fetchval(f'SELECT count(*) FROM "{name}"') == 0, name
            async with connection.transaction():
                await connection.execute("SELECT set_config($1, $2, true)", tenancy.SETTING, b_id)
                assert (
                    await connection.fetchval(
                        f'SELECT count(*) FROM "{name}" WHERE creator_id = $1', uuid.UUID(a_id)
                    )
                    == 0
                )
            async with connection.transaction():
                await connection.execute("SELECT set_config($1, $2, true)", tenancy.SETTING, a_id)
                seen = await connection.fetchval(f'SELECT count(*) FROM "{name}"')
                assert seen == owned_by_a[name], name  # all of A's rows, under A's setting only
            # set_config(..., true) ends with the transaction.
            assert await connection.fetchval(f'SELECT count(*) FROM "{name}"') == 0, name
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with connection.transaction():
                await connection.execute("SELECT set_config($1, $2, true)", tenancy.SETTING, b_id)
                await connection.execute(
                    "INSERT INTO sign_in (id, creator_id, method, ip, user_agent, created_at) "
                    "VALUES ($1, $2, 'password', '', '', now())",
                    uuid.uuid4(),
                    uuid.UUID(a_id),
                )
    finally:
        await connection.close()


@ON_POSTGRES
async def test_app_role_owns_nothing_and_cannot_bypass_rls(postgres_settings: Settings) -> None:
    connection = await asyncpg.connect(postgres_settings.migration_database_url)
    try:
        role = await connection.fetchrow(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1",
            APP_ROLE,
        )
        assert role is not None and not any(role.values())
        owned = await connection.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.rolname = $1 AND n.nspname = 'public'",
            APP_ROLE,
        )
        assert owned == []
        for table in [*tenancy.creator_owned_tables(), Job, Creator, PhoneCode]:
            flags = await connection.fetchrow(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1",
                table._meta.tablename,
            )
            assert flags is not None and flags["relrowsecurity"] and flags["relforcerowsecurity"]
    finally:
        await connection.close()


@ON_POSTGRES
async def test_a_creator_s_unit_never_sees_another_creator_s_jobs(
    postgres_settings: Settings, client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    """Job payloads can name a creator's buyers and leads, and the platform's name people with no store yet. The
    worker (acting for nobody) claims every job; a unit acting for B sees B's jobs only, never A's or the
    platform's, and can write neither."""
    a_id = await creator_with_rows_everywhere(client, app)
    b_id = await creator_with_rows_everywhere(client, app)
    async with unit_of_work() as uow:  # the platform's own job: a unit acting for nobody
        await jobs.enqueue(uow, "identity.send_account_exists", {"email": "c@example.com", "locale": "en"})
    owner = await asyncpg.connect(postgres_settings.migration_database_url)
    try:
        count = 'SELECT count(*) FROM "job" WHERE creator_id IS NOT DISTINCT FROM $1'
        of_a = await owner.fetchval(count, uuid.UUID(a_id))
        of_b = await owner.fetchval(count, uuid.UUID(b_id))
        of_platform = await owner.fetchval(count, None)
        everything = await owner.fetchval('SELECT count(*) FROM "job"')
    finally:
        await owner.close()
    assert of_a >= 1 and of_b >= 1 and of_platform >= 1, (of_a, of_b, of_platform)
    connection = await asyncpg.connect(postgres_settings.database_url)
    try:
        assert await connection.fetchval("SELECT current_user") == APP_ROLE
        assert await connection.fetchval('SELECT count(*) FROM "job"') == everything  # the worker's view
        async with connection.transaction():
            await connection.execute("SELECT set_config($1, $2, true)", tenancy.SETTING, b_id)
            assert await connection.fetchval(count, uuid.UUID(a_id)) == 0
            assert await connection.fetchval('SELECT count(*) FROM "job"') == of_b
            changed = await connection.execute(
                "UPDATE job SET status = 'dead' WHERE creator_id = $1", uuid.UUID(a_id)
            )
            assert changed == "UPDATE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with connection.transaction():
                await connection.execute("SELECT set_config($1, $2, true)", tenancy.SETTING, b_id)
                await connection.execute(
                    "INSERT INTO job (id, creator_id, name, payload, status, attempts, run_at, last_error, "
                    "created_at) VALUES ($1, $2, 'x', '{}', 'done', 0, now(), '', now())",
                    uuid.uuid4(),
                    uuid.UUID(a_id),
                )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with connection.transaction():
                await connection.execute("SELECT set_config($1, $2, true)", tenancy.SETTING, b_id)
                await connection.execute(
                    "INSERT INTO job (id, creator_id, name, payload, status, attempts, run_at, last_error, "
                    "created_at) VALUES ($1, NULL, 'x', '{}', 'done', 0, now(), '', now())",
                    uuid.uuid4(),
                )
    finally:
        await connection.close()


@ON_POSTGRES
async def test_a_platform_job_whose_handler_acts_for_a_creator_completes_once(
    postgres_settings: Settings, app: Litestar
) -> None:
    """The fenced completion acts for nobody again: a creator's unit no longer sees platform jobs, and a handler
    that acted for a creator in the job's unit must not leave its job to run again."""
    creator = uuid.uuid4()
    ran: list[str] = []

    @jobs.job("test.platform_job_acting_for_a_creator")
    async def handler(context: jobs.JobContext, payload: dict[str, str]) -> None:
        async with tenant_for(uuid.UUID(payload["creator_id"])) as tenant, tenant.scope():
            await Job.count()  # a query in the creator's name, in the job's own unit
        ran.append(payload["creator_id"])

    async with unit_of_work() as uow:  # acting for nobody: a platform job
        job_id = await jobs.enqueue(
            uow, "test.platform_job_acting_for_a_creator", {"creator_id": str(creator)}
        )
    await drain_jobs(app)
    assert ran == [str(creator)]
    async with unit_of_work() as uow:
        [row] = await uow.run(Job.select(Job.status, Job.creator_id).where(Job.id == job_id))
    assert (row["status"], row["creator_id"]) == ("done", None)


@ON_POSTGRES
async def test_accounts_and_phone_codes_are_seen_only_by_a_key_the_unit_knows(
    postgres_settings: Settings, client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    """Emails, phones and password hashes are personal data read before anybody is acting. The app role sees an
    account when acting for it or when it names the account's id, email, phone or handle; a query without such a
    key (a forgotten WHERE) lists nobody, and one key never shows another account."""
    a_id = await creator_with_rows_everywhere(client, app)
    b_id = await creator_with_rows_everywhere(client, app)
    phone = "+251911000123"
    async with unit_of_work() as uow:  # a phone sign-up's code: personal data that belongs to nobody yet
        await identity.request_phone_code(
            uow,
            inputs.phone_sign_up_form(display_name="Abebe", handle=f"p{uuid.uuid4().hex[:8]}", phone=phone),
            secret_key=SECRET,
            locale="en",
        )
    owner = await asyncpg.connect(postgres_settings.migration_database_url)
    try:
        a = await owner.fetchrow("SELECT id::text, email, handle FROM creator WHERE id = $1", uuid.UUID(a_id))
        accounts = await owner.fetchval("SELECT count(*) FROM creator")
        codes = await owner.fetchval("SELECT count(*) FROM phone_code WHERE phone = $1", phone)
    finally:
        await owner.close()
    assert a is not None and accounts >= 2 and codes == 1
    connection = await asyncpg.connect(postgres_settings.database_url)
    try:
        assert await connection.fetchval("SELECT current_user") == APP_ROLE
        for table in ("creator", "phone_code"):
            assert await connection.fetchval(f'SELECT count(*) FROM "{table}"') == 0, table
        for key in (a["id"], a["email"], a["handle"]):
            async with connection.transaction():
                await connection.execute("SELECT set_config($1, $2, true)", tenancy.ACCOUNT_KEY_SETTING, key)
                assert await connection.fetch("SELECT id::text FROM creator") == [(a_id,)], key
                assert await connection.fetchval("SELECT count(*) FROM phone_code") == 0
        async with connection.transaction():
            await connection.execute("SELECT set_config($1, $2, true)", tenancy.SETTING, b_id)
            assert [row["id"] for row in await connection.fetch("SELECT id::text FROM creator")] == [b_id]
            changed = await connection.execute("UPDATE creator SET display_name = 'x' WHERE id = $1", a["id"])
            assert changed == "UPDATE 0"
        async with connection.transaction():
            await connection.execute("SELECT set_config($1, $2, true)", tenancy.ACCOUNT_KEY_SETTING, phone)
            assert await connection.fetchval("SELECT count(*) FROM phone_code") == 1
            assert await connection.fetchval("SELECT count(*) FROM creator") == 0  # nobody has the number yet
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # a row the unit could not see afterwards
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config($1, $2, true)", tenancy.ACCOUNT_KEY_SETTING, phone
                )
                await connection.execute(
                    "INSERT INTO phone_code (id, phone, purpose, code_digest, pending, attempts, expires_at, "
                    "created_at) VALUES ($1, '+251911999999', 'login', '', '{}', 0, now(), now())",
                    uuid.uuid4(),
                )
    finally:
        await connection.close()


# Every table the app role may read without row-level security, and why that holds no one's personal data.
OUTSIDE_RLS = {
    "analytics_log_object": "which CDN log files were counted",
    "analytics_salt": "the daily salts of visitor digests",
    "audience_sms_opt_out": "keyed digests of phones that replied STOP, never the numbers",
    "flag": "feature flags",
    "library_link": "keyed digests of one-time library links and the buyer key they open",
    "migration": "Piccolo's record of applied migrations",
    "rendered_page": "public pages, as anybody receives them",
    "retired_handle": "old public handles and whose store they lead to",
    "sandbox_payment": "the sandbox gateway's own payments (amounts and references, no payer)",
    "sandbox_refund": "the sandbox gateway's own refunds",
}


@ON_POSTGRES
async def test_every_table_outside_row_level_security_is_declared_free_of_personal_data(
    postgres_settings: Settings,
) -> None:
    owner = await asyncpg.connect(postgres_settings.migration_database_url)
    try:
        rows = await owner.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relrowsecurity"
        )
    finally:
        await owner.close()
    assert {row["relname"] for row in rows} == set(OUTSIDE_RLS)

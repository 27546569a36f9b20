"""The schema's own guarantees, on both backends: foreign keys within a domain, the unique store lead, the
indexes the queries need, and jsonb on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from litestar import Litestar
from piccolo.querystring import QueryString

from windsurf.catalog.tables import Product, ProductFile
from windsurf.checkout.tables import DiscountCode, Order
from windsurf.core import db
from windsurf.core.uow import Tenant, tenant_for, unit_of_work
from windsurf.delivery.tables import Grant, GrantFile
from windsurf.stores.tables import Store, StoreLead

FOREIGN_KEY_SQLSTATE = "23503"
SQLITE_FOREIGN_KEY = 787  # SQLITE_CONSTRAINT_FOREIGNKEY


def is_foreign_key_violation(exc: BaseException) -> bool:
    return (
        getattr(exc, "sqlstate", None) == FOREIGN_KEY_SQLSTATE
        or getattr(exc, "sqlite_errorcode", None) == SQLITE_FOREIGN_KEY
    )


def _product(creator_id: uuid.UUID) -> Product:
    slug = f"p-{uuid.uuid4().hex[:8]}"
    return Product(id=uuid.uuid4(), creator_id=creator_id, kind="download", title=slug, slug=slug)


def _file(creator_id: uuid.UUID, product_id: uuid.UUID) -> ProductFile:
    return ProductFile(
        id=uuid.uuid4(),
        creator_id=creator_id,
        product_id=product_id,
        storage_key=f"private/files/{uuid.uuid4()}",
        filename="a.pdf",
        content_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
    )


def _lead(creator_id: uuid.UUID, contact: str) -> StoreLead:
    return StoreLead(
        id=uuid.uuid4(), creator_id=creator_id, block_id="b1", contact_kind="email", contact=contact
    )


async def _refused(tenant: Tenant, row: object) -> BaseException:
    with pytest.raises(Exception) as raised:
        async with tenant.savepoint():
            await type(row).insert(row)  # type: ignore[attr-defined]
    return raised.value


async def test_a_product_file_needs_its_product_and_goes_with_it(app: Litestar) -> None:
    creator = uuid.uuid4()
    async with tenant_for(creator) as tenant:
        product = _product(creator)
        async with tenant.scope():
            await Product.insert(product)
            await ProductFile.insert(_file(creator, product.id))
        assert is_foreign_key_violation(await _refused(tenant, _file(creator, uuid.uuid4())))
        async with tenant.scope():
            await Product.delete().where(Product.id == product.id)
            assert await ProductFile.count().where(ProductFile.creator_id == creator) == 0


async def test_a_store_lead_needs_its_store_and_is_kept_once_per_contact(app: Litestar) -> None:
    creator, other = uuid.uuid4(), uuid.uuid4()
    async with tenant_for(creator) as tenant:
        assert is_foreign_key_violation(await _refused(tenant, _lead(creator, "a@example.com")))
        async with tenant.scope():
            await Store.insert(Store(id=uuid.uuid4(), creator_id=creator, draft={"name": "x"}))
            await StoreLead.insert(_lead(creator, "a@example.com"))
        assert db.is_unique_violation(await _refused(tenant, _lead(creator, "a@example.com")))
        async with tenant.scope():
            await StoreLead.insert(_lead(creator, "b@example.com"))
            assert await StoreLead.count().where(StoreLead.creator_id == creator) == 2
    async with (
        tenant_for(other) as tenant,
        tenant.scope(),
    ):  # the same contact in another store is another lead
        await Store.insert(Store(id=uuid.uuid4(), creator_id=other, draft={"name": "y"}))
        await StoreLead.insert(_lead(other, "a@example.com"))


def _grant(creator_id: uuid.UUID) -> Grant:
    return Grant(
        id=uuid.uuid4(),
        creator_id=creator_id,
        order_id=uuid.uuid4(),
        order_number=uuid.uuid4().hex[:12],
        product_id=uuid.uuid4(),
        product_title="Guide",
        buyer_key="k" * 64,
        download_limit=5,
    )


def _grant_file(creator_id: uuid.UUID, grant_id: uuid.UUID) -> GrantFile:
    return GrantFile(
        id=uuid.uuid4(),
        creator_id=creator_id,
        grant_id=grant_id,
        file_id=uuid.uuid4(),
        filename="a.pdf",
        content_type="application/pdf",
        storage_key="private/files/a",
    )


async def test_a_grant_file_needs_its_grant_and_goes_with_it(app: Litestar) -> None:
    creator = uuid.uuid4()
    async with tenant_for(creator) as tenant:
        grant = _grant(creator)
        async with tenant.scope():
            await Grant.insert(grant)
            await GrantFile.insert(_grant_file(creator, grant.id))
        assert is_foreign_key_violation(await _refused(tenant, _grant_file(creator, uuid.uuid4())))
        async with tenant.scope():
            await Grant.delete().where(Grant.id == grant.id)
            assert await GrantFile.count().where(GrantFile.creator_id == creator) == 0


async def test_an_order_names_one_of_the_stores_discount_codes(app: Litestar) -> None:
    creator = uuid.uuid4()

    def order(code_id: uuid.UUID) -> Order:
        return Order(
            id=uuid.uuid4(),
            creator_id=creator,
            number=uuid.uuid4().hex[:12],
            submission_key=uuid.uuid4().hex,
            product_id=uuid.uuid4(),
            product_title="Guide",
            buyer_name="Abebe",
            method="telebirr",
            list_santim=10_000,
            discount_santim=1_000,
            amount_santim=9_000,
            discount_code_id=code_id,
            expires_at=dt.datetime.now(dt.UTC),
        )

    async with tenant_for(creator) as tenant:
        code = DiscountCode(id=uuid.uuid4(), creator_id=creator, code="TEN", kind="percent", value=10)
        placed = order(code.id)
        async with tenant.scope():
            await DiscountCode.insert(code)
            await Order.insert(placed)
        assert is_foreign_key_violation(await _refused(tenant, order(uuid.uuid4())))
        async with tenant.scope():
            await DiscountCode.delete().where(DiscountCode.id == code.id)
            kept = await Order.select(Order.discount_code_id, Order.amount_santim).where(
                Order.id == placed.id
            )
    assert kept == [{"discount_code_id": None, "amount_santim": 9_000}]  # the order keeps what it charged


INDEXES = {
    "product_creator_listing": "product",
    "product_creator_slug_key": "product",
    "store_lead_creator_contact_key": "store_lead",
    "sign_in_creator_created": "sign_in",
}


async def test_the_indexes_the_queries_need_exist(app: Litestar) -> None:
    async with unit_of_work() as uow:
        if db.is_postgres(uow.engine):
            rows = await uow.run(QueryString("SELECT indexname AS name, tablename AS tbl FROM pg_indexes"))
        else:
            rows = await uow.run(
                QueryString("SELECT name, tbl_name AS tbl FROM sqlite_master WHERE type = 'index'")
            )
    found = {row["name"]: row["tbl"] for row in rows}
    assert {name: found.get(name) for name in INDEXES} == INDEXES
    assert ("job_claimable" in found) == db.is_postgres(db.bound_engine())


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_json_columns_are_jsonb_on_postgres(app: Litestar) -> None:
    async with unit_of_work() as uow:
        rows = await uow.run(
            QueryString(
                "SELECT table_name || '.' || column_name AS name, data_type FROM information_schema.columns "
                "WHERE data_type IN ('json', 'jsonb') AND table_schema = 'public'"
            )
        )
    assert {row["name"]: row["data_type"] for row in rows} == {
        "flag.creators": "jsonb",
        "job.payload": "jsonb",
        "phone_code.pending": "jsonb",
        "product.cover": "jsonb",
        "store.draft": "jsonb",
        "store.published": "jsonb",
    }

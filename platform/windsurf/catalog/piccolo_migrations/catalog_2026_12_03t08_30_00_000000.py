"""A product file belongs to its product (a foreign key); covers as jsonb on PostgreSQL; the store page's index.

Captured leads keep no foreign key to their product on purpose: they are the creator's list and outlive a deleted
lead magnet. The index serves the store page's query: a creator's published products in display order.
"""

from piccolo.columns.column_types import JSON, JSONB

from windsurf.core.schema import PostgresTypeChanges, add_foreign_key, on_postgres, run_sql

ID = "2026-12-03T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "product_file -> product, product.cover jsonb, published products in order"


async def forwards():
    manager = PostgresTypeChanges(migration_id=ID, app_name="catalog", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Product",
        tablename="product",
        column_name="cover",
        db_column_name="cover",
        params={},
        old_params={},
        column_class=JSONB,
        old_column_class=JSON,
        schema=None,
    )

    async def forwards_sql():
        # Rows for a product that is gone are unreachable (the service deletes files with their product); the
        # owner does not see them through row-level security unless it is lifted for the cleanup.
        if on_postgres():
            await run_sql('ALTER TABLE "product_file" NO FORCE ROW LEVEL SECURITY')
        await run_sql("DELETE FROM product_file WHERE product_id NOT IN (SELECT id FROM product)")
        if on_postgres():
            await run_sql('ALTER TABLE "product_file" FORCE ROW LEVEL SECURITY')
        await add_foreign_key("product_file", "product_id", "product", "id")
        await run_sql(
            "CREATE INDEX IF NOT EXISTS product_creator_listing "
            "ON product (creator_id, visibility, position, created_at)"
        )

    async def backwards_sql():
        await run_sql("DROP INDEX IF EXISTS product_creator_listing")
        if on_postgres():
            await run_sql("ALTER TABLE product_file DROP CONSTRAINT IF EXISTS product_file_product_id_fkey")

    manager.add_raw(forwards_sql)
    manager.add_raw_backwards(backwards_sql)
    return manager

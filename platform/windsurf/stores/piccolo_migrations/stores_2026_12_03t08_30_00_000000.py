"""A store's documents as jsonb on PostgreSQL; a lead belongs to its store, and one contact is kept once per store.

``store_lead (creator_id, contact)`` is unique, so the service inserts and treats the duplicate key as "already
subscribed" (no check-then-insert race). Duplicates that such a race left behind are merged first, keeping the
earliest. A store's leads go with it (the store row goes only with its creator).
"""

from piccolo.columns.column_types import JSON, JSONB

from windsurf.core.schema import PostgresTypeChanges, add_foreign_key, on_postgres, run_sql

ID = "2026-12-03T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "store documents jsonb, store_lead -> store, store_lead (creator_id, contact) unique"


async def forwards():
    manager = PostgresTypeChanges(migration_id=ID, app_name="stores", description=DESCRIPTION)
    for column in ("draft", "published"):
        manager.alter_column(
            table_class_name="Store",
            tablename="store",
            column_name=column,
            db_column_name=column,
            params={},
            old_params={},
            column_class=JSONB,
            old_column_class=JSON,
            schema=None,
        )

    async def forwards_sql():
        if on_postgres():  # the owner sees every row only with row-level security lifted
            await run_sql('ALTER TABLE "store_lead" NO FORCE ROW LEVEL SECURITY')
        await run_sql(
            "DELETE FROM store_lead WHERE id IN (SELECT id FROM ("
            "SELECT id, row_number() OVER (PARTITION BY creator_id, contact ORDER BY created_at, id) AS n "
            "FROM store_lead) AS ranked WHERE n > 1)"
        )
        if on_postgres():
            await run_sql('ALTER TABLE "store_lead" FORCE ROW LEVEL SECURITY')
        await run_sql(
            "CREATE UNIQUE INDEX IF NOT EXISTS store_lead_creator_contact_key ON store_lead (creator_id, contact)"
        )
        await add_foreign_key("store_lead", "creator_id", "store", "creator_id")

    async def backwards_sql():
        await run_sql("DROP INDEX IF EXISTS store_lead_creator_contact_key")
        if on_postgres():
            await run_sql("ALTER TABLE store_lead DROP CONSTRAINT IF EXISTS store_lead_creator_id_fkey")

    manager.add_raw(forwards_sql)
    manager.add_raw_backwards(backwards_sql)
    return manager

"""A phone code's pending sign-up as jsonb on PostgreSQL; a creator's sign-ins listed newest first from an index."""

from piccolo.columns.column_types import JSON, JSONB

from windsurf.core.schema import PostgresTypeChanges, run_sql

ID = "2026-12-03T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "phone_code.pending jsonb, sign_in (creator_id, created_at)"


async def forwards():
    manager = PostgresTypeChanges(migration_id=ID, app_name="identity", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="PhoneCode",
        tablename="phone_code",
        column_name="pending",
        db_column_name="pending",
        params={},
        old_params={},
        column_class=JSONB,
        old_column_class=JSON,
        schema=None,
    )

    async def create_index():
        await run_sql("CREATE INDEX IF NOT EXISTS sign_in_creator_created ON sign_in (creator_id, created_at)")

    async def drop_index():
        await run_sql("DROP INDEX IF EXISTS sign_in_creator_created")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager

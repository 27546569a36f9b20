"""The job payload as jsonb on PostgreSQL, and a partial index for the jobs a worker may claim.

The claim query (windsurf.core.jobs) asks for pending jobs that are due and running jobs whose lease ran out, in
run_at order; finished jobs pile up between prunings and are left out of the index.
"""

from piccolo.columns.column_types import JSON, JSONB

from windsurf.core.schema import PostgresTypeChanges, on_postgres, run_sql

ID = "2026-12-03T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "job payload jsonb, claimable jobs index"


async def forwards():
    manager = PostgresTypeChanges(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Job",
        tablename="job",
        column_name="payload",
        db_column_name="payload",
        params={},
        old_params={},
        column_class=JSONB,
        old_column_class=JSON,
        schema=None,
    )

    async def create_index():
        if on_postgres():
            await run_sql(
                "CREATE INDEX IF NOT EXISTS job_claimable ON job (run_at) WHERE status IN ('pending', 'running')"
            )

    async def drop_index():
        await run_sql("DROP INDEX IF EXISTS job_claimable")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager

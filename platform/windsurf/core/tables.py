"""The outbox: background work recorded in the same transaction as the change that causes it."""

from piccolo.columns import JSONB, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Job(Table, tablename="job"):
    """One job. On PostgreSQL the partial index ``job_claimable`` (run_at of pending and running jobs) serves the
    claim query; done jobs are pruned after a week (windsurf.core.jobs), dead ones kept for staff."""

    id = UUID(primary_key=True)
    name = Varchar(length=100, index=True)
    payload = JSONB()
    status = Varchar(length=16, default="pending", index=True)  # pending | running | done | dead
    attempts = Integer(default=0)
    run_at = Timestamptz(default=TimestamptzNow(), index=True)
    locked_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())

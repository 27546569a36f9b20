"""The outbox: background work recorded in the same transaction as the change that causes it."""

from piccolo.columns import JSON, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Job(Table, tablename="job"):
    id = UUID(primary_key=True)
    name = Varchar(length=100, index=True)
    payload = JSON()
    status = Varchar(length=16, default="pending", index=True)  # pending | running | done | dead
    attempts = Integer(default=0)
    run_at = Timestamptz(default=TimestamptzNow(), index=True)
    locked_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())

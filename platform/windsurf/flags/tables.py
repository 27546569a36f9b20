"""Feature flags: one row per flag, owned by the platform (no creator_id: staff set them, every request reads them).

A flag is on for everyone (``enabled``) or only for the creators listed in ``creators`` (their ids as text), so a
feature can be tried with a few creators before everyone gets it. Each environment has its own database, so the
same flag can differ between dev, staging and production.
"""

from piccolo.columns import JSONB, Boolean, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Flag(Table, tablename="flag"):
    name = Varchar(length=64, primary_key=True)
    enabled = Boolean(default=False)
    creators = JSONB(default=[])
    description = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Varchar(length=254, default="")

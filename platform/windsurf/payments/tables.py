"""The sandbox gateway's own state: the payments it was asked to collect, so a restart loses none of them.

This is the fake provider's database, not our orders: checkout keeps its own records and reaches these
only through the gateway's HTTP API, as it would reach Chapa's.
"""

from piccolo.columns import BigInt, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class SandboxPayment(Table, tablename="sandbox_payment"):
    id = UUID(primary_key=True)
    reference = Varchar(length=64, unique=True)  # the merchant's reference: one payment per reference
    amount = BigInt()  # santim
    currency = Varchar(length=3)
    description = Varchar(length=200, default="")
    return_url = Text()
    notify_url = Text()
    status = Varchar(length=16, default="pending")  # pending | paid | failed | cancelled
    notify = Varchar(length=16, default="")  # deliver | delay | duplicate | drop; "" -> the gateway's setting
    notifications_sent = Integer(default=0)  # deliveries the merchant acknowledged with a 2xx
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)

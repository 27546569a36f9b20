"""Payment attempts (ours), and the sandbox gateway's own state (the fake provider's).

``PaymentAttempt`` is each try at paying an order through one provider, under a reference of ours; it is
creator-owned (row-level security), and ``(provider, reference)`` is unique (the migration's index), so a
notification or a status answer names exactly one attempt. The reference starts with the creator's id, so a
callback, which carries nothing else of ours, can be handled acting for that creator.

``SandboxPayment`` is the sandbox gateway's database, not our orders: the payments domain reaches it only through
the gateway's HTTP API, as it reaches Chapa's.
"""

from piccolo.columns import BigInt, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from windsurf.core.tenancy import creator_owned


class SandboxPayment(Table, tablename="sandbox_payment"):
    id = UUID(primary_key=True)
    reference = Varchar(length=64, unique=True)  # the merchant's reference: one payment per reference
    amount = BigInt()  # santim
    currency = Varchar(length=3)
    description = Varchar(length=200, default="")
    return_url = Text()
    notify_url = Text()
    status = Varchar(length=16, default="pending")  # pending | paid | failed | cancelled | refunded (in full)
    refunded = BigInt(default=0)  # santim given back so far
    notify = Varchar(length=16, default="")  # deliver | delay | duplicate | drop; "" -> the gateway's setting
    notifications_sent = Integer(default=0)  # deliveries the merchant acknowledged with a 2xx
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)


class SandboxRefund(Table, tablename="sandbox_refund"):
    """A refund the sandbox gateway made, under the merchant's refund reference: the same one again is answered
    as it was, so asking twice never refunds twice."""

    id = UUID(primary_key=True)
    reference = Varchar(length=64, unique=True)  # the merchant's refund reference
    payment_reference = Varchar(length=64, index=True)
    amount = BigInt()  # santim
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class PaymentAttempt(Table, tablename="payment_attempt"):
    """``status``: starting -> started (the buyer may pay) or unknown (a start that timed out) -> paid | failed."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    order_id = UUID(index=True)
    provider = Varchar(length=16)
    reference = Varchar(length=64)
    provider_reference = Varchar(length=128, default="")
    redirect_url = Text(default="")
    payment_code = Varchar(length=64, default="")
    amount_santim = Integer()
    currency = Varchar(length=3)
    status = Varchar(length=12, default="starting")
    error_code = Varchar(length=40, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

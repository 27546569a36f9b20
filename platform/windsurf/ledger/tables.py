"""The ledger's tables: double-entry books per creator, payout destinations, payouts and their audit trail.

Every row belongs to one creator (``creator_id``, under row-level security). The platform's own accounts (the
provider's and the platform's fees, money on its way to a creator) are legs of the same creator-owned transactions,
named by ``account``: a sale's whole transaction, every leg of it, lives in the book of the creator who sold. The
platform's totals are sums over every book, which only the database owner (reporting) reads.

Balances are never stored: they are sums of ``LedgerEntry.amount``. Amounts are integer santim, debit positive and
credit negative, and every transaction's legs sum to zero.
"""

from piccolo.columns import BigInt, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from windsurf.core.tenancy import creator_owned


@creator_owned
class LedgerBook(Table, tablename="ledger_book"):
    """One per creator: the row that payout requests and refunds lock, so balance checks serialise per creator."""

    id = UUID(primary_key=True)
    creator_id = UUID(unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class LedgerTransaction(Table, tablename="ledger_transaction"):
    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    kind = Varchar(length=16)  # sale | refund | payout_hold | payout_release | payout_paid
    # "<kind>:<reference>", unique: posting the same sale, refund or payout step twice is a schema violation.
    key = Varchar(length=220, unique=True)
    reference = Varchar(length=200, index=True)  # the order reference (sales, refunds) or the payout id
    currency = Varchar(length=3, default="ETB")
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class LedgerEntry(Table, tablename="ledger_entry"):
    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    transaction_id = UUID(index=True)
    account = Varchar(length=32, index=True)
    amount = BigInt()  # santim; debit positive, credit negative
    # Creator legs only: when this money may be paid out (a sale's holding period; refunds share their sale's).
    available_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class PayoutDestination(Table, tablename="payout_destination"):
    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    kind = Varchar(length=16)  # telebirr | bank
    phone = Varchar(length=16, default="")  # E.164, telebirr
    bank = Varchar(length=16, default="")  # a code from service.BANKS
    account_number = Varchar(length=32, default="")
    account_name = Varchar(length=120, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    removed_at = Timestamptz(null=True, default=None)


@creator_owned
class Payout(Table, tablename="payout"):
    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    destination_id = UUID()
    amount = BigInt()
    currency = Varchar(length=3, default="ETB")
    status = Varchar(length=16, default="requested", index=True)  # requested|approved|rejected|paid|failed
    reason = Text(default="")  # the last decision's reason, shown to the creator
    provider_reference = Varchar(length=200, default="")
    requested_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class PayoutEvent(Table, tablename="payout_event"):
    """The audit trail: every state change of a payout, who made it, when and why."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    payout_id = UUID(index=True)
    from_status = Varchar(length=16, default="")
    to_status = Varchar(length=16)
    actor_id = UUID(null=True, default=None)  # the creator or staff member; None for the platform itself
    actor_role = Varchar(length=16)  # creator | staff | system
    reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())

"""Accounts, one-time phone codes, password resets and the sign-in history creators can review."""

from piccolo.columns import JSONB, Boolean, Integer, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from windsurf.core.tenancy import creator_owned, platform_owned


class Creator(Table, tablename="creator"):
    """An account. Logging in must find it before anybody is acting, so it is not creator-owned: on PostgreSQL
    its policy (``tenancy.account_policy_statements``) shows a unit the creator it acts for and the account whose
    id, email, phone or handle it names (``UnitOfWork.look_up``), never everybody's."""

    id = UUID(primary_key=True)
    handle = Varchar(length=30, unique=True, null=True, default=None)
    display_name = Varchar(length=80)
    email = Varchar(length=254, unique=True, null=True, default=None)
    phone = Varchar(length=16, unique=True, null=True, default=None)
    password_hash = Varchar(length=255, null=True, default=None)
    locale = Varchar(length=2, default="am")
    is_staff = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    # Publishing, selling and payouts wait until one of these is set: the email by its emailed link, the phone
    # by its SMS code (a phone sign-up is verified by the code it signed up with).
    email_verified_at = Timestamptz(null=True, default=None)
    phone_verified_at = Timestamptz(null=True, default=None)
    # An email signed up with that already had an account: shown to this account as its address, never verified
    # or written to (its owner is told instead), so that a sign-up reads alike whether or not it was taken.
    unconfirmed_email = Varchar(length=254, null=True, default=None)


class PhoneCode(Table, tablename="phone_code"):
    """A one-time code sent by SMS; only its keyed digest is stored.

    A code is asked for and confirmed before anybody is acting, and a sign-up's code belongs to no creator yet,
    so there is no tenant to compare with: on PostgreSQL a unit sees the codes of the phone it names
    (``UnitOfWork.look_up``), like ``creator``. The code itself is kept only as a keyed digest.
    """

    id = UUID(primary_key=True)
    phone = Varchar(length=16, index=True)
    purpose = Varchar(length=16)  # signup | login
    code_digest = Varchar(length=64)
    pending = JSONB(default={})  # what a signup asked for, applied when the code is confirmed
    attempts = Integer(default=0)
    expires_at = Timestamptz()
    consumed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class PasswordReset(Table, tablename="password_reset"):
    """A password-reset link; only its keyed digest is stored. The link names its creator (see service)."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    token_digest = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class SignIn(Table, tablename="sign_in"):
    """One successful sign-in, so a creator can spot a session that was not theirs.

    Listed newest first from the index ``(creator_id, created_at)`` that the migration makes.
    """

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    method = Varchar(length=16)  # password | phone
    ip = Varchar(length=45)
    user_agent = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())


@platform_owned(
    "a buyer's request resolves an old address, and sign-ups check every creator's, with nobody acting"
)
class RetiredHandle(Table, tablename="retired_handle"):
    """A handle a creator moved away from: ``/@handle`` redirects to their store until ``until``, and only they
    may take it back, so printed QR codes and shared links never lead to somebody else's store.

    Platform-owned (not under RLS): a buyer's request resolves the old address before anybody is acting, and
    every sign-up and handle change must see every creator's retired handles. It holds public handles only.
    """

    id = UUID(primary_key=True)
    handle = Varchar(length=30, unique=True)
    creator_id = UUID(index=True)
    retired_at = Timestamptz(default=TimestamptzNow())
    until = Timestamptz()

"""Contacts, what they asked us never to do again, broadcasts and their per-recipient deliveries.

Creator-owned tables are under row-level security. Uniqueness lives in the schema (migration indexes):
``contact (creator_id, email)`` and ``(creator_id, phone)`` merge a person into one contact,
``delivery (broadcast_id, contact_id)`` sends a broadcast to a contact at most once, and
``suppression (creator_id, channel, digest)`` records an opt-out once.
"""

from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from windsurf.core.tenancy import creator_owned


@creator_owned
class Contact(Table, tablename="audience_contact"):
    """One person on a creator's list. ``tags`` is ``",a,b,"`` so a tag filter is one portable LIKE."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    email = Varchar(length=254, null=True, default=None)  # lower case
    phone = Varchar(length=16, null=True, default=None)  # E.164
    name = Varchar(length=100, default="")
    source = Varchar(length=16)  # lead_block | lead_magnet | purchase | import | manual
    joined_at = Timestamptz(default=TimestamptzNow())
    email_consent = Boolean(default=False)
    email_consent_at = Timestamptz(null=True, default=None)
    email_consent_how = Varchar(length=32, default="")
    sms_consent = Boolean(default=False)
    sms_consent_at = Timestamptz(null=True, default=None)
    sms_consent_how = Varchar(length=32, default="")
    tags = Varchar(length=500, default="")
    notes = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class Suppression(Table, tablename="audience_suppression"):
    """An address that must never be sent to again on ``channel`` (email | sms), kept as a keyed digest so that
    an unsubscribed or deleted person outlives their contact row without keeping their address."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    channel = Varchar(length=8)
    digest = Varchar(length=64)
    reason = Varchar(length=16)  # unsubscribed | deleted | stop_reply
    created_at = Timestamptz(default=TimestamptzNow())


class SmsOptOut(Table, tablename="audience_sms_opt_out"):
    """A phone that replied STOP to the platform's sender: no creator texts it again (the sender is shared)."""

    digest = Varchar(length=64, primary_key=True)
    created_at = Timestamptz(default=TimestamptzNow())


@creator_owned
class Broadcast(Table, tablename="audience_broadcast"):
    """A message to the consenting part of the list on one channel. ``status``: draft -> sending -> sent."""

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    channel = Varchar(length=8)  # email | sms | telegram
    subject = Varchar(length=150, default="")
    body_md = Text(default="")
    tag = Varchar(length=40, default="")  # only contacts with this tag ("" = everyone who consented)
    status = Varchar(length=12, default="draft")
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    error = Varchar(length=300, default="")  # why a Telegram post failed for good


@creator_owned
class Delivery(Table, tablename="audience_delivery"):
    """One recipient of one broadcast: queued -> sending -> sent, failed (with reason) or skipped_unsubscribed.

    ``sending`` is a claim with a lease (``claimed_until``): a worker that died holding it leaves it to be sent
    again after the lease, under the same Message-ID (made from the delivery's id).
    """

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    broadcast_id = UUID(index=True)
    contact_id = UUID()
    channel = Varchar(length=8)
    address = Varchar(length=254)
    state = Varchar(length=24, default="queued", index=True)
    reason = Varchar(length=300, default="")
    attempts = Integer(default=0)
    claimed_until = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)


@creator_owned
class AudienceSettings(Table, tablename="audience_settings"):
    """A creator's audience settings: the Telegram channel (``@name``) the platform's bot posts broadcasts to."""

    id = UUID(primary_key=True)
    creator_id = UUID(unique=True)
    telegram_channel = Varchar(length=64, default="")
    updated_at = Timestamptz(default=TimestamptzNow())

"""A creator's store: one row holding the draft the builder edits and the snapshot buyers see, plus its leads.

The whole store (profile, theme, links, settings and the ordered blocks) is one JSON document. Publishing
copies the draft into ``published`` in a single UPDATE, so buyers never see half a change and a draft edit can
never leak.
"""

from piccolo.columns import JSONB, Integer, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from windsurf.core.tenancy import creator_owned


@creator_owned
class Store(Table, tablename="store"):
    id = UUID(primary_key=True)
    creator_id = UUID(unique=True)
    draft = JSONB(default={})
    published = JSONB(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    profile_version = Integer(default=1)  # bumped by every profile save; a stale profile save is refused


@creator_owned
class StoreLead(Table, tablename="store_lead"):
    """An email address or phone number a buyer left in a store's capture block; the creator owns it.

    The migrations make ``(creator_id, contact)`` unique (a contact is kept once per store) and ``creator_id``
    reference ``store.creator_id``.
    """

    id = UUID(primary_key=True)
    creator_id = UUID(index=True)
    block_id = Varchar(length=32)
    contact_kind = Varchar(length=8)  # email | phone
    contact = Varchar(length=254)
    created_at = Timestamptz(default=TimestamptzNow())

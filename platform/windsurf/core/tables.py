"""Cross-cutting tables: the outbox of background jobs, and the rendered public pages buyers read."""

from piccolo.columns import JSONB, BigInt, Bytea, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Job(Table, tablename="job"):
    """One job. On PostgreSQL the partial index ``job_claimable`` (run_at of pending and running jobs) serves the
    claim query; done jobs are pruned after a week (windsurf.core.jobs), dead ones kept for staff.

    ``creator_id`` is the creator the enqueuing unit of work acted for, or NULL for the platform's own jobs
    (sign-up and login messages, sweeps). The table is not creator-owned: the worker claims every creator's
    jobs while acting for nobody. Row-level security (``tenancy.job_policy_statements``) still keeps a unit
    that acts for one creator from reading or changing another creator's jobs, whose payloads may name that
    creator's buyers and leads.
    """

    id = UUID(primary_key=True)
    creator_id = UUID(null=True, default=None, index=True)
    name = Varchar(length=100, index=True)
    payload = JSONB()
    status = Varchar(length=16, default="pending", index=True)  # pending | running | done | dead
    attempts = Integer(default=0)
    run_at = Timestamptz(default=TimestamptzNow(), index=True)
    locked_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class RenderedPage(Table, tablename="rendered_page"):
    """A public page (a store at /@handle, a product at /@handle/slug) as buyers get it: rendered when it
    changes, kept compressed, read by buyers' requests with one lookup on the unique key (handle, slug, locale).

    Not creator-owned, on purpose, and so without a ``creator_id`` column. Row-level security exists to keep a
    creator's private data (drafts, leads, sign-ins) from other tenants; these rows hold only what anybody on
    the internet receives from the page's URL, and the buyer's request that reads them acts for no creator. Under
    RLS that request would see nothing, or would first have to look the handle up to act for its creator: a
    second query on the hottest path of the platform, to protect bytes that are public anyway. Rows are written
    only by the render job and the one-time render of a page that is missing, both from published data.

    ``locale`` is ``am`` or ``en``, or ``""`` for the store's own language (what a buyer who asks for none gets).
    ``version`` orders renders (microseconds since the epoch, taken before the render read its data): a write
    only replaces an older render, so a late or retried job never brings back an old page. ``status`` 404 is a
    tombstone: the product page no longer exists, and an older render may not bring it back either.
    """

    handle = Varchar(length=30)
    slug = Varchar(length=80, default="")  # "" for the store page
    locale = Varchar(length=8, default="")
    product_id = UUID(null=True, default=None)  # the product a product page shows (to drop a renamed one)
    status = Integer(default=200)
    language = Varchar(length=8, default="")  # the language the page is in (Content-Language)
    content_type = Varchar(length=64, default="text/html; charset=utf-8")
    etag = Varchar(length=40, default="")
    body_gzip = Bytea(default=b"")
    version = BigInt(default=0)
    rendered_at = Timestamptz(default=TimestamptzNow())

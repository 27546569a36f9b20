"""Background work of analytics: reading the CDN's access logs from the log bucket (every worker, every few
minutes; idempotent, so several workers at once count nothing twice)."""

from __future__ import annotations

from urllib.parse import urlsplit

from windsurf.analytics import cdnlogs
from windsurf.core import jobs

INGEST_EVERY_SECONDS = 300


@jobs.periodic("analytics.ingest_cdn_logs", INGEST_EVERY_SECONDS)
async def ingest_cdn_logs(context: jobs.JobContext) -> int:
    storage = cdnlogs.log_storage(context.settings)
    if storage is None:
        return 0
    own_host = urlsplit(context.settings.public_url).hostname or ""
    return await cdnlogs.ingest(storage, own_host=own_host)

"""A presigned S3 download names the file in any script: S3 sends back the Content-Disposition we sign."""

from __future__ import annotations

import asyncio

import httpx

from tests.platform.catalog.test_s3 import BUCKET, s3_endpoint
from tests.storefront.test_download_names import fallback_name, saved_name
from windsurf.core.storage import S3Storage

__all__ = ["s3_endpoint"]  # the fixture, shared with the S3 storage tests


async def test_a_presigned_download_keeps_an_amharic_name(s3_endpoint: str) -> None:
    storage = S3Storage(BUCKET, "names", s3_endpoint)
    await storage.put("private/files/a/b/amharic", b"%PDF-1.4 guide", "application/pdf")
    url = await storage.presigned_url("private/files/a/b/amharic", filename="የቡና መመሪያ.pdf")
    assert url
    fetched = await asyncio.to_thread(httpx.get, url)
    assert fetched.status_code == 200 and fetched.content == b"%PDF-1.4 guide"
    disposition = fetched.headers["content-disposition"]
    assert saved_name(disposition) == "የቡና መመሪያ.pdf"
    assert fallback_name(disposition) == "download.pdf"

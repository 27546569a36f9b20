"""S3 storage against moto's server on loopback: the storage protocol, and the app uploading files there."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import boto3
import httpx
import pytest
from litestar.testing import AsyncTestClient
from moto.server import ThreadedMotoServer

from tests.conftest import make_settings
from tests.platform.catalog.helpers import create, pdf_bytes, png_bytes, sign_up, upload
from windsurf.app import create_app
from windsurf.core.migrate import migrate
from windsurf.core.storage import S3Storage, StorageError
from windsurf.settings import Settings

BUCKET = f"windsurf-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "af-south-1",
        }.items():
            env.setenv(name, value)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint)
        if BUCKET not in {bucket["Name"] for bucket in client.list_buckets()["Buckets"]}:
            # moto keeps its state per process, so a second start of this fixture finds the bucket there.
            client.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "af-south-1"}
            )
        yield endpoint
        server.stop()


async def test_put_get_presign_delete(s3_endpoint: str) -> None:
    storage = S3Storage(BUCKET, "unit", s3_endpoint)
    await storage.put("private/files/a/b/c", b"%PDF-1.4 hello", "application/pdf")
    assert await storage.exists("private/files/a/b/c")
    assert await storage.get("private/files/a/b/c") == b"%PDF-1.4 hello"
    url = await storage.presigned_url("private/files/a/b/c", filename='my "book".pdf')
    assert url and url.startswith(s3_endpoint) and "Signature" in url
    fetched = await asyncio.to_thread(httpx.get, url)
    assert fetched.status_code == 200 and fetched.content == b"%PDF-1.4 hello"
    assert "attachment" in fetched.headers["content-disposition"]
    await storage.delete("private/files/a/b/c")
    assert not await storage.exists("private/files/a/b/c")
    with pytest.raises(StorageError):
        await storage.get("private/files/a/b/c")
    with pytest.raises(StorageError):
        await storage.put("../escape", b"x", "text/plain")


async def test_the_app_stores_product_files_and_covers_in_the_bucket(
    s3_endpoint: str, backend_settings: Settings
) -> None:
    prefix = f"app-{backend_settings.redis_namespace[-6:]}"
    settings = make_settings(
        **{
            **backend_settings.__dict__,
            "extra": {},
            "s3_bucket": BUCKET,
            "s3_prefix": prefix,
            "s3_endpoint_url": s3_endpoint,
        }
    )
    await migrate(settings)
    bucket = boto3.client("s3", endpoint_url=s3_endpoint)

    def keys() -> list[str]:
        listing = bucket.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")
        return sorted(item["Key"] for item in listing.get("Contents", []))

    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        client.follow_redirects = False
        await sign_up(client)
        product_id = await create(client)
        refused = await upload(
            client, f"/dashboard/products/{product_id}/files", "file", "book.epub", pdf_bytes()
        )
        assert refused.status_code == 422 and keys() == []

        pdf = pdf_bytes()
        assert (
            await upload(client, f"/dashboard/products/{product_id}/files", "file", "book.pdf", pdf)
        ).status_code == 303
        assert (
            await upload(client, f"/dashboard/products/{product_id}/cover", "cover", "c.png", png_bytes())
        ).status_code == 303
        stored = keys()
        assert len([k for k in stored if "/private/files/" in k]) == 1
        assert len([k for k in stored if "/public/covers/" in k]) == 3

        page = (await client.get(f"/dashboard/products/{product_id}")).text
        file_id = page.split(f"/dashboard/products/{product_id}/files/")[1].split('"')[0]
        download = await client.get(f"/dashboard/products/{product_id}/files/{file_id}")
        assert download.status_code == 303 and download.headers["location"].startswith(s3_endpoint)
        assert (await asyncio.to_thread(httpx.get, download.headers["location"])).content == pdf

        cover_key = next(k for k in stored if k.endswith("-160.webp")).removeprefix(f"{prefix}/")
        image = await client.get(f"/media/{cover_key}")
        assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
        private_key = next(k for k in stored if "/private/" in k).removeprefix(f"{prefix}/")
        assert (await client.get(f"/media/{private_key}")).status_code == 404

        assert (
            await client.post(
                f"/dashboard/products/{product_id}/delete", data={"_csrf_token": client.cookies["csrftoken"]}
            )
        ).status_code == 303
        assert keys() == []


async def test_listing_keys_strips_the_prefix_and_sees_only_its_own(s3_endpoint: str) -> None:
    mine = S3Storage(BUCKET, f"list-{uuid.uuid4().hex[:6]}", s3_endpoint)
    other = S3Storage(BUCKET, f"list-{uuid.uuid4().hex[:6]}", s3_endpoint)
    await mine.put("private/files/a/b/c", b"x", "application/octet-stream")
    await mine.put("public/covers/a/b/d-480.webp", b"y", "image/webp")
    await other.put("private/files/z/z/z", b"z", "application/octet-stream")
    listed = await mine.list_keys()
    assert sorted(key for key, _ in listed) == ["private/files/a/b/c", "public/covers/a/b/d-480.webp"]
    assert all(modified.tzinfo is not None for _, modified in listed)

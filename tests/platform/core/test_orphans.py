"""Files no row refers to (a crash between writing a file and its row) are removed by a periodic sweep;
files in use, files still being uploaded and files the sweep cannot attribute are kept."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.platform.catalog.helpers import create, pdf_bytes, png_bytes, sign_up, upload
from tests.storefront.store_helpers import upload_avatar
from windsurf.core import jobs, orphans


async def test_the_sweep_removes_only_unreferenced_files(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    await sign_up(client)
    creator = (await client.get("/api/v1/identity/me")).json()["id"]
    product = await create(client)
    base = f"/dashboard/products/{product}"
    assert (
        await upload(client, f"{base}/cover", "cover", "c.png", png_bytes(), "image/png")
    ).status_code == 303
    assert (
        await upload(client, f"{base}/files", "file", "guide.pdf", pdf_bytes(), "application/pdf")
    ).status_code == 303
    assert (await upload_avatar(client, png_bytes((300, 300)), "me.png")).status_code in {200, 303}
    storage = app.state.storage
    in_use = {key for key, _ in await storage.list_keys()}
    assert any(k.startswith("private/files/") for k in in_use) and any(
        k.startswith("public/covers/") for k in in_use
    )
    assert any(k.startswith("public/avatars/") for k in in_use)

    crashed = [
        f"private/files/{creator}/{product}/{uuid.uuid4()}",
        f"public/covers/{creator}/{product}/{'a' * 20}-480.webp",
        f"public/avatars/{creator}/{'b' * 16}-96.webp",
        f"public/covers/{uuid.uuid4()}/{uuid.uuid4()}/{'c' * 20}-480.webp",  # a creator with no rows at all
    ]
    unattributable = ["private/exports/report.csv", f"private/unknown/{creator}/x.bin"]
    for key in crashed + unattributable:
        await storage.put(key, b"left behind", "application/octet-stream")

    # Within the grace period nothing is touched: an upload may be between its file and its row.
    assert await orphans.sweep(storage) == []
    later = dt.datetime.now(dt.UTC) + orphans.GRACE + dt.timedelta(minutes=1)
    removed = await orphans.sweep(storage, now=later)
    assert sorted(removed) == sorted(crashed)
    remaining = {key for key, _ in await storage.list_keys()}
    assert in_use <= remaining and set(unattributable) <= remaining
    assert not set(crashed) & remaining
    assert (await client.get(f"/api/v1/catalog/products/{product}")).json()["file_names"] == ["guide.pdf"]
    assert "storage.sweep_orphans" in await jobs.run_periodic_tasks(app.state.jobs, {})

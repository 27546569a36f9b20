"""Shared helpers for catalog tests: signed-up creators, sample files and images."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.conftest import csrf, post_form
from tests.helpers import verify_email


async def sign_up(client: AsyncTestClient[Litestar], *, verified: bool = True) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    identity = {
        "display_name": "Selam Bekele",
        "handle": f"selam_{suffix}",
        "email": f"s.{suffix}@example.com",
        "password": "correct horse battery",
    }
    response = await post_form(client, "/signup/email", identity)
    assert response.status_code == 303, response.text
    if verified:
        await verify_email(client)
    return identity


async def create(client: AsyncTestClient[Litestar], **fields: str) -> str:
    """Create a product through the builder form; returns its id."""
    data = {"kind": "download", "title": "Coffee Guide", "price": "150", **fields}
    response = await post_form(client, "/dashboard/products/new", data)
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/")[-1].split("?")[0]


async def upload(
    client: AsyncTestClient[Litestar],
    url: str,
    field: str,
    filename: str,
    data: bytes,
    content_type: str = "application/octet-stream",
) -> Any:
    token = await csrf(client)
    return await client.post(url, data={"_csrf_token": token}, files={field: (filename, data, content_type)})


def pdf_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, "PDF")
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (11, 122, 83)).save(out, "PNG")
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()

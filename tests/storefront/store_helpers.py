"""Helpers for the store tests: sign up a creator over HTTP, read the dashboard, post builder forms."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any, TypeVar

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.conftest import csrf, post_form
from tests.helpers import verify_email

Client = AsyncTestClient[Litestar]
T = TypeVar("T")


async def sign_up(client: Client, name: str = "Hana Tesfaye", *, verified: bool = True) -> str:
    """A new creator, logged in on ``client`` (with the email verified unless ``verified`` is False, as its
    owner would by the emailed link); returns the handle."""
    handle = f"h_{uuid.uuid4().hex[:10]}"
    response = await post_form(
        client,
        "/signup/email",
        {
            "display_name": name,
            "handle": handle,
            "email": f"{handle}@example.com",
            "password": "correct horse battery",
        },
    )
    assert response.status_code == 303, response.text
    if verified:
        await verify_email(client)
    return handle


async def htmx_post(client: Client, url: str, data: dict[str, str]) -> Any:
    return await post_form(client, url, data, headers={"HX-Request": "true"})


def block_ids(html: str) -> list[str]:
    return re.findall(r'id="b-([0-9a-f]+)"', html)


async def dashboard_block_ids(client: Client) -> list[str]:
    page = await client.get("/dashboard")
    assert page.status_code == 200
    return block_ids(page.text)


def png(width: int = 600, height: int = 400, colour: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


async def upload_avatar(client: Client, data: bytes, filename: str, **kwargs: Any) -> Any:
    token = await csrf(client)
    return await client.post(
        "/dashboard/avatar",
        data={"_csrf_token": token},
        files={"avatar": (filename, data, "image/png")},
        **kwargs,
    )

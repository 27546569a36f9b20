"""Avatar uploads that lie or overwhelm are refused with a clear message, and nothing is stored."""

from __future__ import annotations

import io

import pytest
from litestar import Litestar
from PIL import Image

from tests.storefront.store_helpers import Client, png, sign_up, upload_avatar


def bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, "PNG")  # 144 megapixels in a few kilobytes
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (png(), "photo.jpg", "The file name does not match what the file contains."),
        (b"<?php system($_GET['c']); ?>", "shell.png", "That file is not an image we can read."),
        (png() + b"\0" * (8 * 1024 * 1024), "huge.png", "That image is larger than 8 MB."),
        (bomb(), "bomb.png", "That image has too many pixels."),
        (png(), "../../etc/passwd.png", "That file name is not allowed."),
        (png(), "..\\..\\avatar.png", "That file name is not allowed."),
    ],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    client: Client, app: Litestar, data: bytes, filename: str, message: str
) -> None:
    await sign_up(client)
    plain = await upload_avatar(client, data, filename)
    assert plain.status_code == 422, plain.text[:300]
    assert message in plain.text
    swapped = await upload_avatar(client, data, filename, headers={"HX-Request": "true"})
    assert swapped.status_code == 422 and message in swapped.text and "<html" not in swapped.text
    media = app.state.settings.media_dir
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))
    assert (await client.get("/api/v1/stores/me")).json()["draft"]["avatar"] is None


async def test_a_post_without_a_file_asks_for_one(client: Client) -> None:
    await sign_up(client)
    from tests.conftest import post_form

    response = await post_form(client, "/dashboard/avatar", {})
    assert response.status_code == 422 and "Choose a picture to upload." in response.text

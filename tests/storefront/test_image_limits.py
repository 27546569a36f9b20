"""Pixel limits per use, checked from the header before a pixel is decoded, with a clear translated 422.

The oversized images here are headers with no pixel data behind them (a PNG's IHDR and an empty IDAT): a check
that decoded first would call them unreadable; one that reads the header first names the real problem. The same
sizes as real files would cost seconds of a core each (a 6300x6300 PNG is what once stalled a worker).
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from litestar import Litestar
from PIL import Image

from tests.platform.catalog.helpers import create, upload
from tests.storefront.store_helpers import Client, sign_up, upload_avatar
from tests.storefront.test_builder_products import stored_files
from windsurf.core import images
from windsurf.settings import Settings

TOO_WIDE = "That image is wider or taller than 16,383 pixels."
COVER_PIXELS = "A cover can have at most 25 megapixels."
AVATAR_PIXELS = "A profile picture can have at most 16 megapixels."


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` grey pixels and carries none of them."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">L", len(body)) + kind + body + struct.pack(">L", zlib.crc32(kind + body))

    ihdr = struct.pack(">2L5B", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (6300, 6300, COVER_PIXELS),  # 39.7 MP: under the old global 40 MP ceiling, decoded for seconds
        (100, 17_000, TOO_WIDE),  # a strip taller than WebP allows: a 500 from the encoder before
        (16_384, 10, TOO_WIDE),
    ],
)
async def test_cover_limits(
    client: Client, settings: Settings, width: int, height: int, message: str
) -> None:
    await sign_up(client)
    product_id = await create(client)
    response = await upload(
        client, f"/dashboard/products/{product_id}/cover", "cover", "c.png", png_header(width, height)
    )
    assert response.status_code == 422
    assert message in response.text
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (5000, 4000, AVATAR_PIXELS),  # 20 MP: a fine cover, more than an avatar needs
        (16_000, 16_000, "That image has too many pixels."),  # past every use: the general message
        (50, 20_000, TOO_WIDE),
    ],
)
async def test_avatar_limits(client: Client, app: Litestar, width: int, height: int, message: str) -> None:
    await sign_up(client)
    response = await upload_avatar(client, png_header(width, height), "me.png")
    assert response.status_code == 422, response.text[:300]
    assert message in response.text
    media = app.state.settings.media_dir
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


async def test_the_limit_message_is_translated(client: Client) -> None:
    await sign_up(client)
    response = await upload_avatar(
        client, png_header(50, 20_000), "me.png", headers={"Accept-Language": "am"}
    )
    assert response.status_code == 422
    assert "ከ16,383 ፒክሰል በላይ" in response.text


def test_a_tall_image_within_webp_limits_is_scaled_into_its_box() -> None:
    """A strip under the limit is accepted, and no thumbnail is taller than four times its width."""
    buffer = io.BytesIO()
    Image.new("RGB", (200, 16_000), (20, 90, 60)).save(buffer, "PNG")
    processed = images.process_image(buffer.getvalue(), "strip.png", images.COVER)
    assert (processed.width, processed.height) == (200, 16_000)
    for thumbnail in processed.thumbnails:
        assert thumbnail.height <= 16_383
        assert Image.open(io.BytesIO(thumbnail.data)).format == "WEBP"


def test_a_12_megapixel_jpeg_is_decoded_at_reduced_scale_with_full_size_thumbnails() -> None:
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((4000, 3000)).convert("RGB").save(buffer, "JPEG", quality=80)
    processed = images.process_image(buffer.getvalue(), "photo.jpg", images.COVER)
    assert (processed.width, processed.height) == (4000, 3000)  # the photo's own size, not the decoded one
    assert [t.width for t in processed.thumbnails] == [160, 480, 960]
    assert [t.height for t in processed.thumbnails] == [120, 360, 720]

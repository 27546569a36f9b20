"""Buyers never wait behind a creator's upload: a store page is answered while a 12 MP photo is re-encoded.

Proved by observation, not by timing: the upload is started, the test waits until its image work is inside a
worker thread, then asks for the store page, and checks that the page came back while that work was still running
(the upload request not finished, its job still counted in flight). Were the image processed on the event loop, no
job would ever be in flight and the upload would finish before the page could even be asked for.
"""

from __future__ import annotations

import asyncio
import io

from PIL import Image

from tests.conftest import csrf
from tests.platform.catalog.helpers import create
from tests.platform.core.test_offload import until
from tests.storefront.store_helpers import Client
from tests.storefront.test_store_page import published_store
from windsurf.core import offload


def twelve_megapixel_png() -> bytes:
    """4000 x 3000 pixels of gradient: well under the 8 MB limit, and every pixel still has to be decoded."""
    gradient = Image.linear_gradient("L").resize((4000, 3000))
    photo = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient))
    buffer = io.BytesIO()
    photo.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


async def test_the_store_page_is_answered_while_a_12_megapixel_cover_is_processed(client: Client) -> None:
    handle = await published_store(client)
    product_id = await create(client)
    photo = twelve_megapixel_png()
    token = await csrf(client)
    upload = asyncio.create_task(
        client.post(
            f"/dashboard/products/{product_id}/cover",
            data={"_csrf_token": token},
            files={"cover": ("photo.png", photo, "image/png")},
        )
    )
    await until(lambda: offload.in_flight("cpu") >= 1 or upload.done(), "the upload reached its image work")
    assert not upload.done(), "the upload finished without its image work ever running in a worker thread"

    page = await client.get(f"/@{handle}")

    assert page.status_code == 200 and "Hana Tesfaye" in page.text
    assert not upload.done(), "the store page came back only after the upload"
    assert offload.in_flight("cpu") >= 1  # the photo is still being re-encoded
    response = await upload
    assert response.status_code == 303, response.text[:300]
    assert offload.in_flight() == 0

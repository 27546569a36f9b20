"""Upload abuse: each refused with a clear message and nothing stored (local folder)."""

from __future__ import annotations

import io

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.conftest import make_settings
from tests.platform.catalog.helpers import create, pdf_bytes, png_bytes, sign_up, upload
from tests.storefront.test_builder_products import stored_files
from windsurf.app import create_app
from windsurf.settings import Settings


def bomb() -> bytes:
    """A small PNG that claims 20,000 x 20,000 pixels (decompression bomb)."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("field", "filename", "make", "message"),
    [
        ("file", "book.pdf", lambda: b"MZ\x90\x00 windows executable", "That type of file is not supported."),
        ("file", "book.epub", pdf_bytes, "The file name does not match what the file contains."),
        ("file", "../../etc/passwd.pdf", pdf_bytes, "That file name is not allowed."),
        ("file", "C:\\Users\\x\\book.pdf", pdf_bytes, "That file name is not allowed."),
        ("cover", "cover.jpg", png_bytes, "The file name does not match what the file contains."),
        ("cover", "cover.png", pdf_bytes, "That file is not an image we can read."),
        ("cover", "cover.png", bomb, "That image has too many pixels."),
        ("cover", "a/cover.png", png_bytes, "That file name is not allowed."),
    ],
)
async def test_refused_uploads_store_nothing(
    client: AsyncTestClient[Litestar],
    settings: Settings,
    field: str,
    filename: str,
    make: object,
    message: str,
) -> None:
    await sign_up(client)
    product_id = await create(client)
    url = f"/dashboard/products/{product_id}/{'files' if field == 'file' else 'cover'}"
    response = await upload(client, url, field, filename, make())  # type: ignore[operator]
    assert response.status_code == 422
    assert message in response.text
    assert stored_files(settings) == []


async def test_oversized_file_is_refused(backend_settings: Settings) -> None:
    from windsurf.core.migrate import migrate

    settings = make_settings(**{**backend_settings.__dict__, "max_file_mb": 1, "extra": {}})
    await migrate(settings)
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        client.follow_redirects = False
        await sign_up(client)
        product_id = await create(client)
        big = pdf_bytes() + b"\0" * (1024 * 1024)
        response = await upload(client, f"/dashboard/products/{product_id}/files", "file", "big.pdf", big)
        assert response.status_code == 422
        assert "That file is too large. The limit is 1 MB." in response.text
        assert stored_files(settings) == []

"""Archives (ZIP, EPUB, Office files) are judged by their metadata: a bomb is refused without being inflated.

The bombs are built by hand: a deflate block of a mebibyte of zeros, flushed so that it stands alone, repeated. A
1 GiB bomb costs 1 MB and no inflating to build, and the CRCs are left wrong on purpose: a check that inflated the
member would find out, one that reads metadata never does.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.platform.catalog.helpers import create, docx_bytes, sign_up, upload
from tests.storefront.test_builder_products import stored_files
from windsurf.catalog import files
from windsurf.settings import Settings

MIB = 1024 * 1024
ARCHIVE_MESSAGE = "That archive says it unpacks to far more than its size"


def zeros_deflated(mebibytes: int) -> bytes:
    """A raw deflate stream that inflates to ``mebibytes`` MiB of zeros, made without compressing them all."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * mebibytes + compressor.flush(zlib.Z_FINISH)


def raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A ZIP of (name, stored bytes, declared unpacked size, method) members, CRCs zero."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, payload, size, method in members:
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, 0, len(payload), size, len(encoded), 0
            )
        )
        out.write(encoded + payload)
        directory.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0,
                0,
                len(payload),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    out.write(directory.getvalue())
    count = len(members)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory.getvalue()), start, 0))
    return out.getvalue()


def test_a_gibibyte_bomb_of_one_megabyte_is_refused_without_inflating() -> None:
    bomb = raw_zip([("data.bin", zeros_deflated(1024), 1024 * MIB, zipfile.ZIP_DEFLATED)])
    assert len(bomb) < 2 * MIB
    tracemalloc.start()
    try:
        with pytest.raises(files.FileRejected, match=ARCHIVE_MESSAGE):
            files.check_file(bomb, "course.zip", max_bytes=50 * MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MIB  # what the check allocated: nowhere near the gibibyte it would inflate to


def test_declared_sizes_that_lie_about_a_small_payload_are_refused() -> None:
    """3 GB declared for a kilobyte of stored bytes: absurd by the metadata, whatever the bytes say."""
    lying = raw_zip([("big.bin", b"x" * 1024, 3_000_000_000, zipfile.ZIP_STORED)])
    with pytest.raises(files.FileRejected, match=ARCHIVE_MESSAGE):
        files.check_file(lying, "course.zip", max_bytes=50 * MIB)


@pytest.mark.parametrize(
    ("filename", "members"),
    [
        # EPUB's mimetype member is the one member the check reads: a bomb there used to be inflated in full.
        ("novel.epub", [("mimetype", zeros_deflated(64), 64 * MIB, zipfile.ZIP_DEFLATED)]),
        # An Office file is a ZIP too.
        (
            "report.docx",
            [
                ("[Content_Types].xml", b"<Types/>", 8, zipfile.ZIP_STORED),
                ("word/document.xml", zeros_deflated(256), 256 * MIB, zipfile.ZIP_DEFLATED),
            ],
        ),
    ],
)
def test_container_formats_get_the_same_bound(
    filename: str, members: list[tuple[str, bytes, int, int]]
) -> None:
    with pytest.raises(files.FileRejected, match=ARCHIVE_MESSAGE):
        files.check_file(raw_zip(members), filename, max_bytes=50 * MIB)


def test_an_archive_of_too_many_members_is_refused_before_its_directory_is_read() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(files.MAX_ARCHIVE_MEMBERS + 1):
            archive.writestr(f"f{index}", b"")
    with pytest.raises(files.FileRejected) as refused:
        files.check_file(out.getvalue(), "many.zip", max_bytes=50 * MIB)
    assert refused.value.message.startswith("That archive holds more than %(count)s files.")
    assert refused.value.variables == {"count": "10,000"}


def test_ordinary_archives_still_pass() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("OEBPS/chapter1.xhtml", "<p>ሰላም</p>" * 5000)  # text packs well, within reason
    assert files.check_file(out.getvalue(), "book.epub", max_bytes=50 * MIB)[1].name == "epub"
    assert files.check_file(docx_bytes(), "letter.docx", max_bytes=50 * MIB)[1].name == "docx"
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for index in range(500):
            archive.writestr(f"lesson-{index}.txt", f"lesson {index}")
    assert files.check_file(many.getvalue(), "course.zip", max_bytes=50 * MIB)[1].name == "zip"


async def test_the_builder_refuses_a_zip_bomb_with_a_clear_message(
    client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    await sign_up(client)
    product_id = await create(client)
    bomb = raw_zip([("data.bin", zeros_deflated(1024), 1024 * MIB, zipfile.ZIP_DEFLATED)])
    response = await upload(client, f"/dashboard/products/{product_id}/files", "file", "course.zip", bomb)
    assert response.status_code == 422
    assert ARCHIVE_MESSAGE in response.text
    assert stored_files(settings) == []

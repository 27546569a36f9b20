"""Files named in any script download under their own name (RFC 6266 / RFC 5987), end to end.

An Amharic name such as መመሪያ.pdf cannot be written raw into a header: the upload used to succeed and every download
of the file then failed with a 500, for the creator and for a lead-magnet buyer alike.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.platform.catalog.helpers import create, pdf_bytes, sign_up, upload
from tests.storefront.test_product_page import anonymous, publish
from windsurf.core.disposition import ascii_filename, attachment

AMHARIC_NAME = "መመሪያ.pdf"
BUYER_HEADERS = {"Origin": "http://testserver.local", "Sec-Fetch-Site": "same-origin"}


def saved_name(disposition: str) -> str:
    """The name a browser saves under: RFC 6266 says filename* wins over filename."""
    assert disposition.startswith("attachment;"), disposition
    disposition.encode("latin-1")  # what a header can carry at all
    match = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert match, disposition
    return unquote(match.group(1), encoding="utf-8", errors="strict")


def fallback_name(disposition: str) -> str:
    match = re.search(r'filename="([^"]*)"', disposition)
    assert match, disposition
    return match.group(1)


async def test_the_creator_downloads_an_amharic_named_file_under_its_name(
    client: AsyncTestClient[Litestar],
) -> None:
    await sign_up(client)
    product_id = await create(client)
    document = pdf_bytes()  # made once: a PDF carries the second it was made
    uploaded = await upload(client, f"/dashboard/products/{product_id}/files", "file", AMHARIC_NAME, document)
    assert uploaded.status_code == 303, uploaded.text
    edit = await client.get(f"/dashboard/products/{product_id}")
    assert AMHARIC_NAME in edit.text
    link = re.search(rf'href="(/dashboard/products/{product_id}/files/[0-9a-f-]+)"', edit.text)
    assert link, edit.text

    download = await client.get(link.group(1))
    assert download.status_code == 200
    assert download.content == document
    disposition = download.headers["content-disposition"]
    assert saved_name(disposition) == AMHARIC_NAME
    assert fallback_name(disposition) == "download.pdf"


async def test_a_lead_magnet_buyer_receives_an_amharic_named_file(client: AsyncTestClient[Litestar]) -> None:
    identity = await sign_up(client)
    product_id = await create(client, kind="lead_magnet", title="Free Guide", price="")
    name = "የቡና መመሪያ 2026.pdf"
    document = pdf_bytes()
    uploaded = await upload(client, f"/dashboard/products/{product_id}/files", "file", name, document)
    assert uploaded.status_code == 303, uploaded.text
    await publish(client, product_id)
    url = f"/@{identity['handle']}/free-guide"
    async with anonymous(client) as buyer:
        thanks = await buyer.post(
            f"{url}/lead", data={"contact": "reader@example.com"}, headers=BUYER_HEADERS
        )
        assert thanks.status_code == 200, thanks.text
        assert name in thanks.text
        link = re.search(r'href="(/@[^"]+/files/[^"]+)"', thanks.text)
        assert link
        download = await buyer.get(link.group(1).replace("&amp;", "&"))
        assert download.status_code == 200
        assert download.content == document
        assert saved_name(download.headers["content-disposition"]) == name
        assert fallback_name(download.headers["content-disposition"]) == "2026.pdf"


def test_the_ascii_fallback_keeps_what_it_can_and_never_breaks_the_header() -> None:
    assert ascii_filename("Café menu.pdf") == "Cafe menu.pdf"
    assert ascii_filename('my "best"; book.pdf') == "my best book.pdf"
    assert ascii_filename("መመሪያ.pdf") == "download.pdf"
    assert ascii_filename("መመሪያ") == "download"
    assert ascii_filename("notes.መመሪያ") == "notes"
    long = ascii_filename("a" * 300 + ".docx")
    assert len(long) <= 100 and long.endswith(".docx")
    header = attachment('a"b\\c;d\r\n.pdf')
    assert header.encode("ascii") and "\r" not in header and "\n" not in header
    assert saved_name(header) == 'a"b\\c;d\r\n.pdf'

"""Prices typed in birr, slugs, Markdown descriptions sanitised, and file types decided by content."""

from __future__ import annotations

import pytest

from tests.platform.catalog.helpers import docx_bytes, pdf_bytes, png_bytes
from windsurf.catalog import files, validation
from windsurf.catalog.validation import FieldError


@pytest.mark.parametrize(
    ("typed", "santim"),
    [
        ("150", 15000),
        ("150.50", 15050),
        ("150.5", 15050),
        ("1,500", 150000),
        ("ETB 2,500.00", 250000),
        (" 0.99 ", 99),
        ("1000000", 100_000_000),
    ],
)
def test_prices_in_birr_become_santim(typed: str, santim: int) -> None:
    assert validation.parse_price(typed) == santim


@pytest.mark.parametrize("typed", ["abc", "1.234", "-5", "1e3", "150,5", "1000000.01", "12,34.00", "", "NaN"])
def test_bad_prices_are_refused(typed: str) -> None:
    with pytest.raises(FieldError):
        validation.parse_price(typed)


def test_optional_price_may_be_empty_and_round_trips_to_form_text() -> None:
    assert validation.parse_price("  ", required=False) is None
    assert validation.santim_to_input(15050) == "150.50" and validation.santim_to_input(15000) == "150"


def test_slugs() -> None:
    assert validation.slugify("Ethiopian Coffee: A Guide!") == "ethiopian-coffee-a-guide"
    assert validation.slugify("ቡና").startswith("product-")
    assert validation.clean_slug(" My-Ebook ") == "my-ebook"
    for bad in ("-x", "a b", "../etc", "ቡና", "checkout", "x" * 81, "a_b"):
        with pytest.raises(FieldError):
            validation.clean_slug(bad)


def test_markdown_is_rendered_and_sanitised() -> None:
    html = validation.render_markdown(
        "# Title\n\n**bold** and [site](https://example.com) and [bad](javascript:alert(1))\n\n"
        "<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[data](data:text/html,hi)"
    )
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com" rel="nofollow noopener">site</a>' in html
    assert "<script" not in html and "<img" not in html and "<h1" not in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert "&lt;script&gt;" in html  # shown as text, never run


def test_excerpt_is_plain_text_and_short() -> None:
    html = validation.render_markdown("**ሰላም** & welcome " + "word " * 80)
    short = validation.excerpt(html)
    assert short.startswith("ሰላም & welcome") and len(short) <= 140 and short.endswith("…")


def test_file_types_are_decided_by_content() -> None:
    assert files.check_file(pdf_bytes(), "book.pdf", max_bytes=10**6)[1].name == "pdf"
    assert files.check_file(docx_bytes(), "letter.docx", max_bytes=10**6)[1].name == "docx"
    assert files.check_file(png_bytes((10, 10)), "photo.png", max_bytes=10**6)[1].name == "png"
    with pytest.raises(files.FileRejected, match="does not match"):
        files.check_file(pdf_bytes(), "book.epub", max_bytes=10**6)
    with pytest.raises(files.FileRejected, match="not supported"):
        files.check_file(b"#!/bin/sh\nrm -rf /\n", "run.pdf", max_bytes=10**6)
    with pytest.raises(files.FileRejected, match="too large"):
        files.check_file(pdf_bytes(), "book.pdf", max_bytes=10)
    for name in ("../book.pdf", "a/b.pdf", "a\\b.pdf", ".hidden.pdf", "bo\x00ok.pdf"):
        with pytest.raises(files.FileRejected, match="file name"):
            files.check_file(pdf_bytes(), name, max_bytes=10**6)

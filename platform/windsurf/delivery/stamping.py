"""Stamping a PDF with who bought it: one line of text at the foot of the first page, bookmarks kept.

The line is drawn into the page's own content (not an annotation a viewer can hide), in a base-14 font so nothing
is embedded; it holds the buyer's email or phone and the order number, which are ASCII by construction.
CPU work: callers run it in a worker thread.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

FONT_SIZE = 7
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]")
MAX_PAGES = 5000


class StampError(Exception):
    """The file is not a PDF we can stamp (encrypted, damaged, or too large); the original is delivered."""


def _pdf_string(text: str) -> str:
    text = _NOT_PRINTABLE.sub("?", text)
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def stamp(data: bytes, line: str) -> bytes:
    """``data`` with ``line`` printed at the bottom of its first page."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise StampError("encrypted PDF")
        if len(reader.pages) > MAX_PAGES:
            raise StampError("too many pages")
        writer = PdfWriter(clone_from=reader)  # keeps the outline (bookmarks), links and metadata
        page = writer.pages[0]
        box = page.mediabox
        x, y = float(box.left) + 18, float(box.bottom) + 10
        content = DecodedStreamObject()
        content.set_data(
            f"q BT /WindsurfStamp {FONT_SIZE} Tf 0.35 g {x:.1f} {y:.1f} Td {_pdf_string(line)} Tj ET Q".encode()
        )
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else DictionaryObject()
        fonts[NameObject("/WindsurfStamp")] = writer._add_object(font)
        resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources
        existing = page.get("/Contents")
        streams = ArrayObject()
        if existing is not None:
            existing = existing.get_object()
            streams.extend(existing if isinstance(existing, ArrayObject) else [page["/Contents"]])
        streams.append(writer._add_object(content))
        page[NameObject("/Contents")] = streams
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except StampError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise StampError(f"{type(exc).__name__}: {exc}") from exc

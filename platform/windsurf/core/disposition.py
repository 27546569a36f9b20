"""``Content-Disposition`` for downloads whose names are in any script (RFC 6266 with RFC 5987 encoding).

HTTP header values are Latin-1 at best, and a creator's file may well be called ``መመሪያ.pdf``: written raw, the
header cannot be encoded and every download of that file failed. So the header carries the name twice:
``filename*=UTF-8''<percent-encoded>`` with the real name, which every current browser uses, and a plain
``filename="..."`` with an ASCII stand-in (same extension) for the clients that read only that one.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

FALLBACK_STEM = "download"
FALLBACK_MAX = 100
# RFC 5987 attr-char: what may stand unencoded in an ext-value. quote() keeps letters, digits and "_.-~" itself.
_ATTR_CHAR_EXTRA = "!#$&+^`|"
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._\- ]+")


def ascii_filename(filename: str) -> str:
    """An ASCII name for the quoted ``filename=`` parameter: accents dropped (é -> e), anything else that is not
    a letter, digit, dot, dash, underscore or space removed, and ``download`` when no letter or digit is left."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    stem, extension = _plain(stem), _plain(extension).replace(".", "").replace(" ", "")[:16]
    if not any(ch.isalnum() for ch in stem):
        stem = FALLBACK_STEM
    stem = stem[: FALLBACK_MAX - len(extension) - 1].rstrip(" .") or FALLBACK_STEM
    return f"{stem}.{extension}" if extension else stem


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", _NOT_PLAIN.sub("", decomposed)).strip(" .")


def attachment(filename: str) -> str:
    """The header value that makes a browser save the file under its real name, in any script."""
    encoded = quote(filename, safe=_ATTR_CHAR_EXTRA, encoding="utf-8")
    return f"attachment; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{encoded}"

"""Product files: what may be uploaded, decided by content (magic bytes), not by the name or the browser.

A file is accepted when its bytes are one of the allowed types AND its extension agrees with them; the
Office formats and EPUB are ZIP containers, told apart by the members they must contain.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from windsurf.core.i18n import N_

FILENAME_MAX = 200


class FileRejected(ValueError):
    def __init__(self, message: str, **variables: object) -> None:
        super().__init__(message)
        self.message = message
        self.variables = variables


@dataclass(frozen=True)
class FileType:
    name: str
    content_type: str
    extensions: frozenset[str]


TYPES = {
    "pdf": FileType("pdf", "application/pdf", frozenset({"pdf"})),
    "zip": FileType("zip", "application/zip", frozenset({"zip"})),
    "epub": FileType("epub", "application/epub+zip", frozenset({"epub"})),
    "docx": FileType(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", frozenset({"docx"})
    ),
    "xlsx": FileType(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", frozenset({"xlsx"})
    ),
    "pptx": FileType(
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        frozenset({"pptx"}),
    ),
    "mp3": FileType("mp3", "audio/mpeg", frozenset({"mp3"})),
    "mp4": FileType("mp4", "video/mp4", frozenset({"mp4", "m4v", "m4a"})),
    "png": FileType("png", "image/png", frozenset({"png"})),
    "jpeg": FileType("jpeg", "image/jpeg", frozenset({"jpg", "jpeg"})),
}


def check_filename(filename: str) -> tuple[str, str]:
    """(the bare name, its lower-case extension); names with path parts or control characters are refused."""
    if (
        not filename
        or len(filename) > FILENAME_MAX
        or any(part in filename for part in ("/", "\\", "..", "\x00"))
        or any(ord(ch) < 32 for ch in filename)
        or filename.startswith(".")
    ):
        raise FileRejected(N_("That file name is not allowed. Rename the file and try again."))
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return filename, extension


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == b"application/epub+zip":
                return "epub"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return ""
    if "[Content_Types].xml" in names:
        for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
            if any(name.startswith(prefix) for name in names):
                return kind
    return "zip"


def sniff(data: bytes) -> str:
    """The type the bytes are, or '' when none we accept."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[4:8] == b"ftyp":
        return "mp4"
    return ""


def check_file(data: bytes, filename: str, *, max_bytes: int) -> tuple[str, FileType]:
    """Validate an upload; returns the bare filename and its type or raises FileRejected with a msgid."""
    name, extension = check_filename(filename)
    if not data:
        raise FileRejected(N_("That file is empty."))
    if len(data) > max_bytes:
        raise FileRejected(
            N_("That file is too large. The limit is %(megabytes)s MB."), megabytes=max_bytes // (1024 * 1024)
        )
    kind = sniff(data)
    if not kind:
        raise FileRejected(
            N_(
                "That type of file is not supported. Upload a PDF, EPUB, ZIP, Word, Excel, "
                "PowerPoint, MP3, MP4, PNG or JPEG file."
            )
        )
    file_type = TYPES[kind]
    if extension not in file_type.extensions:
        raise FileRejected(N_("The file name does not match what the file contains."))
    return name, file_type

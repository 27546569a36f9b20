"""Product files: what may be uploaded, decided by content (magic bytes), not by the name or the browser.

A file is accepted when its bytes are one of the allowed types AND its extension agrees with them; the
Office formats and EPUB are ZIP containers, told apart by the members they must contain.

Archives (ZIP, EPUB, Word, Excel, PowerPoint) are judged by their metadata only: the member count from the end
record before the directory is parsed, then the sizes each member declares. One that would unpack to absurd sizes
or ratios (a 1 MB file that inflates to gigabytes) is refused without inflating anything; the one member ever read,
EPUB's ``mimetype``, is read at most 64 bytes. ``check_upload`` runs the whole check in a worker thread.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from windsurf.core import offload
from windsurf.core.i18n import N_

FILENAME_MAX = 200
MAX_ARCHIVE_MEMBERS = (
    10_000  # a course of many small files fits; a directory built to exhaust memory does not
)
MAX_ARCHIVE_UNPACKED = 4 * 1024**3  # declared unpacked bytes in total
MAX_RATIO = 100  # declared unpacked / packed; text and XML pack 5-20 times, bombs a thousand and more
RATIO_FLOOR = 1024 * 1024  # below this unpacked size, a high ratio costs nothing and is not judged
MIMETYPE_MAX = 64
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


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


@dataclass(frozen=True)
class CheckedFile:
    name: str
    file_type: FileType
    sha256: str


def _declared_members(data: bytes) -> int | None:
    """The member count the end-of-central-directory record declares (ZIP64 included), read without parsing the
    directory; None when there is no readable record (zipfile then refuses the file itself)."""
    end = data.rfind(_EOCD, max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(data):
        return None
    (total,) = struct.unpack_from("<H", data, end + 10)
    if total != 0xFFFF:
        return int(total)
    locator = end - 20
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR:
        return None
    (record,) = struct.unpack_from("<Q", data, locator + 8)
    if record + 40 > len(data) or data[record : record + 4] != _ZIP64_EOCD:
        return None
    (total64,) = struct.unpack_from("<Q", data, record + 32)
    return int(total64)


def _too_many_members() -> FileRejected:
    return FileRejected(
        N_("That archive holds more than %(count)s files. Split it into smaller archives."),
        count=f"{MAX_ARCHIVE_MEMBERS:,}",
    )


def _check_archive(members: list[zipfile.ZipInfo]) -> None:
    """Refuse an archive whose declared sizes or ratios are absurd, by its metadata alone."""
    if len(members) > MAX_ARCHIVE_MEMBERS:  # a directory longer than its end record said
        raise _too_many_members()
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members)
    absurd = unpacked > MAX_ARCHIVE_UNPACKED or (
        unpacked > RATIO_FLOOR and unpacked > MAX_RATIO * max(packed, 1)
    )
    absurd = absurd or any(
        m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1) for m in members
    )
    if absurd:
        raise FileRejected(
            N_(
                "That archive says it unpacks to far more than its size, which is how harmful archives look. "
                "Zip the files again and upload the new archive."
            )
        )


def _zip_kind(data: bytes) -> str:
    declared = _declared_members(data)
    if declared is not None and declared > MAX_ARCHIVE_MEMBERS:
        raise _too_many_members()  # before zipfile builds an object per member
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_archive(members)
            names = {member.filename for member in members}
            mimetype = next((m for m in members if m.filename == "mimetype"), None)
            if mimetype is not None and mimetype.file_size <= MIMETYPE_MAX:
                with archive.open(mimetype) as member:
                    if member.read(MIMETYPE_MAX).strip() == b"application/epub+zip":
                        return "epub"
    except FileRejected:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError, EOFError, zlib.error):
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


def _checked(data: bytes, filename: str, max_bytes: int) -> CheckedFile:
    name, file_type = check_file(data, filename, max_bytes=max_bytes)
    return CheckedFile(name, file_type, hashlib.sha256(data).hexdigest())


async def check_upload(data: bytes, filename: str, *, max_bytes: int) -> CheckedFile:
    """``check_file`` and the file's SHA-256, in a CPU worker thread (50 MB take a while to hash and to sniff)."""
    return await offload.cpu(_checked, data, filename, max_bytes)

"""Uploaded images: checked by content, bounded in bytes and pixels, re-encoded as metadata-free WebP thumbnails.

Re-encoding is the safety: what we store and serve is pixels we produced, never the bytes a user sent (no EXIF
location, no polyglot files). The format is decided by the content; a filename that claims another type is refused.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from windsurf.core.i18n import N_

MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo passes; a decompression bomb does not
ACCEPTED = {"JPEG": {"jpg", "jpeg"}, "PNG": {"png"}, "WEBP": {"webp"}, "GIF": {"gif"}}
THUMBNAIL_WIDTHS = (160, 480, 960)
WEBP_QUALITY = 72


class ImageRejected(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Thumbnail:
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class ProcessedImage:
    width: int
    height: int
    thumbnails: tuple[Thumbnail, ...]


def check_filename(filename: str) -> str:
    """The lower-case extension of a bare filename; a name with path parts is refused outright."""
    if not filename or "/" in filename or "\\" in filename or ".." in filename or "\x00" in filename:
        raise ImageRejected(N_("That file name is not allowed. Rename the file and try again."))
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def process_image(
    data: bytes, filename: str, *, widths: tuple[int, ...] = THUMBNAIL_WIDTHS
) -> ProcessedImage:
    extension = check_filename(filename)
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(N_("That image is larger than 8 MB. Please choose a smaller one."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED:
                raise ImageRejected(N_("Upload a JPEG, PNG, WebP or GIF image."))
            if extension not in ACCEPTED[image.format]:
                raise ImageRejected(N_("The file name does not match what the file contains."))
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected(N_("That image has too many pixels. Please choose a smaller one."))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(N_("That image has too many pixels. Please choose a smaller one.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, ImageRejected):
            raise
        raise ImageRejected(N_("That file is not an image we can read.")) from None
    upright = ImageOps.exif_transpose(image)
    pixels = upright.convert("RGBA" if upright.mode in {"RGBA", "LA", "P"} else "RGB")
    thumbnails = []
    for width in widths:
        copy = pixels.copy()
        if copy.width > width:
            copy.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        copy.save(out, "WEBP", quality=WEBP_QUALITY, method=4)  # a fresh encode carries no EXIF or ICC data
        thumbnails.append(Thumbnail(copy.width, copy.height, out.getvalue()))
    return ProcessedImage(width=pixels.width, height=pixels.height, thumbnails=tuple(thumbnails))

"""Uploaded images: checked by content, bounded in bytes and pixels, re-encoded as metadata-free WebP thumbnails.

Re-encoding is the safety: what we store and serve is pixels we produced, never the bytes a user sent (no EXIF
location, no polyglot files). The format is decided by the content; a filename that claims another type is refused.

Every bound is checked from the header, before a pixel is decoded: each use (cover, avatar) has its own pixel
budget, and no side may exceed what WebP can hold (16,383 px), so a 6300x6300 PNG or a 100x20,000 strip is refused
in microseconds with a clear message instead of stalling a worker or failing at the encoder. JPEGs are decoded at
the smallest scale that still covers the largest thumbnail. ``process_upload`` runs all of it in a worker thread.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from windsurf.core import offload
from windsurf.core.i18n import N_

MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # the ceiling of Pillow's own bomb check below; each use sets a lower one
WEBP_MAX_SIDE = 16_383  # the largest width or height a WebP image can have
ACCEPTED = {"JPEG": {"jpg", "jpeg"}, "PNG": {"png"}, "WEBP": {"webp"}, "GIF": {"gif"}}
THUMBNAIL_WIDTHS = (160, 480, 960)
WEBP_QUALITY = 72


@dataclass(frozen=True)
class ImageUse:
    """What one kind of image may be: its pixel budget, its refusal message, and the thumbnails made of it."""

    max_pixels: int
    too_many_pixels: str
    widths: tuple[int, ...] = THUMBNAIL_WIDTHS


# A phone's 12 MP photo (and a 24 MP camera's) is a fine cover; more is only cost.
COVER = ImageUse(
    25_000_000, N_("A cover can have at most 25 megapixels. Please choose a smaller image."), THUMBNAIL_WIDTHS
)
# An avatar is shown at most 480 px wide: 16 MP is generous for any phone's photo.
AVATAR = ImageUse(
    16_000_000,
    N_("A profile picture can have at most 16 megapixels. Please choose a smaller image."),
    (160, 480),
)
# A store's banner spans the page (at most 34rem, about 544 CSS px): 480 px for 1x phones, 960 px for the rest.
BANNER = ImageUse(
    16_000_000,
    N_("A banner can have at most 16 megapixels. Please choose a smaller image."),
    (480, 960),
)


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


async def process_upload(data: bytes, filename: str, use: ImageUse) -> ProcessedImage:
    """``process_image`` in a CPU worker thread: a 12 MP photo takes about a second of a core."""
    return await offload.cpu(process_image, data, filename, use)


def _check_size(width: int, height: int, use: ImageUse) -> None:
    """Refuse by the header's dimensions, before decoding: nothing about the pixels is needed to say no."""
    if width > WEBP_MAX_SIDE or height > WEBP_MAX_SIDE:
        raise ImageRejected(
            N_("That image is wider or taller than 16,383 pixels. Please choose a smaller one.")
        )
    if width * height > use.max_pixels:
        raise ImageRejected(use.too_many_pixels)


def _decode_size(width: int, height: int, widths: tuple[int, ...]) -> tuple[int, int]:
    """The smallest size that still covers the largest thumbnail (the box is width x 4*width)."""
    largest = max(widths)
    scale = min(1.0, largest / width, 4 * largest / height)
    return max(1, int(width * scale + 0.999)), max(1, int(height * scale + 0.999))


def process_image(data: bytes, filename: str, use: ImageUse = COVER) -> ProcessedImage:
    widths = use.widths
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
            _check_size(image.width, image.height, use)
            original = image.size
            if image.format == "JPEG":
                # libjpeg decodes at 1/2, 1/4 or 1/8 scale for a fraction of the work and memory.
                image.draft(image.mode, _decode_size(*original, widths))
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
    width, height = original if upright.size == image.size else original[::-1]
    return ProcessedImage(width=width, height=height, thumbnails=tuple(thumbnails))

"""What an uploaded file is, judged from its bytes alone, and what we keep of it.

The name and the declared Content-Type are the client's word and are ignored: the type
is sniffed from the content (`filetype`, magic numbers). Images are decoded by Pillow
and written again, which is what strips their metadata: EXIF (GPS position, camera
serial, time), XMP, IPTC and text chunks do not survive a re-encode that does not
pass them on. The EXIF orientation is applied to the pixels first, so the photo stands
as it was taken. PDFs are kept as sent (we neither render nor trust them: they are
served as downloads, never inline).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC (iPhone photos) when pillow-heif is installed; JPEG/PNG/WebP/PDF always.
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

    register_heif_opener()
    HEIC = True
except ImportError:  # pragma: no cover - requirements.txt installs it
    HEIC = False

PDF = "application/pdf"
#: Sniffed type -> (the format we write, its content type, its file extension).
IMAGE_FORMATS = {
    "image/jpeg": ("JPEG", "image/jpeg", "jpg"),
    "image/png": ("PNG", "image/png", "png"),
    "image/webp": ("WEBP", "image/webp", "webp"),
    # Browsers cannot show HEIC: it is stored as JPEG.
    "image/heic": ("JPEG", "image/jpeg", "jpg"),
    "image/heif": ("JPEG", "image/jpeg", "jpg"),
}
PHOTO_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/heic": "HEIC"}
THUMBNAIL_TYPE = "image/jpeg"
UNREADABLE = "The image cannot be read: it is damaged or cut short."


def accepted_types() -> list[str]:
    heic = ["image/heic"] if HEIC else []
    return ["image/jpeg", "image/png", "image/webp", *heic, PDF]


class FileRefused(ValueError):
    """The upload is not kept; `status` is the HTTP status, the message says why and
    `reason` names it for pages that say it in the customer's words: empty, type,
    pixels or unreadable."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Processed:
    content_type: str
    extension: str
    data: bytes
    thumbnail: bytes | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Limits:
    max_pixels: int
    max_side: int
    thumbnail_side: int


def sniff(data: bytes) -> str | None:
    """The content type the bytes themselves announce, or None."""
    kind = filetype.guess(data)
    return kind.mime if kind is not None else None


def process(data: bytes, limits: Limits) -> Processed:
    """What to store for `data`; FileRefused when it is not a file we keep."""
    if not data:
        raise FileRefused(422, "The file is empty.", "empty")
    found = sniff(data)
    if found == PDF:
        return Processed(PDF, "pdf", data, None, None, None)
    if found not in IMAGE_FORMATS or (found in ("image/heic", "image/heif") and not HEIC):
        what = f"is {found}" if found else "is of no type we recognise"
        photos = ", ".join(PHOTO_NAMES[t] for t in accepted_types() if t != PDF)
        raise FileRefused(
            415, f"The file's content {what}: send a photo ({photos}) or a PDF.", "type"
        )
    return _reencode(data, found, limits)


def _open_checked(data: bytes, limits: Limits) -> Image.Image:
    """The image, opened (header read) but not decoded, if its size is acceptable.

    Pillow's own bomb guard is made an error too: `open` warns past MAX_IMAGE_PIXELS
    and raises past twice that; a warning must not let the decode go ahead.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise FileRefused(422, _too_many_pixels(limits), "pixels") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise FileRefused(422, UNREADABLE, "unreadable") from exc
    width, height = image.size
    if width * height > limits.max_pixels or width < 1 or height < 1:
        raise FileRefused(422, _too_many_pixels(limits, width, height), "pixels")
    return image


def _too_many_pixels(limits: Limits, width: int = 0, height: int = 0) -> str:
    size = f" ({width} × {height})" if width else ""
    return f"The image is too large{size}: at most {limits.max_pixels} pixels."


def _reencode(data: bytes, found: str, limits: Limits) -> Processed:
    image_format, content_type, extension = IMAGE_FORMATS[found]
    image = _open_checked(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # The first frame of an animation is the photo; load() decodes it in full.
            image.seek(0)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        raise FileRefused(422, UNREADABLE, "unreadable") from exc
    icc_profile = image.info.get("icc_profile")
    upright = _for_format(upright, image_format)
    upright.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    # Nothing of the original's metadata may ride along: only the colour profile is kept,
    # which says how to show the pixels and nothing about who took them where.
    upright.info = {}
    stored = _encode(upright, image_format, icc_profile)
    thumb = _for_format(upright.copy(), "JPEG")
    thumb.thumbnail((limits.thumbnail_side, limits.thumbnail_side), Image.Resampling.LANCZOS)
    thumbnail = _encode(thumb, "JPEG", icc_profile)
    return Processed(content_type, extension, stored, thumbnail, upright.width, upright.height)


def _for_format(image: Image.Image, image_format: str) -> Image.Image:
    """The image in a mode `image_format` writes; transparency onto white for JPEG."""
    if image_format == "JPEG":
        if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        return image.convert("RGB") if image.mode != "RGB" else image
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        return image.convert("RGBA" if "A" in image.mode else "RGB")
    return image


def _encode(image: Image.Image, image_format: str, icc_profile: bytes | None) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if image_format == "JPEG":
        options.update(quality=85, optimize=True)
    elif image_format == "WEBP":
        options.update(quality=85)
    elif image_format == "PNG":
        options.update(optimize=True)
    image.save(out, format=image_format, **options)
    return out.getvalue()

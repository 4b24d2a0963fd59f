"""Files to upload: photos with EXIF (GPS and orientation), a decompression bomb, a real
executable renamed as a photo, a PDF."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

from PIL import ExifTags, Image

#: Shanghai, as a phone would write it.
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (31.0, 14.0, 0.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (121.0, 28.0, 0.0),
}
#: EXIF orientation 6: the camera was turned; the pixels must be turned 90° clockwise.
ROTATED = 6


def photo(size: tuple[int, int] = (400, 300), fmt: str = "JPEG", gps: bool = True) -> bytes:
    """A photo whose left half is red, with EXIF: camera, GPS position, orientation 6."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = ROTATED
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif)
    return out.getvalue()


def noise_png(width: int, height: int) -> bytes:
    """A PNG that cannot compress: its size on disk is about width × height × 3."""
    import os

    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 30_000) -> bytes:
    """A 1 KB PNG that claims side × side pixels (900 million by default): its header
    is all a guard may read before refusing."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1024)
    chunks = _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def executable() -> bytes:
    """The start of the Python interpreter running the tests: a real ELF executable."""
    return Path(sys.executable).resolve().read_bytes()[:65536]


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def exif_of(data: bytes) -> dict:
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return {"base": dict(exif), "gps": dict(exif.get_ifd(ExifTags.IFD.GPSInfo))}

"""Real image files, made by Pillow for the upload tests: photos with what a
camera writes (GPS position, serial number, orientation), and files that only
pretend to be images."""

from __future__ import annotations

import functools
import io
import struct
import zlib

from PIL import Image

#: EXIF tags: the GPS block, the camera's own block, and what is in them.
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112
BODY_SERIAL_NUMBER = 0xA431
SERIAL = "SN-4815162342"
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b"<rdf:RDF><rdf:Description>Passo dello Stelvio 45.1234N</rdf:Description></rdf:RDF>"
    b'</x:xmpmeta><?xpacket end="w"?>'
)


def gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture with some detail: two gradients, so it does not compress to nothing."""
    image = Image.linear_gradient("L").resize((width, height))
    other = image.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    if mode == "L":
        return image
    rgb = Image.merge("RGB", (image, other, Image.new("L", (width, height), 90)))
    if mode == "RGBA":
        rgba = rgb.convert("RGBA")
        rgba.putalpha(other)
        return rgba
    return rgb


def camera_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: make, model, orientation, serial number, GPS position."""
    exif = Image.Exif()
    exif[MAKE] = "Fotocamera"
    exif[MODEL] = "Modello X"
    exif[ORIENTATION] = orientation
    exif.get_ifd(EXIF_IFD)[BODY_SERIAL_NUMBER] = SERIAL
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (46.0, 31.0, 42.0)
    gps[3] = "E"
    gps[4] = (10.0, 27.0, 13.0)
    return exif


def photo_bytes(width: int = 2000, height: int = 1500, **exif_options: int) -> bytes:
    """A JPEG photo with a GPS position, a serial number and XMP."""
    buffer = io.BytesIO()
    gradient(width, height).save(
        buffer, "JPEG", quality=90, exif=camera_exif(**exif_options), xmp=XMP
    )
    return buffer.getvalue()


def png_bytes(width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    gradient(width, height, mode).save(buffer, "PNG")
    return buffer.getvalue()


def halves_photo(orientation: int) -> bytes:
    """A 300 × 200 JPEG, red on its left half and blue on its right, with this orientation."""
    image = Image.new("RGB", (300, 200), (220, 0, 0))
    image.paste((0, 0, 220), (150, 0, 300, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=camera_exif(orientation))
    return buffer.getvalue()


def gif_bytes(frames: int = 1) -> bytes:
    colours = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (200, 200, 0)]
    images = [Image.new("RGB", (64, 48), colours[number % 4]) for number in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=frames > 1, append_images=images[1:], duration=100)
    return buffer.getvalue()


@functools.cache
def bomb_bytes(width: int = 30000, height: int = 30000) -> bytes:
    """A small, valid PNG of a huge black image (a decompression bomb): zeros compress well.

    Written chunk by chunk (Pillow would take seconds to make it): one-bit
    pixels, each row its filter byte then zeros.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"

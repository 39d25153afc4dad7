"""Take in an uploaded image: check it whole, then make the sizes the site serves.

Pure: bytes in, encoded files out, no request, no database, no disk. Every
image is opened by Pillow among the accepted formats only, its declared
pixels counted *before* it is decoded (a small file may declare a huge
image: a "decompression bomb"), then decoded entirely, so that a truncated
or damaged file is refused rather than served half. What is stored is never
the uploaded file: every size is encoded anew from the pixels alone, so no
metadata (EXIF, GPS position, camera serial, XMP, comments, colour
profile) and nothing appended to the image survives.

Animated images (GIF, WebP, APNG) are refused, not flattened to their first
frame: an author would not expect a still, and says so once instead of
finding out on the page.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from blog import messages

#: The formats an upload may be in (Pillow's names); nothing else is tried.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
#: The widths made for ``srcset``; an image narrower than one is never enlarged.
WIDTHS = (480, 960, 1600)
#: Encoder settings of the stored formats.
WEBP_QUALITY = 80
JPEG_QUALITY = 82
#: EXIF's orientation tag.
ORIENTATION = 0x0112

# Markup a browser or a server could run, in a file that claims to be an
# image (a "polyglot"): refused even when the image part decodes. A fixed
# set of literals, one linear pass.
_CODE = re.compile(
    rb"<\s*(?:script|html|body|iframe|svg|object|embed|meta|!doctype)\b|<\?php|javascript:",
    re.IGNORECASE,
)
_SRGB = ImageCms.createProfile("sRGB")


class ImageRefused(ValueError):
    """The upload is not an image the site takes; ``message`` says why, in the site's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Size:
    """One width of the image, encoded in every stored format (``kind`` -> bytes)."""

    width: int
    height: int
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class ProcessedImage:
    """What is kept of an upload: its sizes, narrowest first, in WebP and ``fallback``."""

    source_format: str
    fallback: str
    sizes: list[Size]

    @property
    def width(self) -> int:
        return self.sizes[-1].width

    @property
    def height(self) -> int:
        return self.sizes[-1].height


def process_image(data: bytes, max_pixels: int) -> ProcessedImage:
    """Check ``data`` is one whole still image of at most ``max_pixels``; re-encode it.

    Raise :class:`ImageRefused` with the reason otherwise.
    """
    image = open_checked(data, max_pixels)
    if _CODE.search(data):
        raise ImageRefused(str(messages.MEDIA_HAS_CODE))
    image = upright(image)
    image = in_srgb(image)
    fallback = fallback_format(image.format or "", image.mode)
    sizes = [
        Size(sized.width, sized.height, encode(sized, fallback))
        for sized in resized(image, widths_for(image.width))
    ]
    return ProcessedImage(image.format or "", fallback, sizes)


def open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Open ``data``, count its pixels, then decode it whole."""
    try:
        with warnings.catch_warnings():
            # Pillow's own warning threshold is global; ours (max_pixels) is
            # checked below, before anything is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise ImageRefused(str(messages.MEDIA_TOO_MANY_PIXELS_UNKNOWN)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRefused(str(messages.MEDIA_NOT_AN_IMAGE)) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRefused(str(messages.MEDIA_NOT_AN_IMAGE))
    if width * height > max_pixels:
        raise ImageRefused(
            messages.MEDIA_TOO_MANY_PIXELS.format(
                width=width, height=height, limit=f"{max_pixels / 1_000_000:g}"
            )
        )
    if getattr(image, "n_frames", 1) > 1:
        raise ImageRefused(str(messages.MEDIA_ANIMATED))
    try:
        image.load()
    # A stranger's file reaches the decoders here: whatever they raise
    # (OSError for a truncated file, SyntaxError, ValueError, struct.error…)
    # means the same thing to the uploader.
    except Exception:
        raise ImageRefused(str(messages.MEDIA_DAMAGED)) from None
    return image


def upright(image: Image.Image) -> Image.Image:
    """Turn the pixels as the EXIF orientation says, so no viewer has to."""
    try:
        orientation = image.getexif().get(ORIENTATION, 1)
    except Exception:  # an unreadable EXIF block orients nothing
        return image
    if orientation in (None, 1):
        return image
    source_format = image.format
    try:
        turned = ImageOps.exif_transpose(image)
    except Exception:  # idem
        return image
    turned.format = source_format
    return turned


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def in_srgb(image: Image.Image) -> Image.Image:
    """The pixels in sRGB, in ``RGB``, ``RGBA`` or ``L``; the colour profile dropped."""
    source_format = image.format
    if has_alpha(image):
        target = "RGBA"
    else:
        target = "L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB"
    profile = image.info.get("icc_profile")
    converted = None
    if profile and target != "L":
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            if image.mode == "P":
                image = image.convert(target)
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=target)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # an unreadable profile: the pixels as they are
    if converted is None:
        converted = image if image.mode == target else image.convert(target)
    converted.format = source_format
    return converted


def fallback_format(source_format: str, mode: str) -> str:
    """The classic format stored beside WebP: the original's, or the nearest."""
    if source_format == "JPEG":
        return "jpeg"
    if source_format == "WEBP" and mode != "RGBA":
        return "jpeg"
    return "png"


def widths_for(width: int) -> list[int]:
    """The widths to make: each of ``WIDTHS`` below the image's, then its own (capped)."""
    return sorted({w for w in WIDTHS if w < width} | {min(width, WIDTHS[-1])})


def resized(image: Image.Image, widths: list[int]) -> list[Image.Image]:
    """The image at each width (narrowest first), each scaled from the next wider one."""
    made: list[Image.Image] = []
    source = image
    for width in sorted(widths, reverse=True):
        height = max(1, round(image.height * width / image.width))
        if (width, height) == source.size:
            sized = source.copy() if source is image else source
        else:
            sized = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=1.5)
        # Resizing copies the source's info (EXIF, XMP, ICC…): nothing of it is kept.
        sized.info = {}
        made.append(sized)
        source = sized
    return list(reversed(made))


def encode(image: Image.Image, fallback: str) -> dict[str, bytes]:
    """The image in WebP and in ``fallback``, with nothing but the pixels."""
    files = {}
    for kind in ("webp", fallback):
        buffer = io.BytesIO()
        if kind == "webp":
            image.save(buffer, "WEBP", quality=WEBP_QUALITY)
        elif kind == "jpeg":
            image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        else:
            image.save(buffer, "PNG")
        files[kind] = buffer.getvalue()
    return files

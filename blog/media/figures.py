"""An image as a page shows it: ``<figure>``, WebP and the classic format, every size.

Used for the images placed in articles (the snippet the editor inserts,
then sanitized with the article) and for featured images. Every ``<img>``
says its ``width`` and ``height``, so the page does not move as it loads.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from blog.core.urls import external_url
from blog.models import MediaFile

#: Where the files are served, by Flask in development and nginx in production.
MEDIA_PATH = "/media/"
#: The width the image takes in the page: the whole screen on a phone, the
#: text's column (``--measure`` in site.css) beyond.
SIZES = "(max-width: 42rem) 100vw, 42rem"
#: The width ``src`` names (for browsers without ``srcset``), or the widest below it.
DEFAULT_WIDTH = 960


def media_url(name: str) -> str:
    return MEDIA_PATH + name


def srcset(media: MediaFile, kind: str) -> str:
    return ", ".join(
        f"{media_url(media.file_name(size['width'], kind))} {size['width']}w"
        for size in media.sizes
    )


def default_size(media: MediaFile) -> dict[str, Any]:
    """The size ``src`` names: ``DEFAULT_WIDTH``, or the widest narrower one."""
    fitting = [size for size in media.sizes if size["width"] <= DEFAULT_WIDTH]
    return fitting[-1] if fitting else media.sizes[0]


FIGURE = Markup(
    "<figure><picture>"
    '<source type="image/webp" srcset="{webp}" sizes="{sizes}">'
    '<img src="{src}" srcset="{fallback}" sizes="{sizes}" width="{width}" height="{height}"'
    ' alt="{alt}"{loading} decoding="async">'
    "</picture>{caption}</figure>"
)
LAZY = Markup(' loading="lazy"')
CAPTION = Markup("<figcaption>{}</figcaption>")


def render_image(media: MediaFile, alt: str, caption: str = "", lazy: bool = True) -> Markup:
    """The ``<figure>`` of ``media`` with ``alt`` text and an optional caption.

    ``lazy``: below the fold, loaded when the reader scrolls near it; the
    first image of a page (a featured image) is not. Every value is escaped
    by ``Markup.format``.
    """
    size = default_size(media)
    return FIGURE.format(
        webp=srcset(media, "webp"),
        sizes=SIZES,
        src=media_url(media.file_name(size["width"], media.fallback)),
        fallback=srcset(media, media.fallback),
        width=size["width"],
        height=size["height"],
        alt=alt,
        loading=LAZY if lazy else "",
        caption=CAPTION.format(caption.strip()) if caption.strip() else "",
    )


def open_graph_image(media: MediaFile) -> dict[str, Any]:
    """The widest size in the classic format, as Open Graph tags name it (absolute URL)."""
    widest = media.sizes[-1]
    return {
        "url": external_url(
            "media_files.file", name=media.file_name(widest["width"], media.fallback)
        ),
        "type": media.mime,
        "width": widest["width"],
        "height": widest["height"],
    }


def first_image_eager(html: str) -> Markup:
    """``html`` (already sanitized) with its first image no longer lazy.

    Every placed figure says ``loading="lazy"``: the editor cannot know where
    it will fall. The first one of an article is near the top, where a lazy
    image would be the last thing to load (Lighthouse's "Largest Contentful
    Paint image was lazily loaded"); the rest stay lazy.
    """
    first = re.search(r"<img\b[^>]*>", html)
    if first is None or ' loading="lazy"' not in first.group(0):
        return Markup(html)  # nosec B704: sanitized at write time, only trimmed here
    tag = first.group(0).replace(' loading="lazy"', "", 1)
    return Markup(html[: first.start()] + tag + html[first.end() :])  # nosec B704

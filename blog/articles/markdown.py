"""An article's Markdown, rendered to the safe HTML its page shows.

CommonMark with tables and strikethrough (markdown-it-py), HTML allowed
inside it, then cleaned by the one sanitizer (``clean_article_html``). Pure:
no request, no database; the editor's preview and the stored article use
the same function, so a preview never shows what the page would not.

Its cost is bounded before any HTML is parsed: the source's length
(``ARTICLE_MAX_LENGTH``), the nesting the Markdown parser follows, the HTML
written inside the Markdown, and the tags the whole renders to. Past a
bound the article is refused with a message that says which, and the text
stays with its author; nothing is cut silently.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from blog import messages
from blog.comments.sanitize import (
    ARTICLE_MARKUP_LIMIT,
    ARTICLE_NESTING_LIMIT,
    clean_article_html,
    raw_html_within_limits,
)

#: Block levels markdown-it follows (its own limit, kept): a quotation or a
#: list item that opens at the last one would lose its content, so such
#: Markdown is refused instead (19 quotations, or 9 lists, inside each other).
MAX_NESTING = 20
_CONTAINERS = ("blockquote_open", "list_item_open")
#: Tags and character references (``&quot;``…) the rendered article may
#: hold, Markdown's and the author's HTML together: the cleaner parses about
#: 20,000 in a second. A long article, 15,000 words, has about 5,000.
MARKUP_LIMIT = 20_000
#: ``ARTICLE_MAX_LENGTH``'s default, for callers outside the application.
DEFAULT_MAX_LENGTH = 100_000

_markdown = MarkdownIt(
    "commonmark",
    {
        "html": True,
        "linkify": False,
        "typographer": False,
        "maxNesting": MAX_NESTING,
        "xhtmlOut": False,
    },
).enable(["table", "strikethrough"])

_renderer = RendererHTML()
_ALIGNMENTS = {f"text-align:{side}": f"align-{side}" for side in ("left", "center", "right")}


class MarkdownRefused(ValueError):
    """Markdown the renderer will not render; ``str()`` says why, in the site's language."""

    def __init__(self, message: Any, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.values = values

    def __str__(self) -> str:
        return str(self.message.format(**self.values))


def _setting(key: str, default: Any) -> Any:
    if has_app_context():
        return current_app.config.get(key, default)
    return default


def render_markdown(
    source: str, *, site_url: str | None = None, max_length: int | None = None
) -> str:
    """Render an article's Markdown to sanitized HTML, or raise ``MarkdownRefused``.

    ``site_url`` (default: ``SITE_URL``) is where images may come from besides
    the site's own paths; ``max_length`` defaults to ``ARTICLE_MAX_LENGTH``.
    """
    if site_url is None:
        site_url = _setting("SITE_URL", None)
    if max_length is None:
        max_length = _setting("ARTICLE_MAX_LENGTH", DEFAULT_MAX_LENGTH)
    if len(source) > max_length:
        raise MarkdownRefused(messages.TOO_LONG, max=max_length)
    tokens = _markdown.parse(source)
    _check_nesting(tokens)
    _align_columns(tokens)
    _clean_raw_html(tokens, site_url)
    html = _renderer.render(tokens, _markdown.options, {})
    if html.count("<") + html.count("&") > MARKUP_LIMIT:
        raise MarkdownRefused(messages.ARTICLE_TOO_MUCH_FORMATTING, limit=MARKUP_LIMIT)
    return clean_article_html(html, site_url)


def _check_nesting(tokens: list[Token]) -> None:
    """Refuse Markdown nested past what the parser follows (it drops the rest)."""
    for token in tokens:
        if token.type in _CONTAINERS and token.level >= MAX_NESTING - 1:
            raise MarkdownRefused(messages.ARTICLE_TOO_DEEP)


def _align_columns(tokens: list[Token]) -> None:
    """A table column's alignment: a class of ours instead of the style Markdown writes."""
    for token in tokens:
        if token.type in ("th_open", "td_open") and "style" in token.attrs:
            alignment = _ALIGNMENTS.get(str(token.attrs.pop("style")))
            if alignment:
                token.attrs["class"] = alignment


def _clean_raw_html(tokens: list[Token], site_url: str | None) -> None:
    """Clean each piece of the author's HTML on its own, before the whole.

    Markdown's own tags always close; the author's may not. A ``<b>`` left
    open would be opened again by the HTML parser in every later block,
    each copy costing more than the last: cleaned within its own block (or
    paragraph, heading, table cell), an unclosed tag ends there.
    """
    pieces: list[tuple[Token, str]] = []
    for token in tokens:
        if token.type == "html_block":
            pieces.append((token, token.content))
        elif token.type == "inline" and any(
            child.type == "html_inline" for child in token.children or []
        ):
            raw = "".join(
                child.content for child in token.children or [] if child.type == "html_inline"
            )
            pieces.append((token, raw))
    if not raw_html_within_limits(raw for _, raw in pieces):
        raise MarkdownRefused(
            messages.ARTICLE_TOO_MUCH_HTML, limit=ARTICLE_MARKUP_LIMIT, depth=ARTICLE_NESTING_LIMIT
        )
    for token, _ in pieces:
        if token.type == "html_block":
            token.content = clean_article_html(token.content, site_url) + "\n"
        else:
            inline = _renderer.renderInline(token.children or [], _markdown.options, {})
            cleaned = Token("html_inline", "", 0, content=clean_article_html(inline, site_url))
            token.children = [cleaned]

"""Turn what a commenter typed into safe HTML, once, at write time.

This is the only module that knows about bleach: bleach is deprecated
upstream (security fixes only), so it stays behind these few functions and
can be swapped out without touching the rest of the application.
"""

from __future__ import annotations

import functools
import html as html_text
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import bleach
from bleach import html5lib_shim
from bleach.linkifier import TLDS, LinkifyFilter

from blog.core.trie import alternation

#: WordPress's allowlist for comments (``$allowedtags`` in kses.php).
COMMENT_TAGS: frozenset[str] = frozenset(
    {
        "a",
        "abbr",
        "acronym",
        "b",
        "blockquote",
        "cite",
        "code",
        "del",
        "em",
        "i",
        "q",
        "s",
        "strike",
        "strong",
    }
)
COMMENT_ATTRIBUTES: dict[str, list[str]] = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "acronym": ["title"],
    "blockquote": ["cite"],
    "del": ["datetime"],
    "q": ["cite"],
}
#: What the paragraph step adds, and what the link step sets.
LAYOUT_TAGS: frozenset[str] = frozenset({"p", "br"})
LINK_REL = "nofollow ugc noopener"
PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})
#: Elements removed together with everything inside them.
DROP_CONTENT_TAGS: frozenset[str] = frozenset({"script", "style"})

#: Newer generic top-level domains that bleach's list predates; linked even
#: without "http://", like the classic ones.
EXTRA_TLDS = (
    "app", "art", "blog", "cloud", "club", "design", "dev", "email", "live", "news",
    "online", "page", "shop", "site", "store", "tech", "top", "website", "xyz",
)  # fmt: skip


_TLD_PATTERN = alternation({tld.lower() for tld in (*TLDS, *EXTRA_TLDS)})

# Bare URLs: with http(s):// any well-formed host is a link (so that a new
# top-level domain cannot slip links past the link count); without a scheme
# only hosts under a known top-level domain, so that "ciao.come" stays text.
#
# Strangers' text: the pattern must run in linear time. A host without a
# scheme starts only where a word starts (not after a letter, digit, "-",
# "." or "@"), so a run such as "a-a-a-…" is scanned once, not once per
# hyphen; a dot joins two labels only when a word character follows, so the
# labels are never backtracked; labels are at most 63 characters (DNS), the
# leading parentheses and the path bounded, because the linkifier trims each
# match one character at a time.
URL_RE = re.compile(
    rf"""\({{0,20}}+  # opening parentheses, trimmed again by the linkifier
    (?:
        \b(?<![@.])https?://(?:[\w-]{{1,63}}+\.(?=\w))++(?:[^\W\d_]{{2,63}}|xn--[\w-]+)
      | (?<![\w@.-])\b(?:[\w-]{{1,63}}+\.(?=\w))++(?:{_TLD_PATTERN})
    )
    (?::[0-9]++)?(?!\.\w)\b
    (?:[/?#][^\s{{}}|\\^`<>"]{{0,2000}}+)?
    """,
    re.IGNORECASE | re.VERBOSE | re.UNICODE,
)

# Limits on what the HTML parser is handed. html5lib spends tens of
# microseconds on every tag, entity and line break, and more than linearly on
# nesting and misnesting (its adoption agency algorithm and scope checks walk
# the open elements): 64 KB of "<b>" took seconds. Real comments hold a
# handful of tags; articles hold more, and imports come from files.
#: Tags, "<" and "&" signs, line breaks and bare links in one comment.
COMMENT_MARKUP_LIMIT = 1000
#: Elements open inside one another in a comment.
COMMENT_NESTING_LIMIT = 20
ARTICLE_MARKUP_LIMIT = 5000
ARTICLE_NESTING_LIMIT = 100
#: Elements that hold nothing, so never nest.
VOID_TAGS: frozenset[str] = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip
#: Elements a sibling of the same name closes (an unclosed "<li>" does not nest).
SIBLING_CLOSED_TAGS: frozenset[str] = frozenset({"p", "li", "dt", "dd", "tr", "td", "th"})
#: No element of any allowlist has a longer name: a "tag" with a longer one
#: is text, and html5lib would read its name one character at a time.
TAG_NAME_LIMIT = 32
_LONG_TAG_NAME = re.compile(rf"<(?=/?[A-Za-z][^\s/>]{{{TAG_NAME_LIMIT}}})")
#: Attributes one tag may carry (no allowed element has more than six):
#: html5lib compares each attribute's name with every earlier one of its tag.
ATTRIBUTE_LIMIT = 12
#: Elements html5lib keeps "active" after a block closes around them, and
#: opens again inside every later block: each one left open multiplies what
#: follows, so they count towards nesting until their own end tag.
FORMATTING_TAGS: frozenset[str] = frozenset(
    {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong",
     "tt", "u"}
)  # fmt: skip
#: One attribute as html5lib's tokenizer reads it, after its separators.
_ATTRIBUTE = re.compile(r"""[\s/]*[^\s/>][^\s/>=]*(?:\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*))?""")
_MARKUP_SIGN = re.compile(r"<(/?)([A-Za-z][^\s/>]*)|[<&\n]")

_HREF = (None, "href")
_REL = (None, "rel")
_NOT_IN_URL = re.compile(r"[\s\"'<>`]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>")
_TAG = re.compile(r"<[^>]*>")
_WHITESPACE = re.compile(r"\s+")
_BLOCKQUOTE_TAG = re.compile(r"(</?blockquote\b[^>]*>)", re.IGNORECASE)


class _DropContentFilter(html5lib_shim.Filter):
    """Drop script and style elements along with their text."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        depth = 0
        for token in super().__iter__():
            if token.get("name") in DROP_CONTENT_TAGS:
                if token["type"] == "StartTag":
                    depth += 1
                    continue
                if token["type"] == "EndTag":
                    depth = max(0, depth - 1)
                    continue
            if depth == 0:
                yield token


_EtreeWalker: Any = html5lib_shim.getTreeWalker("etree")


class _SiblingPlaceWalker(_EtreeWalker):
    """html5lib's etree walker, linear in an element's children.

    Climbing back to an element, html5lib's walker finds the element's place
    among its siblings by searching them (``list.index``): quadratic in the
    number of children that have children of their own. 16,000 table rows
    took 14 s to clean, 4,000 a second. This walker remembers each parent's
    places the first time it needs them. Nodes are the ``(element, place,
    ancestors, flag)`` tuples its base class documents.
    """

    def __init__(self, tree: Any) -> None:
        super().__init__(tree)
        self.places: dict[int, dict[int, int]] = {}

    def getParentNode(self, node: Any) -> Any:
        if not isinstance(node, tuple) or node[3] == "text":
            return super().getParentNode(node)
        parents = node[2]
        parent = parents.pop()
        if not parents:
            return parent
        grandparent = parents[-1]
        places = self.places.get(id(grandparent))
        if places is None:
            places = {id(child): place for place, child in enumerate(grandparent)}
            self.places[id(grandparent)] = places
        return parent, places[id(parent)], parents, None


class _Cleaner(bleach.Cleaner):
    """A bleach cleaner that removes script and style contents too.

    Plain bleach, told to strip, keeps the text inside a removed element, so
    ``<script>alert(1)</script>`` would leave ``alert(1)`` on the page.
    ``walker_filters`` see the parsed document before the allowlist does,
    with the ``renamed_tags`` they rename (the parser would strip them).
    """

    # Set by bleach's __init__ (bleach ships no types); wrapped below.
    walker: Callable[[Any], Iterable[dict[str, Any]]]

    def __init__(
        self,
        walker_filters: Iterable[Any] = (),
        renamed_tags: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(strip=True, strip_comments=True, **kwargs)
        # The parser must see script and style as elements (not as text it
        # strips on its own) so that the filter can drop them whole.
        self.parser = html5lib_shim.BleachHTMLParser(
            tags=set(self.tags) | DROP_CONTENT_TAGS | renamed_tags,
            strip=True,
            consume_entities=False,
            namespaceHTMLElements=False,
        )
        filters = list(walker_filters)

        def walk(dom: Any) -> Iterable[dict[str, Any]]:
            stream: Any = _DropContentFilter(_SiblingPlaceWalker(dom))
            for walker_filter in filters:
                stream = walker_filter(stream)
            return stream

        self.walker = walk


def _set_link_rel(attrs: dict[Any, str], is_new: bool) -> dict[Any, str] | None:
    """Give every link ``rel="nofollow ugc noopener"``; unwrap links with no
    href, or with an href no URL could be."""
    href = attrs.get(_HREF, "")
    # Characters a URL never holds unencoded. A quote inside the value would
    # also make the serializer re-escape the value on every pass.
    if not href or _NOT_IN_URL.search(href):
        return None
    attrs[_REL] = LINK_REL
    return attrs


def _linkify(source: Any) -> LinkifyFilter:
    return LinkifyFilter(
        source=source,
        callbacks=[_set_link_rel],
        skip_tags={"code"},
        parse_email=False,
        url_re=URL_RE,
    )


# Articles (imported from WordPress): a wider allowlist than comments, for
# text an author wrote, still with no scripts, styles or event handlers.

ARTICLE_TAGS: frozenset[str] = COMMENT_TAGS | LAYOUT_TAGS | frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
        "img", "figure", "figcaption", "table", "caption", "thead", "tbody",
        "tfoot", "tr", "th", "td", "hr", "pre", "sub", "sup", "u", "small",
        "mark", "div", "span", "cite",
    }
)  # fmt: skip
ARTICLE_ATTRIBUTES: dict[str, list[str]] = {
    **{tag: ["class"] for tag in ARTICLE_TAGS},
    **{tag: ["class", *names] for tag, names in COMMENT_ATTRIBUTES.items()},
    "a": ["class", "href", "title", "rel"],
    "img": ["class", "src", "alt", "title", "width", "height"],
    "ol": ["class", "start", "reversed"],
    "th": ["class", "colspan", "rowspan", "scope"],
    "td": ["class", "colspan", "rowspan"],
    "div": ["class", "aria-hidden"],
}
_BLOCK_START = re.compile(
    r"<(?:h[1-6]|ul|ol|dl|table|blockquote|figure|pre|div|hr|p)\b", re.IGNORECASE
)


class _Cleaners(threading.local):
    """bleach cleaners are not thread-safe: one set per thread."""

    def __init__(self) -> None:
        self.typed = _Cleaner(tags=COMMENT_TAGS, attributes=COMMENT_ATTRIBUTES, protocols=PROTOCOLS)
        self.stored = _Cleaner(
            tags=COMMENT_TAGS | LAYOUT_TAGS,
            attributes={**COMMENT_ATTRIBUTES, "a": ["href", "title", "rel"]},
            protocols=PROTOCOLS,
            filters=[_linkify],
        )
        self.article = _Cleaner(
            tags=ARTICLE_TAGS, attributes=ARTICLE_ATTRIBUTES, protocols=PROTOCOLS
        )
        self.markdown_by_site: dict[str | None, _Cleaner] = {}

    def markdown(self, site_url: str | None) -> _Cleaner:
        """The Markdown article cleaner for images from ``site_url``."""
        cleaner = self.markdown_by_site.get(site_url)
        if cleaner is None:
            cleaner = self.markdown_by_site[site_url] = _markdown_cleaner(site_url)
        return cleaner


_cleaners = _Cleaners()


def _fixed_point(clean: Callable[[str], str], html: str) -> str:
    """Clean again until nothing changes (at most three more passes).

    Cleaning can reshape broken markup; the stored form must be exactly what
    the sanitizer would keep.
    """
    for _ in range(3):
        again = clean(html)
        if again == html:
            break
        html = again
    return html


def _paragraphs_between(html: str, stands_alone: Callable[[str], object]) -> str:
    """Blank lines become paragraphs, single newlines line breaks (like
    wpautop), except in the blocks ``stands_alone`` finds, kept as they are."""
    paragraphs = []
    for block in _BLANK_LINES.split(html.strip()):
        block = block.strip()
        if not block:
            continue
        if stands_alone(block):
            paragraphs.append(block)
        else:
            paragraphs.append("<p>" + block.replace("\n", "<br>\n") + "</p>")
    return "\n".join(paragraphs)


def _article_paragraphs(html: str) -> str:
    """WordPress stores posts without paragraphs (wpautop adds them on
    display): blank lines become paragraphs, except around block elements."""
    return _paragraphs_between(html, _BLOCK_START.match)


def article_to_html(html: str) -> str:
    """Sanitize an article's HTML with the article allowlist; add paragraphs
    when the source has none (as WordPress exports do).

    Markup past the limits is shown as text, escaped, never parsed.
    """
    html = html.replace("\r\n", "\n").replace("\r", "\n")
    if not markup_within_limits(
        html, ARTICLE_MARKUP_LIMIT, ARTICLE_NESTING_LIMIT, count_links=False
    ):
        return _article_paragraphs(html_text.escape(html, quote=False))
    if "<p" not in html.lower():
        html = _article_paragraphs(html)
    cleaned = _fixed_point(_cleaners.article.clean, _cleaners.article.clean(html))
    return _EMPTY_PARAGRAPH.sub("", cleaned)


# Articles written in Markdown (blog/articles/markdown.py): what the editor's
# Markdown makes, and the same elements written as HTML inside it. Narrower
# than imported HTML: no classes or ids of the author's, images only from
# the site itself.

MARKDOWN_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
        "code", "pre", "blockquote", "ul", "ol", "li", "a", "img", "figure",
        "figcaption", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
    }
)  # fmt: skip
#: The only classes an article holds: a table column's alignment, which
#: Markdown writes as ``style`` (never kept) and the renderer turns into these.
ALIGN_CLASSES: frozenset[str] = frozenset({"align-left", "align-center", "align-right"})
#: What every link to another site gets; the author's own rel and target are dropped.
EXTERNAL_LINK_REL = "noopener"
_IMAGE_ATTRIBUTES = frozenset({"alt", "title", "width", "height", "loading"})
_SRC = (None, "src")
_ALT = (None, "alt")
#: What a browser ignores in a URL: leading and trailing spaces and controls,
#: tabs and line breaks anywhere.
_URL_EDGES = "".join(chr(code) for code in range(0x21))
_URL_BREAKS = re.compile(r"[\t\n\r]")


def _url_as_browsers_read(value: str) -> str:
    """An attribute's URL as a browser follows it: entities decoded, blanks gone."""
    return _URL_BREAKS.sub("", html_text.unescape(value)).strip(_URL_EDGES)


def _site_prefix(site_url: str | None) -> str | None:
    return site_url.strip().rstrip("/").lower() + "/" if site_url else None


def is_site_url(value: str, site_url: str | None) -> bool:
    """Tell whether a URL points into this site: a path ("/…", never "//…"
    or "/\\…", which browsers read as another host), or under ``SITE_URL``."""
    url = _url_as_browsers_read(value)
    if url.startswith("/"):
        return url[1:2] not in ("/", "\\")
    prefix = _site_prefix(site_url)
    return prefix is not None and url[: len(prefix)].lower() == prefix


def _markdown_attributes(site_url: str | None) -> Callable[[str, str, str], bool]:
    def allowed(tag: str, name: str, value: str) -> bool:
        if tag == "a":
            return name in ("href", "title")
        if tag == "img":
            return is_site_url(value, site_url) if name == "src" else name in _IMAGE_ATTRIBUTES
        if tag == "ol":
            return name == "start"
        if tag in ("th", "td"):
            return name == "class" and value in ALIGN_CLASSES
        return False

    return allowed


class _TitleLevelFilter(html5lib_shim.Filter):
    """An ``h1`` in an article's body becomes ``h2``: the page's title is its h1."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token.get("name") == "h1" and token["type"] in ("StartTag", "EndTag"):
                token = {**token, "name": "h2"}
            yield token


def _article_links(site_url: str | None) -> Callable[[Any], Any]:
    class ArticleLinkFilter(html5lib_shim.Filter):
        """Links to other sites get ``rel="noopener"``; links with no address
        (bleach removed an unsafe one) become their text; images whose
        address was removed (from another site, or unsafe) become their alt text."""

        def __iter__(self) -> Iterator[dict[str, Any]]:
            unwrapping = False
            for token in super().__iter__():
                name, kind = token.get("name"), token["type"]
                if name == "a" and kind == "StartTag":
                    href = token["data"].get(_HREF, "")
                    if not href or _NOT_IN_URL.search(href):
                        unwrapping = True
                        continue
                    data = {key: value for key, value in token["data"].items() if key != _REL}
                    if not is_site_url(href, site_url) and re.match(
                        r"(?:https?:)?//", _url_as_browsers_read(href), re.IGNORECASE
                    ):
                        data[_REL] = EXTERNAL_LINK_REL
                    token = {**token, "data": data}
                elif name == "a" and kind == "EndTag" and unwrapping:
                    unwrapping = False
                    continue
                elif name == "img" and _SRC not in token["data"]:
                    alt = token["data"].get(_ALT, "")
                    if alt:
                        yield {"type": "Characters", "data": html_text.unescape(alt)}
                    continue
                yield token

    return ArticleLinkFilter


def _markdown_cleaner(site_url: str | None) -> _Cleaner:
    return _Cleaner(
        tags=MARKDOWN_TAGS,
        attributes=_markdown_attributes(site_url),
        protocols=PROTOCOLS,
        walker_filters=[_TitleLevelFilter],
        renamed_tags=frozenset({"h1"}),
        filters=[_article_links(site_url)],
    )


def clean_article_html(html: str, site_url: str | None = None) -> str:
    """Sanitize an article's HTML (what its Markdown renders) with the
    Markdown allowlist; images only from the site (a path, or under ``site_url``).

    The cleaner's cost is linear in well-nested HTML: the caller bounds what
    it hands over (blog/articles/markdown.py does).
    """
    html = html.replace("\r\n", "\n").replace("\r", "\n")
    clean = _cleaners.markdown(site_url).clean
    return _fixed_point(clean, clean(html))


def raw_html_within_limits(fragments: Iterable[str]) -> bool:
    """Tell whether the HTML an author wrote inside Markdown may be parsed:
    each piece nested within the article limit, all of them together within
    its markup limit."""
    budget = ARTICLE_MARKUP_LIMIT
    for fragment in fragments:
        if not markup_within_limits(
            fragment, ARTICLE_MARKUP_LIMIT, ARTICLE_NESTING_LIMIT, count_links=False
        ):
            return False
        budget -= sum(1 for _ in _MARKUP_SIGN.finditer(fragment))
        if budget < 0:
            return False
    return True


def _paragraphs(html: str) -> str:
    """Blank lines become paragraphs, single newlines line breaks (like wpautop)."""
    # Whitespace inside a tag is never a paragraph break.
    html = _TAG.sub(lambda tag: _WHITESPACE.sub(" ", tag.group()), html)
    # A quotation is a block of its own, with paragraphs inside.
    html = _BLOCKQUOTE_TAG.sub(r"\n\n\1\n\n", html)
    return _paragraphs_between(html, _BLOCKQUOTE_TAG.fullmatch)


def sanitize_stored_html(html: str) -> str:
    """Clean HTML in its stored form; clean input comes back unchanged."""
    cleaned = _cleaners.stored.clean(html)
    return _EMPTY_PARAGRAPH.sub("", cleaned)


def comment_to_html(text: str) -> str:
    """Render a comment as typed into the sanitized HTML that pages show."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if is_plain_text(text):
        # Nothing for the parser to find: paragraphs are all there is to add.
        return _paragraphs(text)
    return clean_comment(text)


def clean_comment(text: str) -> str:
    """The full path of :func:`comment_to_html`: parse, clean, link, paragraphs.

    Text past the markup limits is shown as typed, escaped, with paragraphs
    but no tags or links. The comment form refuses such text before it gets
    here (so that the reader can fix it); flattening bounds every other
    writer, such as WordPress imports.
    """
    if not markup_within_limits(text):
        return _paragraphs(html_text.escape(text, quote=False))
    allowed_only = _cleaners.typed.clean(_LONG_TAG_NAME.sub("&lt;", text))
    return _fixed_point(sanitize_stored_html, sanitize_stored_html(_paragraphs(allowed_only)))


def comment_within_limits(text: str) -> bool:
    """Tell whether :func:`comment_to_html` keeps the markup of ``text``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return is_plain_text(text) or markup_within_limits(text)


# Comment HTML written for another system (a Disqus export, Isso's
# Markdown once rendered). Each pattern reads at most one bounded tag from
# where it starts, and runs only on text within the markup limits.
_FOREIGN_PRE = re.compile(r"(<pre\b[^<>]{0,2000}+>|</pre\s{0,20}+>)", re.IGNORECASE)
_FOREIGN_BLOCK = re.compile(
    r"</?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|table|thead|tbody|tr|hr)\b[^<>]{0,2000}+>",
    re.IGNORECASE,
)
_FOREIGN_BREAK = re.compile(r"<br\b[^<>]{0,2000}+>", re.IGNORECASE)
_MANY_NEWLINES = re.compile(r"\n{3,}")


def foreign_html_to_text(html: str) -> str:
    """Turn another system's comment HTML into text as our comment form takes it.

    In HTML a line break in the source is a space, a paragraph is a tag; in
    what a reader types here, a newline is a line break and a blank line a
    paragraph. So paragraphs and block elements become blank lines, ``<br>``
    a newline, and everything else stays for :func:`comment_to_html` to
    clean. Text past the markup limits is returned as it is:
    :func:`comment_to_html` then shows it as text, never parsed.
    """
    html = html.replace("\r\n", "\n").replace("\r", "\n")
    if is_plain_text(html) or not markup_within_limits(html):
        return html.strip()
    pieces = []
    in_pre = False
    for number, piece in enumerate(_FOREIGN_PRE.split(html)):
        if number % 2:  # a <pre> or </pre> tag: code keeps its lines
            in_pre = not piece.startswith("</")
            pieces.append("\n\n")
        elif in_pre:
            pieces.append(piece)
        else:
            piece = _FOREIGN_BREAK.sub("\n", piece.replace("\n", " "))
            pieces.append(_FOREIGN_BLOCK.sub("\n\n", piece))
    lines = "\n".join(line.strip(" \t") for line in "".join(pieces).split("\n"))
    return _MANY_NEWLINES.sub("\n\n", lines).strip()


# The form checks a comment, then the writer sanitizes the same text: the
# scan is remembered for the few latest texts instead of run twice.
@functools.lru_cache(maxsize=8)
def markup_within_limits(  # noqa: C901 one linear pass on purpose: split only with the benchmarks
    text: str,
    markup_limit: int = COMMENT_MARKUP_LIMIT,
    nesting_limit: int = COMMENT_NESTING_LIMIT,
    *,
    count_links: bool = True,
) -> bool:
    """Tell whether the HTML parser may be handed ``text``: few enough tags,
    markup signs, line breaks and bare links, nested shallowly enough.

    A linear scan that follows nesting as the parser roughly would; it never
    looks deeper than ``nesting_limit`` open elements.
    """
    budget = markup_limit
    open_tags: list[str] = []
    formatting: list[str] = []
    for sign in _MARKUP_SIGN.finditer(text):
        budget -= 1
        if budget < 0:
            return False
        is_end, name = sign.group(1, 2)
        if name is None:
            continue
        position, attributes = sign.end(), 0
        while (attribute := _ATTRIBUTE.match(text, position)) is not None:
            attributes, budget, position = attributes + 1, budget - 1, attribute.end()
            if attributes > ATTRIBUTE_LIMIT or budget < 0:
                return False
        name = name.lower()
        if name in open_tags and (is_end or name in SIBLING_CLOSED_TAGS):
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]
        if name in FORMATTING_TAGS:
            if not is_end:
                formatting.append(name)
            elif name in formatting:
                del formatting[len(formatting) - 1 - formatting[::-1].index(name)]
            if len(formatting) > min(nesting_limit, COMMENT_NESTING_LIMIT):
                return False
        if not is_end and name not in VOID_TAGS:
            open_tags.append(name)
            if len(open_tags) > nesting_limit:
                return False
    if count_links:
        for _ in URL_RE.finditer(text):
            budget -= 1
            if budget < 0:
                return False
    return True


#: Characters the cleaner changes or reads as markup: the markup signs,
#: control characters (shown as "?") and lone surrogates.
_NOT_PLAIN = re.compile(r"[<>&\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def is_plain_text(text: str) -> bool:
    """Tell whether the cleaner would only add paragraphs to ``text``:
    no markup, no entity, no control character, nothing it would link.

    Most comments are such text; they skip the HTML parser, which is most of
    the cost of storing a comment. ``clean_comment`` gives the same result.
    """
    return _NOT_PLAIN.search(text) is None and URL_RE.search(text) is None


def is_sanitized(html: str) -> bool:
    """Tell whether stored HTML is already exactly what the sanitizer keeps."""
    return sanitize_stored_html(html) == html

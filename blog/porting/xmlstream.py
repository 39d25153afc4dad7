"""Reading a stranger's XML as it arrives, within limits.

:func:`read_xml` parses a file as it is read, with lxml's pull parser
(libxml2) set to expand no entity, read no DTD, reach no network and keep
its own size limits (no ``huge_tree``), and refuses a file that declares
entities at all, as defusedxml did. It tells a handler of each unit (a
WordPress post, a Disqus thread or comment) and its parts, lets go of each
once handled, and refuses a file that would make it hold too much at once:
elements and attributes, characters of text, names and attribute values,
depth.

The tree is built in C, and Python sees only the parser's events, read a
batch at a time after each piece of the file: most of the cost of reading
an export is no longer the reading (docs/performance.md).

Every tag is bounded too: a tag (its name and attributes), a comment or a
processing instruction over ``XML_TOKEN_BYTES`` is refused as soon as that
much of it has been read. Text, however long, is not a token: a stretch
after a ``>`` that opens with ``<![CDATA[``, or holds no ``<``, is text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, Protocol

from blog.core.i18n import lazy_gettext as _l
from blog.porting.importer import ImportFileError
from blog.porting.report import whole_number

#: What an XML file may make the parser hold at once: elements, and
#: characters of text. Comments and posts already read are let go, so only
#: one post with its fields (or a comment) is ever held; these bound a file
#: that tries otherwise.
XML_HELD_ELEMENTS = 100_000
XML_HELD_TEXT = 16 * 1024 * 1024
#: Attributes of one element: an export's have a handful.
XML_ATTRIBUTES = 100
#: Bytes of one token (a tag with its attributes, a comment): an export's
#: are a few hundred; text, however long, is not a token.
XML_TOKEN_BYTES = 1024 * 1024
#: Elements inside one another: no export nests more than a few.
XML_DEPTH = 32
#: Bytes read from the file at a time.
READ_SIZE = 64 * 1024

TOKEN_TOO_LONG = _l("A tag, an attribute or a comment in the file is over {limit} bytes.")
TOO_DEEP = _l("Elements nested more than {limit} levels deep.")
TOO_MANY_ATTRIBUTES = _l("An element of the file has more than {limit} attributes.")
TOO_MANY_ELEMENTS = _l(
    "An element of the file holds more than {limit} (elements or attributes) to read together."
)
TOO_MUCH_TEXT = _l("An element of the file holds more than {limit} characters.")
INVALID_XML = _l("Invalid XML: {error}")
ENTITIES_DECLARED = _l(
    "The file declares entities (<!ENTITY …>): an export never needs them, and they are not read."
)

#: A CDATA section opens so: what follows is text, not a tag.
_CDATA = b"<![CDATA["

#: What a parser may be told to build: the tree of elements, nothing more.
_PARSER_OPTIONS: dict[str, Any] = {
    "events": ("start", "end"),
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}

# Element here is lxml's; the handlers use the ElementTree API it shares.
Element = Any


class XmlHandler(Protocol):
    """What reads the elements of a file, told of each as the parser meets it."""

    def start(self, element: Element, depth: int) -> None:
        """An element at a unit's depth or just under it opened (the root is 1)."""

    def end(self, element: Element, depth: int) -> bool:
        """An element at a unit's depth or just under it closed, whole.

        Return True to let go of an element just under a unit (a comment of
        a WordPress post, once the post is known); units themselves are let
        go of once handled.
        """


class _Tokens:
    """Follows the file's bytes as they are fed, to refuse an endless tag.

    Only the stretch after the last ``>`` can be a tag still open: it is
    one when its first ``<`` opens something other than a CDATA section. A
    few searches per piece of the file, never per element.
    """

    def __init__(self) -> None:
        self.length = 0
        #: Whether the open stretch holds a "<" that starts a tag or a comment.
        self.in_tag = False

    def feed(self, chunk: bytes) -> None:
        closed = chunk.rfind(b">")
        if closed >= 0:
            self.length, self.in_tag = len(chunk) - closed - 1, False
            start = closed + 1
        else:
            self.length += len(chunk)
            start = 0
        if not self.in_tag:
            opened = chunk.find(b"<", start)
            if opened >= 0:
                piece = chunk[opened : opened + len(_CDATA)]
                # Cut off at the end of the piece: still possibly a CDATA section.
                self.in_tag = not _CDATA.startswith(piece)
        if self.in_tag and self.length > XML_TOKEN_BYTES:
            raise ImportFileError(TOKEN_TOO_LONG.format(limit=whole_number(XML_TOKEN_BYTES)))


class _Units:
    """Takes the parser's events: tells the handler, counts, and lets go.

    A unit is an element at ``unit_depth`` (a post of a WordPress export,
    a comment or thread of a Disqus one): it is dropped once handled, and
    so are the elements just under it that the handler lets go of. What is
    held in between is counted, and a file that would make it exceed the
    limits is refused: memory holds one unit, whatever the file's size.
    """

    def __init__(self, handler: XmlHandler, unit_depth: int) -> None:
        self.handler = handler
        self.unit_depth = unit_depth
        self.depth = 0
        self.elements = 0
        self.text = 0
        self._part_start = (0, 0)
        self._checked_dtd = False

    def take(self, events: Iterable[tuple[str, Element]]) -> None:
        start, end = self._start, self._end
        for event, element in events:
            if event == "start":
                start(element)
            else:
                end(element)

    def _start(self, element: Element) -> None:
        self.depth += 1
        if not self._checked_dtd:
            self._check_dtd(element)
        if self.depth > XML_DEPTH:
            raise ImportFileError(TOO_DEEP.format(limit=XML_DEPTH))
        attributes = element.attrib
        size = len(element.tag)
        if attributes:
            if len(attributes) > XML_ATTRIBUTES:
                raise ImportFileError(TOO_MANY_ATTRIBUTES.format(limit=XML_ATTRIBUTES))
            size += sum(len(k) + len(v) for k, v in attributes.items())
        if self.depth == self.unit_depth:
            self.elements, self.text = 0, 0
        elif self.depth == self.unit_depth + 1:
            self._part_start = (self.elements, self.text)
        self._hold(1 + len(attributes), size)
        if self.depth <= self.unit_depth + 1:
            self.handler.start(element, self.depth)

    def _end(self, element: Element) -> None:
        depth, self.depth = self.depth, self.depth - 1
        # Its text, and the text after each element still under it.
        held = len(element.text or "")
        if len(element):
            held += sum(len(child.tail or "") for child in element)
        self._hold(0, held)
        if depth > self.unit_depth + 1:
            return
        let_go = self.handler.end(element, depth)
        if depth == self.unit_depth + 1 and let_go:
            self.elements, self.text = self._part_start
        if let_go or depth <= self.unit_depth:
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)

    def _check_dtd(self, root: Element) -> None:
        """Refuse a file whose DTD declares entities (none is ever expanded)."""
        self._checked_dtd = True
        dtd = root.getroottree().docinfo.internalDTD
        if dtd is not None and any(True for _ in dtd.entities()):
            raise ImportFileError(ENTITIES_DECLARED)

    def _hold(self, elements: int, text: int) -> None:
        """Count what the tree now holds (elements and attributes; characters of
        text, names and values); refuse a file that makes it hold too much."""
        self.elements += elements
        self.text += text
        if self.elements > XML_HELD_ELEMENTS:
            raise ImportFileError(TOO_MANY_ELEMENTS.format(limit=whole_number(XML_HELD_ELEMENTS)))
        if self.text > XML_HELD_TEXT:
            raise ImportFileError(TOO_MUCH_TEXT.format(limit=whole_number(XML_HELD_TEXT)))


def read_xml(
    source: str | Path | IO[bytes],
    handler: XmlHandler,
    unit_depth: int,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Parse an XML file as it is read, expanding no entity and fetching
    nothing, telling ``handler`` of each unit and its parts.

    ``progress`` is told how many bytes each read took from the file.
    """
    if isinstance(source, str | Path):
        with open(source, "rb") as file:
            read_xml(file, handler, unit_depth, progress)
        return
    # Imported here, not with the module: the web workers load the commands
    # that import, never run them, and need not hold lxml (6 MB each).
    from lxml import etree

    units = _Units(handler, unit_depth)
    tokens = _Tokens()
    parser = etree.XMLPullParser(**_PARSER_OPTIONS)
    try:
        while chunk := source.read(READ_SIZE):
            if progress is not None:
                progress(len(chunk))
            tokens.feed(chunk)
            parser.feed(chunk)
            units.take(parser.read_events())
        parser.close()
        units.take(parser.read_events())
    except etree.XMLSyntaxError as error:
        raise ImportFileError(INVALID_XML.format(error=error)) from error

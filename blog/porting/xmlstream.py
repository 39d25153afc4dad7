"""Reading a stranger's XML as it arrives, within limits.

:func:`read_xml` parses a file as it is read, with defusedxml's protections
(no entities, no DTD fetch), tells a handler of each unit (a WordPress post,
a Disqus thread or comment) and its parts, lets go of each once handled, and
refuses a file that would make it hold too much at once: elements and
attributes, characters of text, names and attribute values, depth.

Every token is bounded too. Text comes in pieces as it is read, but a tag
(its name and attributes), a comment or a processing instruction is one
token, and the expat bundled with Python 3.11 (2.5) reads an unfinished one
again from its start on every chunk fed to it: one attribute of 16 MB took
seconds, one of 120 MB minutes. A file that has fed more than
``XML_TOKEN_BYTES`` without the parser reporting anything is refused, so no
token costs more than a few passes over a megabyte.
"""

from __future__ import annotations

# ElementTree builds the tree; defusedxml's parser reads the file.
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

import defusedxml
import defusedxml.ElementTree as SafeET

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
#: are a few hundred; text, however long, comes in pieces.
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


class XmlHandler(Protocol):
    """What reads the elements of a file, told of each as the parser meets it."""

    def start(self, element: ET.Element, depth: int) -> None:
        """An element at a unit's depth or just under it opened (the root is 1)."""

    def end(self, element: ET.Element, depth: int) -> bool:
        """An element at a unit's depth or just under it closed, whole.

        Return True to let go of an element just under a unit (a comment of
        a WordPress post, once the post is known); units themselves are let
        go of once handled.
        """


class _UnitTree(ET.TreeBuilder):
    """Builds the tree a unit at a time, tells the handler, and lets go.

    A unit is an element at ``unit_depth`` (a post of a WordPress export,
    a comment or thread of a Disqus one): it is dropped once handled, and
    so are the elements just under it that the handler lets go of. What is
    held in between is counted, and a file that would make it exceed the
    limits is refused: memory holds one unit, whatever the file's size.
    """

    def __init__(self, handler: XmlHandler, unit_depth: int) -> None:
        super().__init__()
        self.handler = handler
        self.unit_depth = unit_depth
        self.depth = 0
        self.elements = 0
        self.text = 0
        #: Bytes fed since the parser last reported anything: the token it
        #: is still reading, give or take one read.
        self.unfinished = 0
        self._open: list[ET.Element] = []
        self._part_start = (0, 0)
        self._after_part = False

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.unfinished = 0
        self.depth += 1
        if self.depth > XML_DEPTH:
            raise ImportFileError(TOO_DEEP.format(limit=XML_DEPTH))
        if len(attrs) > XML_ATTRIBUTES:
            raise ImportFileError(TOO_MANY_ATTRIBUTES.format(limit=XML_ATTRIBUTES))
        if self.depth == self.unit_depth:
            self.elements, self.text = 0, 0
        elif self.depth == self.unit_depth + 1:
            self._part_start = (self.elements, self.text)
            self._after_part = False
        self._hold(1 + len(attrs), len(tag) + sum(len(k) + len(v) for k, v in attrs.items()))
        element = super().start(tag, attrs)
        if self.depth <= self.unit_depth + 1:
            self._open.append(element)
            self.handler.start(element, self.depth)
        return element

    def _hold(self, elements: int, text: int) -> None:
        """Count what the tree now holds (elements and attributes; characters of
        text, names and values); refuse a file that makes it hold too much."""
        self.elements += elements
        self.text += text
        if self.elements > XML_HELD_ELEMENTS:
            raise ImportFileError(TOO_MANY_ELEMENTS.format(limit=whole_number(XML_HELD_ELEMENTS)))
        if self.text > XML_HELD_TEXT:
            raise ImportFileError(TOO_MUCH_TEXT.format(limit=whole_number(XML_HELD_TEXT)))

    def data(self, data: str) -> None:
        self.unfinished = 0
        # Text right after an element let go is its tail: gone with it.
        if not (self._after_part and self.depth == self.unit_depth):
            self._hold(0, len(data))
        super().data(data)

    def comment(self, text: str | None) -> ET.Element:
        self.unfinished = 0
        return super().comment(text)

    def pi(self, target: str, text: str | None = None) -> ET.Element:
        self.unfinished = 0
        return super().pi(target, text)

    def end(self, tag: str) -> ET.Element:
        self.unfinished = 0
        element = super().end(tag)
        depth, self.depth = self.depth, self.depth - 1
        if depth > self.unit_depth + 1:
            return element
        self._open.pop()
        let_go = self.handler.end(element, depth)
        if depth == self.unit_depth + 1 and let_go:
            self.elements, self.text = self._part_start
            self._after_part = True
        if (let_go or depth <= self.unit_depth) and self._open:
            # Just closed, so the last child of its parent.
            del self._open[-1][-1]
        return element


def read_xml(
    source: str | Path | IO[bytes],
    handler: XmlHandler,
    unit_depth: int,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Parse an XML file as it is read, with defusedxml's protections (no
    entities, no DTD fetch), telling ``handler`` of each unit and its parts.

    ``progress`` is told how many bytes each read took from the file.
    """
    if isinstance(source, str | Path):
        with open(source, "rb") as file:
            read_xml(file, handler, unit_depth, progress)
        return
    tree = _UnitTree(handler, unit_depth)
    parser = SafeET.DefusedXMLParser(target=tree)
    try:
        while chunk := source.read(READ_SIZE):
            if progress is not None:
                progress(len(chunk))
            tree.unfinished += len(chunk)
            parser.feed(chunk)
            if tree.unfinished > XML_TOKEN_BYTES:
                raise ImportFileError(TOKEN_TOO_LONG.format(limit=whole_number(XML_TOKEN_BYTES)))
        parser.close()
    except (SafeET.ParseError, defusedxml.DefusedXmlException) as error:
        raise ImportFileError(INVALID_XML.format(error=error)) from error

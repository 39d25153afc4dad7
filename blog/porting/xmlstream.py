"""Reading a stranger's XML as it arrives, within limits.

:func:`read_xml` parses a file as it is read, with defusedxml's protections
(no entities, no DTD fetch), tells a handler of each unit (a WordPress post,
a Disqus thread or comment) and its parts, lets go of each once handled, and
refuses a file that would make it hold too much at once.
"""

from __future__ import annotations

# ElementTree builds the tree; defusedxml's parser reads the file.
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

import defusedxml
import defusedxml.ElementTree as SafeET

from blog.porting.importer import ImportFileError
from blog.porting.report import italian

#: What an XML file may make the parser hold at once: elements, and
#: characters of text. Comments and posts already read are let go, so only
#: one post with its fields (or a comment) is ever held; these bound a file
#: that tries otherwise.
XML_HELD_ELEMENTS = 100_000
XML_HELD_TEXT = 16 * 1024 * 1024
#: Elements inside one another: no export nests more than a few.
XML_DEPTH = 32
#: Bytes read from the file at a time.
READ_SIZE = 64 * 1024


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
        self._open: list[ET.Element] = []
        self._part_start = (0, 0)
        self._after_part = False

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.depth += 1
        if self.depth > XML_DEPTH:
            raise ImportFileError(f"Elementi annidati oltre {XML_DEPTH} livelli.")
        if self.depth == self.unit_depth:
            self.elements, self.text = 0, 0
        elif self.depth == self.unit_depth + 1:
            self._part_start = (self.elements, self.text)
            self._after_part = False
        self.elements += 1
        if self.elements > XML_HELD_ELEMENTS:
            raise ImportFileError(
                f"Un elemento del file ne contiene più di {italian(XML_HELD_ELEMENTS)} "
                "da leggere insieme."
            )
        element = super().start(tag, attrs)
        if self.depth <= self.unit_depth + 1:
            self._open.append(element)
            self.handler.start(element, self.depth)
        return element

    def data(self, data: str) -> None:
        # Text right after an element let go is its tail: gone with it.
        if not (self._after_part and self.depth == self.unit_depth):
            self.text += len(data)
            if self.text > XML_HELD_TEXT:
                raise ImportFileError(
                    f"Un elemento del file contiene più di {italian(XML_HELD_TEXT)} caratteri."
                )
        super().data(data)

    def end(self, tag: str) -> ET.Element:
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
    parser = SafeET.DefusedXMLParser(target=_UnitTree(handler, unit_depth))
    try:
        while chunk := source.read(READ_SIZE):
            if progress is not None:
                progress(len(chunk))
            parser.feed(chunk)
        parser.close()
    except (SafeET.ParseError, defusedxml.DefusedXmlException) as error:
        raise ImportFileError(f"XML non valido: {error}") from error

"""Mail to teach the learning filter: mbox files, maildirs, folders of messages.

``flask spam-train`` and the benchmark read mail with the standard library
(``mailbox``, ``email``) and hand the filter what a comment would give it:
the sender's name and address, the subject and text, the links. An HTML
body is reduced to its text and its links' addresses. A file that is not a
mail at all is read as plain text.

A message that cannot be read (broken, or nested deeper than the parser
goes) is skipped and counted, and the rest is read: one hostile message
never stops a whole training run.
"""

from __future__ import annotations

import email
import email.errors
import mailbox
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message as MailMessage
from email.utils import parseaddr
from html.parser import HTMLParser
from pathlib import Path

from blog.spam.bayes import Message

#: The text read of one message: the filter stops at ``bayes.MAX_TOKENS``
#: tokens anyway.
MAX_TEXT = 200_000
#: Headers that tell a mail from a plain text file.
MAIL_HEADERS = frozenset(
    {"from", "subject", "date", "received", "message-id", "content-type", "return-path", "to"}
)
#: How deep into nested parts a message is read, and how many parts at most.
MAX_DEPTH = 50
MAX_PARTS = 1000
#: What reading one message may raise; RecursionError is the standard
#: library's parser giving up on parts nested thousands deep.
UNREADABLE = (
    email.errors.MessageError,
    LookupError,
    RecursionError,
    UnicodeError,
    ValueError,
)
_URL = re.compile(r"https?://[^\s<>\"'()]+", re.IGNORECASE)
_BLOCKS = frozenset({"p", "br", "div", "li", "tr", "td", "h1", "h2", "h3", "blockquote"})


class _TextAndLinks(HTMLParser):
    """The text of an HTML body, without script or style, and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> tuple[str, list[str]]:
    """The text of an HTML document and the addresses of its links."""
    parser = _TextAndLinks()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts), parser.links


def header(message: MailMessage, name: str) -> str:
    """A header's value with its encoded words decoded ("" if missing or broken)."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (email.errors.MessageError, LookupError, UnicodeError, ValueError):
        return str(value)


def _part_text(part: MailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "latin-1"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("latin-1")


def text_parts(message: MailMessage) -> Iterator[MailMessage]:
    """The parts of a message, depth first, without recursion and bounded."""
    stack: list[tuple[MailMessage, int]] = [(message, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        if part.get_content_maintype() == "text":
            yield part
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list) and depth < MAX_DEPTH:
            stack.extend((sub, depth + 1) for sub in reversed(payload))


def mail_message(message: MailMessage) -> Message:
    """What the filter reads of a mail: name, address, subject and text, links."""
    name, address = parseaddr(header(message, "From"))
    texts = [header(message, "Subject")]
    links: list[str] = []
    length = 0
    for part in text_parts(message):
        if length > MAX_TEXT:
            break
        text = _part_text(part)[:MAX_TEXT]
        if part.get_content_subtype() == "html":
            text, found = html_to_text(text)
            links.extend(found)
        else:
            links.extend(_URL.findall(text))
        texts.append(text)
        length += len(text)
    return Message(text="\n".join(texts)[:MAX_TEXT], name=name, email=address, links=links)


def parse_file(raw: bytes) -> Message:
    """One file's message: a mail if it has a mail's headers, else plain text."""
    parsed = email.message_from_bytes(raw)
    if not any(name.lower() in MAIL_HEADERS for name in parsed.keys()):
        return Message(text=raw.decode("utf-8", "replace")[:MAX_TEXT])
    return mail_message(parsed)


class Reading:
    """Reading the messages under a path, counting those that cannot be read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.skipped = 0

    def __iter__(self) -> Iterator[Message]:
        path = self.path
        if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
            yield from self._mailbox(mailbox.Maildir(path, factory=None, create=False))
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and not file.name.startswith("."):
                    yield from self._file(file)
        else:
            yield from self._file(path)

    def _file(self, path: Path) -> Iterator[Message]:
        """An mbox (it starts with "From "), else one message."""
        with path.open("rb") as handle:
            start = handle.read(5)
        if start == b"From ":
            yield from self._mailbox(mailbox.mbox(path, create=False))
            return
        try:
            yield parse_file(path.read_bytes())
        except UNREADABLE:
            self.skipped += 1

    def _mailbox(self, box: mailbox.mbox | mailbox.Maildir) -> Iterator[Message]:
        for key in box.iterkeys():
            try:
                message = mail_message(box.get_message(key))
            except UNREADABLE:
                self.skipped += 1
                continue
            yield message


def messages_in(path: Path) -> Iterator[Message]:
    """Every readable message under ``path``: a maildir, a folder of files, or one file."""
    return iter(Reading(path))

"""Isso's SQLite database: its comments, imported onto our articles.

Isso keeps ``threads`` (one per page: its ``uri``, the page's path) and
``comments`` (``tid``, ``parent``, ``mode``: 1 published, 2 waiting for
moderation, 4 deleted while it had replies; ``created`` in Unix seconds;
author, email and website HTML-escaped, the address already cut to its
/24 or /48, and the text in Markdown as typed). A thread is matched to one of our articles
by its URI (the article's path or slug); the report lists those that
matched nothing. The Markdown is rendered (markdown-it-py, CommonMark),
turned into text as our form takes it, and sanitized like every comment.

The database comes from elsewhere: it is opened read-only, checked first,
and read only from its two tables (never a view or a trigger of its own).
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from blog.comments.sanitize import foreign_html_to_text, markup_within_limits
from blog.core.forms import COMMENT_MAX
from blog.core.i18n import lazy_gettext as _l
from blog.models import CommentStatus
from blog.porting.importer import (
    ISSO,
    LINK_MAX,
    CommentWriter,
    ImportedComment,
    ImportFileError,
    Progress,
    Reader,
    find_article,
)

#: Isso's comment modes.
STATUS_FROM_MODE = {1: CommentStatus.APPROVED, 2: CommentStatus.PENDING, 4: CommentStatus.TRASH}
NOT_ISSO = _l("The file is not an Isso database (the threads and comments tables are missing).")
NO_THREAD = _l("Comments of discussions with no article, skipped")
NO_FILE = _l("The file does not exist: {path}")
UNREADABLE = _l("Unreadable database: {error}")
DAMAGED = _l("Damaged database: {detail}")
NO_URI = _l("(no uri)")
#: Comments read from the database at a time.
FETCH_SIZE = 1000

# CommonMark as Isso's readers wrote it; raw HTML is left for the sanitizer.
_markdown = MarkdownIt("commonmark")


def markdown_to_text(text: str) -> str:
    """Isso's Markdown as text our comment form would take.

    The renderer only ever sees what the sanitizer's own limits allow (a
    comment's length, its markup, line breaks and links): anything past
    them is left as it is, which the writer skips (too long) or shows as
    text (too much markup).
    """
    if len(text) > COMMENT_MAX or not markup_within_limits(text):
        return text
    return foreign_html_to_text(_markdown.render(text))


def _open(path: str | Path) -> sqlite3.Connection:
    """Open a stranger's database read-only, and check it before reading."""
    file = Path(path).resolve()
    if not file.is_file():
        raise ImportFileError(NO_FILE.format(path=path))
    try:
        # A URI, so that it opens read-only; as_uri() percent-encodes the
        # name, so a '#', '?' or '%' in it stays part of the name.
        connection = sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)
        # Text that is not UTF-8 is read with replacement characters, not refused.
        connection.text_factory = lambda data: data.decode("utf-8", "replace")
        # SQLite's advice for files from elsewhere: no schema-defined
        # functions, no memory-mapped reads, every cell checked.
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.execute("PRAGMA mmap_size = 0")
        connection.execute("PRAGMA cell_size_check = ON")
        (check,) = connection.execute("PRAGMA quick_check").fetchone()
        tables = {
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as error:
        raise ImportFileError(UNREADABLE.format(error=error)) from error
    if check != "ok":
        connection.close()
        raise ImportFileError(DAMAGED.format(detail=str(check)[:200]))
    if not {"threads", "comments"} <= tables:
        connection.close()
        raise ImportFileError(str(NOT_ISSO))
    return connection


def _text(value: Any) -> str:
    """A column's value as text, whatever type a stranger's file gave it."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _created(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _id(value: Any) -> str | None:
    return str(value) if isinstance(value, int) else None


class _IssoImport:
    """One read of an Isso database."""

    def __init__(self, connection: sqlite3.Connection, writer: CommentWriter) -> None:
        self.connection = connection
        self.writer = writer
        self.report = writer.report

    def threads(self) -> dict[int, int]:
        """Isso thread id → our article id, for the threads that match one."""
        matched: dict[int, int] = {}
        for thread_id, uri in self.connection.execute("SELECT id, uri FROM threads"):
            link = _text(uri)[:LINK_MAX]
            article_id = find_article(link) if isinstance(thread_id, int) else None
            if article_id is None:
                self.report.threads_unmatched.add(link or str(NO_URI))
                continue
            if article_id not in matched.values():
                self.report.articles_present += 1
            matched[thread_id] = article_id
        return matched

    def rows(self) -> Iterator[tuple[Any, ...]]:
        cursor = self.connection.execute(
            "SELECT id, tid, parent, created, mode, remote_addr, text, author, email, website"
            " FROM comments ORDER BY id"
        )
        while rows := cursor.fetchmany(FETCH_SIZE):
            yield from rows

    def comment(self, row: tuple[Any, ...], articles: dict[int, int]) -> None:
        comment_id, thread_id, parent, created, mode, address, text, author, email, site = row
        article_id = articles.get(thread_id) if isinstance(thread_id, int) else None
        if article_id is None or _id(comment_id) is None:
            self.report.comments_skipped[NO_THREAD] += 1
            return
        self.writer.add(
            article_id,
            ImportedComment(
                source_id=str(comment_id),
                parent_id=_id(parent),
                # Isso stores these HTML-escaped ("Tom &amp; Jerry").
                author=html.unescape(_text(author)),
                email=html.unescape(_text(email)),
                url=html.unescape(_text(site)),
                ip_address=_text(address),
                created_at=_created(created),
                body=markdown_to_text(_text(text)),
                status=STATUS_FROM_MODE.get(mode, CommentStatus.PENDING),
            ),
        )


def comment_count(path: str | Path) -> int:
    """How many comments the database holds (for a progress bar)."""
    with closing(_open(path)) as connection:
        try:
            (count,) = connection.execute("SELECT count(*) FROM comments").fetchone()
        except sqlite3.DatabaseError as error:
            raise ImportFileError(UNREADABLE.format(error=error)) from error
    return int(count)


def read_isso(path: str | Path, writer: CommentWriter, progress: Progress | None) -> None:
    """Read an Isso database, handing the comments of matched threads to ``writer``.

    ``progress`` is told of each comment read.
    """
    with closing(_open(path)) as connection:
        run = _IssoImport(connection, writer)
        try:
            articles = run.threads()
            for row in run.rows():
                run.comment(row, articles)
                if progress is not None:
                    progress(1)
        except sqlite3.DatabaseError as error:
            raise ImportFileError(UNREADABLE.format(error=error)) from error


#: Isso's SQLite database; progress counts its comments.
READER = Reader(ISSO, read_isso, steps=comment_count)

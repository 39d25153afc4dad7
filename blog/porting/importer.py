"""What every import shares: the runner, the imported comment and its one writer.

WordPress (``blog/porting/wordpress.py``), Disqus (``blog/porting/disqus.py``) and Isso
(``blog/porting/isso.py``) each say only how to read their format: a
:class:`Reader` that turns a file into :class:`ImportedComment` records.
:func:`run_import` runs any of them, handing every record to one
:class:`CommentWriter`, which

* recognises what an earlier run stored, by (article, source, id at the
  source), so that running an import again, or again after it was
  interrupted, adds nothing twice;
* sanitizes every text with the comment sanitizer, keeps a site only as the
  comment form would, and bounds every field;
* threads replies whatever order they come in: a reply listed before the
  comment it answers waits with that comment's id at the source, and is
  attached once it arrives; parents that answer each other in a loop are
  cut;
* writes in batches, each committed with the counts readers see, so that
  memory stays bounded and an interrupted import keeps what it committed.

The report of what was done is :class:`~blog.porting.report.ImportReport`;
XML is read as it arrives by ``blog/porting/xmlstream.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
import wtforms
from werkzeug.datastructures import MultiDict

from blog.comments.sanitize import comment_to_html
from blog.core.database import durable_at_checkpoints
from blog.core.forms import AUTHOR_MAX, COMMENT_MAX, EMAIL_MAX, url_field
from blog.core.i18n import lazy, speaking
from blog.core.i18n import lazy_gettext as _l
from blog.core.slugs import SLUG, slugify
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, body_digest, utcnow
from blog.moderation import search
from blog.moderation.workflow import refresh_article_comments
from blog.porting.report import ImportReport, whole_number
from blog.privacy.personal_data import ANONYMOUS

WORDPRESS = "wordpress"
DISQUS = "disqus"
ISSO = "isso"

#: Comments written, and articles settled, per commit.
BATCH_SIZE = 1000
#: An id at the source longer than this is no id (Comment.import_id's column).
SOURCE_ID_MAX = 64
#: A link to match, at most.
LINK_MAX = 2000


#: Why comments were skipped, in the report: translated when shown.
TOO_LONG = lazy(
    lambda: _l("Comments longer than {limit} characters, skipped").format(
        limit=whole_number(COMMENT_MAX)
    )
)


#: The text of an imported comment that had none.
EMPTY_COMMENT = _l("(empty)")


class ImportFileError(ValueError):
    """The file is not one this importer can read."""


@dataclass(frozen=True, slots=True)
class ImportedComment:
    """One comment as another system kept it, in our terms."""

    #: Its id there, and its parent's (None for a comment that starts a thread).
    source_id: str
    parent_id: str | None
    author: str
    email: str
    #: The commenter's site, checked by the writer as the comment form would.
    url: str
    ip_address: str | None
    created_at: datetime | None
    #: The text in our comment form's terms: what a reader would have typed.
    body: str
    status: CommentStatus


# Sites


class _SiteForm(wtforms.Form):
    """The comment form's own "Sito web" field, outside a request."""

    url = url_field()


@functools.lru_cache(maxsize=4096)
def site_url(value: str) -> str | None:
    """A commenter's site as the comment form would store it; None if it refuses it.

    The form's field does the checking (http or https, with a host, not too
    long), so an import never lets in what a reader could not type.
    """
    form = _SiteForm(formdata=MultiDict({"url": value}))
    return form.url.data or "" if form.validate() else None


# Articles


def find_article(link: str) -> int | None:
    """The id of the article a link from another system points at, if any.

    A link names an article by its last path segment, its slug
    (``https://old.example/2013/05/il-tonale/`` and ``/il-tonale/`` both
    name ``il-tonale``), or by WordPress's ``?p=<post id>``.
    """
    try:
        parts = urlsplit(link.strip()[:LINK_MAX])
    except ValueError:  # a malformed host ("http://[")
        return None
    post_ids = parse_qs(parts.query).get("p", [])
    if post_ids and post_ids[0].isdigit() and len(post_ids[0]) < 10:
        found = db.session.scalar(
            sa.select(Article.id).where(Article.wp_post_id == int(post_ids[0]))
        )
        if found is not None:
            return found
    segments = [segment for segment in unquote(parts.path).split("/") if segment]
    if not segments:
        return None
    last = segments[-1].removesuffix(".html").removesuffix(".htm")
    for slug in dict.fromkeys((last, slugify(last))):
        if SLUG.fullmatch(slug):
            found = db.session.scalar(sa.select(Article.id).where(Article.slug == slug))
            if found is not None:
                return found
    return None


# Writing comments

# A declarative class maps to a Table; SQLAlchemy types __table__ as any FromClause.
_comment = cast(sa.Table, Comment.__table__)
_INSERT = sa.insert(_comment).returning(_comment.c.id, _comment.c.import_id)
_OWN_THREADS = (
    sa.update(_comment)
    .where(_comment.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(thread_id=_comment.c.id)
)
#: Ids looked up in one query.
_LOOKUP_CHUNK = 500


def _without_nul(text: str) -> str:
    """No NUL: PostgreSQL refuses it in text (an XML file cannot hold one; a
    SQLite file can)."""
    return text.replace("\x00", "")


@dataclass(slots=True)
class _New:
    """A record not stored yet, with its row."""

    record: ImportedComment
    row: dict[str, Any]


class CommentWriter:
    """Store imported comments in batches: idempotent, threaded, sanitized.

    ``add`` the comments of each article, tell ``article_done`` when an
    article has all its comments (or leave it to ``finish``), and call
    ``finish`` at the end. Every batch is committed.
    """

    def __init__(
        self,
        source: str,
        report: ImportReport,
        *,
        hold: bool = False,
        batch_size: int = BATCH_SIZE,
        committed: Callable[[], None] | None = None,
    ) -> None:
        self.source = source
        self.report = report
        #: Hold for moderation what the source had published.
        self.hold = hold
        self.batch_size = batch_size
        #: Called after each commit (the tests interrupt an import there).
        self.committed = committed
        self._batch: list[tuple[int, ImportedComment]] = []
        #: Articles given comments since they were last settled.
        self._open: set[int] = set()
        #: Articles whose comments have all been given.
        self._done: set[int] = set()
        #: Ids of the comments inserted by the batch being written.
        self._inserted: list[int] = []
        self._durable_set = False
        # Readers see them: the site's language, whoever runs the import.
        with speaking(None):
            self.no_author = str(ANONYMOUS)
            self.no_text = str(EMPTY_COMMENT)

    def add(self, article_id: int, record: ImportedComment) -> None:
        """Queue one comment of an article; write the batch when it is full."""
        self._open.add(article_id)
        self._batch.append((article_id, record))
        if len(self._batch) >= self.batch_size:
            self.flush()

    def article_done(self, article_id: int) -> None:
        """Every comment of the article has been added: settle it with the next batch."""
        self._done.add(article_id)
        if len(self._done) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the batch, settle the articles that are done, and commit."""
        batch, self._batch = self._batch, []
        by_article: dict[int, list[ImportedComment]] = {}
        for article_id, record in batch:
            by_article.setdefault(article_id, []).append(record)
        changed: set[int] = set()
        if batch:
            with search.indexed_at_once(db.session.connection()) as index:
                changed = {
                    article_id
                    for article_id, records in by_article.items()
                    if self._write(article_id, records)
                }
                index(self._inserted)
            self._inserted.clear()
        for article_id in self._done:
            if self._settle(article_id):
                changed.add(article_id)
            self._open.discard(article_id)
        self._done.clear()
        for article_id in sorted(changed):
            refresh_article_comments(db.session.get_one(Article, article_id))
        driver_connection = db.session.connection().connection.dbapi_connection
        db.session.commit()
        if not self._durable_set:
            durable_at_checkpoints(driver_connection)
            self._durable_set = True
        if self.committed is not None:
            self.committed()

    def finish(self) -> None:
        """Write what is left and settle every article given comments."""
        self._done |= self._open
        self.flush()

    # One batch of one article

    def _write(self, article_id: int, records: list[ImportedComment]) -> bool:
        """Store the records that are new; tell whether any was."""
        wanted = {record.source_id for record in records}
        wanted |= {record.parent_id for record in records if record.parent_id}
        known = self._known(article_id, wanted)
        new: dict[str, _New] = {}
        for record in records:
            if record.source_id in known or record.source_id in new:
                self.report.comments_present += 1
                continue
            row = self._row(article_id, record)
            if row is not None:
                new[record.source_id] = _New(record, row)
        stored = bool(new)
        while new:
            ready = [
                entry
                for entry in new.values()
                if entry.record.parent_id is None or entry.record.parent_id not in new
            ]
            # What is left answers each other in a loop: one of them goes
            # first, as if its parent were missing; settling cuts the loop.
            ready = ready or [next(iter(new.values()))]
            self._insert(ready, known)
            for entry in ready:
                del new[entry.record.source_id]
        return stored

    def _known(self, article_id: int, source_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Map each source id already stored on the article to (id, thread id)."""
        known: dict[str, tuple[int, int]] = {}
        ids = list(source_ids)
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            rows = db.session.execute(
                sa.select(_comment.c.import_id, _comment.c.id, _comment.c.thread_id).where(
                    _comment.c.article_id == article_id,
                    _comment.c.import_source == self.source,
                    _comment.c.import_id.in_(ids[start : start + _LOOKUP_CHUNK]),
                )
            )
            known.update((source_id, (id_, thread or id_)) for source_id, id_, thread in rows)
        return known

    def _row(self, article_id: int, record: ImportedComment) -> dict[str, Any] | None:
        """The row of a new comment, sanitized and bounded; None if it is skipped."""
        body = _without_nul(record.body).strip() or self.no_text
        if len(body) > COMMENT_MAX:
            self.report.comments_skipped[TOO_LONG] += 1
            return None
        author = _without_nul(record.author).strip()[:AUTHOR_MAX] or self.no_author
        url = site_url(_without_nul(record.url).strip()[: LINK_MAX + 1])
        if url is None:
            self.report.urls_dropped.add(author, record.url)
        status = record.status
        if self.hold and status == CommentStatus.APPROVED:
            status = CommentStatus.PENDING
        self.report.comments_added += 1
        self.report.comment_statuses[status.value] += 1
        wp_id = record.source_id if self.source == WORDPRESS else ""
        return {
            "article_id": article_id,
            "author": author,
            "email": _without_nul(record.email).strip()[:EMAIL_MAX],
            "url": url or "",
            "body": body,
            "body_digest": body_digest(body),
            "body_html": comment_to_html(body),
            "status": status,
            "status_version": 0,
            "created_at": record.created_at or utcnow(),
            "ip_address": _without_nul(record.ip_address or "").strip()[:45] or None,
            "wp_comment_id": int(wp_id) if wp_id.isdigit() and len(wp_id) < 10 else None,
            "notify": False,
            "import_source": self.source,
            "import_id": record.source_id,
        }

    def _insert(self, entries: list[_New], known: dict[str, tuple[int, int]]) -> None:
        """Insert comments whose parents are stored (or missing); record their ids."""
        for entry in entries:
            parent_id = entry.record.parent_id
            parent = known.get(parent_id) if parent_id else None
            entry.row["parent_id"] = parent[0] if parent else None
            entry.row["thread_id"] = parent[1] if parent else None
            # A parent not stored yet may come later: remembered until settled.
            entry.row["import_parent_id"] = parent_id if parent is None else None
        connection = db.session.connection()
        inserted = dict(
            (source_id, id_)
            for id_, source_id in connection.execute(_INSERT, [entry.row for entry in entries])
        )
        self._inserted.extend(inserted.values())
        roots = []
        for entry in entries:
            comment_id = inserted[entry.record.source_id]
            thread_id = entry.row["thread_id"]
            if thread_id is None:
                roots.append(comment_id)
            known[entry.record.source_id] = (comment_id, thread_id or comment_id)
        if roots:
            connection.execute(_OWN_THREADS, {"ids": roots})

    def _settle(self, article_id: int) -> bool:
        """Attach the article's replies whose parent came after them; cut loops.

        Returns whether anything changed. Reads the waiting replies in
        chunks, so an article of any size is settled in bounded memory.
        """
        changed = False
        last_id = 0
        while True:
            waiting = db.session.execute(
                sa.select(_comment.c.id, _comment.c.import_parent_id)
                .where(
                    # A reply waits with its parent's id at the source until
                    # attached (or cut from a loop), and only then. No
                    # condition on parent_id: SQLite would read it through
                    # its index, every comment that starts a thread.
                    _comment.c.article_id == article_id,
                    _comment.c.import_source == self.source,
                    _comment.c.import_parent_id.is_not(None),
                    _comment.c.id > last_id,
                )
                .order_by(_comment.c.id)
                .limit(_LOOKUP_CHUNK)
            ).all()
            if not waiting:
                return changed
            last_id = waiting[-1].id
            for comment_id, parent_source_id in waiting:
                changed |= self._attach(article_id, comment_id, parent_source_id)

    def _attach(self, article_id: int, comment_id: int, parent_source_id: str) -> bool:
        """Attach a reply that starts its own thread to its parent, unless that closes a loop."""
        parent = db.session.execute(
            sa.select(_comment.c.id, _comment.c.thread_id).where(
                _comment.c.article_id == article_id,
                _comment.c.import_source == self.source,
                _comment.c.import_id == parent_source_id,
            )
        ).first()
        if parent is None:
            return False  # never imported: the reply stays a thread of its own
        this = _comment.c.id == comment_id
        if parent.thread_id == comment_id:
            # The parent is in this reply's own thread: a loop, cut here.
            self.report.parent_loops_cut += 1
            db.session.execute(sa.update(_comment).where(this).values(import_parent_id=None))
            return True
        db.session.execute(
            sa.update(_comment).where(this).values(parent_id=parent.id, import_parent_id=None)
        )
        db.session.execute(
            sa.update(_comment)
            .where(_comment.c.thread_id == comment_id)
            .values(thread_id=parent.thread_id)
        )
        return True


# Running an import

#: Told of each step of a read: the bytes it took from the file, or one comment.
Progress = Callable[[int], None]


def file_size(path: str | Path) -> int:
    """A file's size in bytes: the steps of a file read as it arrives."""
    return Path(path).stat().st_size


@dataclass(frozen=True, slots=True)
class Reader:
    """What an importer says about its format; :func:`run_import` does the rest."""

    #: Stored with each comment read (``Comment.import_source``).
    source: str
    #: Read the file, handing each comment (and ``article_done``) to the writer.
    read: Callable[[str | Path, CommentWriter, Progress | None], None]
    #: How many steps progress will be told of for a file: its bytes by default.
    steps: Callable[[str | Path], int] = file_size


def run_import(
    reader: Reader,
    path: str | Path,
    progress: Progress | None = None,
    *,
    hold: bool = False,
    batch_size: int = BATCH_SIZE,
    committed: Callable[[], None] | None = None,
) -> ImportReport:
    """Import a file with ``reader``, committing every batch; return what was done.

    ``hold`` holds for moderation what the source had published;
    ``committed`` is called after each commit (the tests interrupt there).
    """
    report = ImportReport()
    writer = CommentWriter(
        reader.source, report, hold=hold, batch_size=batch_size, committed=committed
    )
    reader.read(path, writer, progress)
    writer.finish()
    return report

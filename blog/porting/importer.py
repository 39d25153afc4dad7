"""What every import shares: the imported comment, its one writer, the report.

WordPress (``blog/porting/wordpress.py``), Disqus (``blog/porting/disqus.py``) and Isso
(``blog/porting/isso.py``) each read their own format into
:class:`ImportedComment` records and hand them to one
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

The files come from strangers: :func:`read_xml` parses XML as it is read,
with defusedxml's protections (no entities, no DTD fetch), lets go of each
post or comment once handled, and refuses a file that would make it hold
too much at once.
"""

from __future__ import annotations

import functools

# ElementTree builds the tree; defusedxml's parser reads the file.
import xml.etree.ElementTree as ET  # nosec B405
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol, cast
from urllib.parse import parse_qs, unquote, urlsplit

import defusedxml
import defusedxml.ElementTree as SafeET
import sqlalchemy as sa
import wtforms
from werkzeug.datastructures import MultiDict

from blog.comments.sanitize import comment_to_html
from blog.core.database import durable_at_checkpoints
from blog.core.forms import AUTHOR_MAX, COMMENT_MAX, EMAIL_MAX, url_field
from blog.core.slugs import SLUG, slugify
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, body_digest, utcnow
from blog.moderation import search
from blog.moderation.workflow import refresh_article_comments

WORDPRESS = "wordpress"
DISQUS = "disqus"
ISSO = "isso"

#: Comments written, and articles settled, per commit.
BATCH_SIZE = 1000
#: An id at the source longer than this is no id (Comment.import_id's column).
SOURCE_ID_MAX = 64
#: Names, sites and links listed one by one in the report; the rest are counted.
REPORT_EXAMPLES = 100
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
#: A link to match, at most.
LINK_MAX = 2000


def italian(number: int) -> str:
    """A whole number as Italian writes it: 65.525."""
    return f"{number:_}".replace("_", ".")


TOO_LONG = f"Commenti più lunghi di {italian(COMMENT_MAX)} caratteri, saltati"


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


@dataclass
class Examples:
    """A count, with the first few cases kept to be listed."""

    count: int = 0
    listed: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, *case: str) -> None:
        self.count += 1
        if len(self.listed) < REPORT_EXAMPLES:
            self.listed.append(case)

    @property
    def unlisted(self) -> int:
        return self.count - len(self.listed)


@dataclass
class ImportReport:
    """What an import did: the same table whatever the source."""

    articles_added: int = 0
    articles_present: int = 0
    comments_added: int = 0
    comments_present: int = 0
    comment_statuses: Counter[str] = field(default_factory=Counter)
    #: Comments not imported, by why.
    comments_skipped: Counter[str] = field(default_factory=Counter)
    parent_loops_cut: int = 0
    #: (title, why) for each post that was not public.
    skipped_posts: Examples = field(default_factory=Examples)
    other_items: Counter[str] = field(default_factory=Counter)
    #: (title, slug in the file, slug given) for each article added under a new slug.
    slugs_replaced: Examples = field(default_factory=Examples)
    #: (author, site) for each comment imported without its site.
    urls_dropped: Examples = field(default_factory=Examples)
    #: (link,) of each discussion that matched no article.
    threads_unmatched: Examples = field(default_factory=Examples)

    def rows(self) -> list[tuple[str, str]]:
        rows = [
            ("Articoli importati", str(self.articles_added)),
            ("Articoli già presenti", str(self.articles_present)),
            ("Discussioni senza un articolo corrispondente", str(self.threads_unmatched.count)),
            ("Commenti importati", str(self.comments_added)),
            ("Commenti già presenti", str(self.comments_present)),
        ]
        rows += [
            (f"  commenti {status.value}", str(self.comment_statuses[status.value]))
            for status in CommentStatus
        ]
        rows += [(label, str(n)) for label, n in sorted(self.comments_skipped.items())]
        rows += [
            ("Risposte circolari, rese commenti di primo livello", str(self.parent_loops_cut)),
            ("Indirizzi di articoli non validi, sostituiti", str(self.slugs_replaced.count)),
            ("Siti web non validi, tolti dai commenti", str(self.urls_dropped.count)),
            ("Articoli non pubblicati, saltati", str(self.skipped_posts.count)),
        ]
        rows += [
            (f"Altri elementi ({kind}), saltati", str(n))
            for kind, n in sorted(self.other_items.items())
        ]
        return rows


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
        body = _without_nul(record.body).strip() or "(vuoto)"
        if len(body) > COMMENT_MAX:
            self.report.comments_skipped[TOO_LONG] += 1
            return None
        author = _without_nul(record.author).strip()[:AUTHOR_MAX] or "Anonimo"
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


# Reading XML as it arrives


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

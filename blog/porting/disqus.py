"""Disqus's XML export: its comments, imported onto our articles.

The export (Disqus admin, Community, Export) is one ``disqus`` element
holding ``category``, then ``thread`` (one per page that had a comment box:
its link and identifier), then ``post`` elements (each comment, with its
``thread``, its ``parent``, ``isSpam``, ``isDeleted``, author, IP address,
date and HTML message); every object carries its Disqus id in ``dsq:id``.

A thread is matched to one of our articles by its link (the article's URL
or slug, or WordPress's ``?p=<id>``), else by its identifier; the report
lists the threads that matched nothing. Statuses: spam stays spam, a
deleted post (or any post of a deleted thread) goes to the trash, the rest
is approved (or pending, when the import holds everything). Messages are
HTML from elsewhere: they are turned into text as our form takes it and go
through the comment sanitizer like everything an import writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from blog.comments.sanitize import foreign_html_to_text
from blog.core.i18n import lazy_gettext as _l
from blog.models import CommentStatus
from blog.porting.importer import (
    DISQUS,
    LINK_MAX,
    SOURCE_ID_MAX,
    CommentWriter,
    ImportedComment,
    ImportFileError,
    Progress,
    Reader,
    find_article,
)
from blog.porting.xmlstream import Element, read_xml

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"
NOT_DISQUS = _l("The file is not a Disqus export.")
NO_THREAD = _l("Comments of discussions with no article, skipped")
NO_ID = _l("Comments with no id, skipped")
NO_LINK = _l("(no link)")


@dataclass(frozen=True, slots=True)
class _Thread:
    """A Disqus thread matched to one of our articles."""

    article_id: int
    deleted: bool


def _flag(element: Element, name: str) -> bool:
    return (element.findtext(NS + name) or "").strip().lower() == "true"


def _date(text: str | None) -> datetime | None:
    """Disqus's ``2013-10-10T19:20:29Z`` as naive UTC."""
    try:
        moment = datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _status(post: Element, thread: _Thread) -> CommentStatus:
    """What was public at Disqus is approved; the rest is never published."""
    if _flag(post, "isSpam"):
        return CommentStatus.SPAM
    if _flag(post, "isDeleted") or thread.deleted:
        return CommentStatus.TRASH
    if (post.findtext(NS + "isApproved") or "true").strip().lower() == "false":
        return CommentStatus.PENDING
    return CommentStatus.APPROVED


class _DisqusImport:
    """One read of a Disqus export: told of each thread and post as the file is read."""

    def __init__(self, writer: CommentWriter) -> None:
        self.writer = writer
        self.report = writer.report
        #: Disqus thread id → its article. Only matched threads are kept, so
        #: this is bounded by our articles, not by the file.
        self.threads: dict[str, _Thread] = {}
        self.articles_matched: set[int] = set()

    def start(self, element: Element, depth: int) -> None:
        if depth == 1 and element.tag != NS + "disqus":
            raise ImportFileError(str(NOT_DISQUS))

    def end(self, element: Element, depth: int) -> bool:
        if depth == 2 and element.tag == NS + "thread":
            self.thread(element)
        elif depth == 2 and element.tag == NS + "post":
            self.post(element)
        return False

    def thread(self, element: Element) -> None:
        thread_id = element.get(DSQ_ID) or ""
        link = (element.findtext(NS + "link") or "").strip()
        identifier = (element.findtext(NS + "id") or "").strip()
        article_id = find_article(link) if link else None
        for word in identifier.split()[:3]:
            article_id = article_id or find_article(word)
        if article_id is None or not thread_id:
            self.report.threads_unmatched.add((link or identifier or str(NO_LINK))[:LINK_MAX])
            return
        self.threads[thread_id] = _Thread(article_id, _flag(element, "isDeleted"))
        if article_id not in self.articles_matched:
            self.articles_matched.add(article_id)
            self.report.articles_present += 1

    def post(self, element: Element) -> None:
        thread_ref = element.find(NS + "thread")
        thread = self.threads.get(thread_ref.get(DSQ_ID) or "") if thread_ref is not None else None
        if thread is None:
            self.report.comments_skipped[NO_THREAD] += 1
            return
        post_id = element.get(DSQ_ID) or ""
        if not post_id or len(post_id) > SOURCE_ID_MAX:
            self.report.comments_skipped[NO_ID] += 1
            return
        parent = element.find(NS + "parent")
        author = element.find(NS + "author")
        self.writer.add(
            thread.article_id,
            ImportedComment(
                source_id=post_id,
                parent_id=(parent.get(DSQ_ID) or None) if parent is not None else None,
                author=(author.findtext(NS + "name") or "") if author is not None else "",
                email=(author.findtext(NS + "email") or "") if author is not None else "",
                url="",
                ip_address=element.findtext(NS + "ipAddress"),
                created_at=_date(element.findtext(NS + "createdAt")),
                body=foreign_html_to_text(element.findtext(NS + "message") or ""),
                status=_status(element, thread),
            ),
        )


def read_disqus(path: str | Path, writer: CommentWriter, progress: Progress | None) -> None:
    """Read a Disqus export as it arrives, handing the comments of matched threads to ``writer``."""
    read_xml(path, _DisqusImport(writer), unit_depth=2, progress=progress)


#: Disqus's export, read as it arrives; progress counts its bytes.
READER = Reader(DISQUS, read_disqus)

"""WordPress eXtended RSS (WXR 1.1/1.2): import and export, both streamed.

Import keeps published posts as articles (slug, title, date, content
sanitized with the article allowlist) and their comments (author, email,
site, IP, date, text, threading, status), which go through the one comment
writer every import shares (``blog/porting/importer.py``). Drafts, scheduled,
pending, private and password-protected posts are never published: they are
skipped and reported. Pingbacks and trackbacks are skipped and counted.
Everything is keyed by the WordPress ids, so running an import again, or
again after it was interrupted, adds nothing twice.

The XML comes from elsewhere: it is parsed as it is read, with defusedxml,
which refuses entity expansion and external references; each post is let go
once read, and each comment too once its post is known, so memory stays
bounded whatever the file's size. Export writes as it queries, a batch of
rows at a time.
"""

from __future__ import annotations

import re

# ElementTree only holds what defusedxml's parser read; nothing here parses.
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import IO, Any

# The SAX helpers only write the export; nothing here parses with them.
from xml.sax.saxutils import XMLGenerator  # nosec B406
from xml.sax.xmlreader import AttributesImpl  # nosec B406

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from blog.comments.sanitize import article_to_html
from blog.core.slugs import reserved_slugs, safe_slug
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus
from blog.porting.importer import (
    BATCH_SIZE,
    SOURCE_ID_MAX,
    WORDPRESS,
    CommentWriter,
    ImportedComment,
    ImportFileError,
    ImportReport,
    read_xml,
)

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
WP_NS = "http://wordpress.org/export/1.2/"
EXCERPT_NS = "http://wordpress.org/export/1.2/excerpt/"
#: The commentmeta key under which the export keeps a comment's text as its
#: author typed it; ``wp:comment_content`` carries the sanitized HTML. The
#: leading underscore keeps it out of WordPress's custom-field screens.
TYPED_TEXT_KEY = "_blog_typed_text"
#: What XML 1.0 does not allow in a document (its ``Char`` production).
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

#: WordPress's comment_approved values.
STATUS_FROM_WP = {
    "1": CommentStatus.APPROVED,
    "approve": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "hold": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.TRASH,
    "post-trashed": CommentStatus.TRASH,
}
STATUS_TO_WP = {
    CommentStatus.APPROVED: "1",
    CommentStatus.PENDING: "0",
    CommentStatus.SPAM: "spam",
    CommentStatus.TRASH: "trash",
}
#: Why a post is not published, in the report.
NOT_PUBLISHED = {
    "draft": "bozza",
    "pending": "in revisione",
    "future": "programmato",
    "private": "privato",
    "auto-draft": "bozza",
}


class WxrError(ImportFileError):
    """The file is not a WXR export this importer can read."""


#: What decides whether a post is published here: read before its comments
#: (where WordPress and our export write them) or, failing that, at its end.
DECIDING_FIELDS = ("post_type", "status", "post_password", "post_name")
PINGS_SKIPPED = "Pingback e trackback saltati"
NO_ID = "Commenti senza id, saltati"


# Reading


def _wp_namespace(tag: str) -> str | None:
    """The export's wp namespace (1.0, 1.1 or 1.2; http or https), if ``tag`` is in it."""
    if tag.startswith("{") and "wordpress.org/export/" in tag:
        namespace = tag[1:].split("}", 1)[0]
        if not namespace.endswith("/excerpt/"):
            return namespace
    return None


class _Item:
    """One <item> with its namespace, read field by field."""

    def __init__(self, element: ET.Element, wp: str) -> None:
        self.element = element
        self.wp = wp

    def text(self, tag: str, default: str = "") -> str:
        found = self.element.find(tag)
        return (found.text or "").strip() if found is not None else default

    def wp_text(self, name: str) -> str:
        return self.text(f"{{{self.wp}}}{name}")

    def raw(self, tag: str) -> str:
        found = self.element.find(tag)
        return found.text or "" if found is not None else ""

    def has_deciding_fields(self) -> bool:
        return all(
            self.element.find(f"{{{self.wp}}}{name}") is not None for name in DECIDING_FIELDS
        )


def _wp_date(value: str) -> datetime | None:
    """WordPress's "2024-05-10 12:00:00"; None for "0000-00-00 00:00:00" or nonsense."""
    value = value.strip()
    if len(value) != 19 or value.startswith("0000"):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


# Import


class _Post:
    """The <item> being read: its fields, then its comments as they come."""

    def __init__(self, element: ET.Element) -> None:
        self.element = element
        self.decided = False
        #: The article its comments go to; None for a post skipped.
        self.article_id: int | None = None


class _WxrImport:
    """One run of ``import_wxr``: told of each post, and of each of its
    fields and comments, as the file is read."""

    def __init__(self, writer: CommentWriter, report: ImportReport) -> None:
        self.writer = writer
        self.report = report
        self.reserved = reserved_slugs(current_app.url_map)
        self.wp: str | None = None
        self.post: _Post | None = None
        self.seen_channel = False

    def run(self, source: str | Path | IO[bytes], progress: Callable[[int], None] | None) -> None:
        read_xml(source, self, unit_depth=3, progress=progress)
        if not self.seen_channel or self.wp is None:
            raise WxrError("Il file non è un'esportazione di WordPress (WXR).")
        self.writer.finish()

    def start(self, element: ET.Element, depth: int) -> None:
        tag = element.tag
        if self.wp is None:
            self.wp = _wp_namespace(tag)
        if depth == 1 and tag != "rss":
            raise WxrError("Il file non è un'esportazione di WordPress (WXR).")
        if depth == 2 and tag == "channel":
            self.seen_channel = True
        if depth == 3 and tag == "item":
            self.post = _Post(element)

    def end(self, element: ET.Element, depth: int) -> bool:
        if depth == 3 and element.tag == "item":
            self._end_post(element)
        elif depth == 4:
            return self._end_field(element)
        return False

    def _end_field(self, element: ET.Element) -> bool:
        """A field of the post, or one of its comments, has been read; tell
        whether it can be let go."""
        post, wp = self.post, self.wp
        if post is None or wp is None or element.tag != f"{{{wp}}}comment":
            return False
        if not post.decided:
            if not _Item(post.element, wp).has_deciding_fields():
                return False  # kept until the post's end says where it goes
            self._decide(post, wp)
        if post.article_id is not None:
            self._add_comment(post.article_id, element, wp)
        return True

    def _end_post(self, element: ET.Element) -> None:
        post, self.post = self.post, None
        wp = self.wp
        if post is None or wp is None:
            return
        if not post.decided:
            self._decide(post, wp)
            if post.article_id is not None:
                for comment in element.findall(f"{{{wp}}}comment"):
                    self._add_comment(post.article_id, comment, wp)
        if post.article_id is not None:
            self.writer.article_done(post.article_id)

    def _decide(self, post: _Post, wp: str) -> None:
        """Find or create the post's article, or skip the post; its comments follow."""
        post.decided = True
        post.article_id = self._article(_Item(post.element, wp))

    def _article(self, item: _Item) -> int | None:
        """The post's article, found or created; None for a post not imported."""
        post_type = item.wp_text("post_type")
        if post_type != "post":
            self.report.other_items[post_type or "?"] += 1
            return None
        title = item.text("title") or "(senza titolo)"
        status = item.wp_text("status")
        if item.wp_text("post_password"):
            self.report.skipped_posts.add(title, "protetto da password")
        elif status != "publish":
            self.report.skipped_posts.add(title, NOT_PUBLISHED.get(status, status or "?"))
        elif not item.wp_text("post_name"):
            self.report.skipped_posts.add(title, "senza slug")
        else:
            article = _import_article(item, self.report, self.reserved)
            if article is not None:
                return article.id
            self.report.skipped_posts.add(title, "senza data o con uno slug inutilizzabile")
        return None

    def _add_comment(self, article_id: int, element: ET.Element, namespace: str) -> None:
        wp = f"{{{namespace}}}"
        # One pass over the comment's fields (the first of each name, as find() does).
        fields: dict[str, str] = {}
        for child in element:
            fields.setdefault(child.tag, child.text or "")
        if fields.get(wp + "comment_type", "").strip() in ("pingback", "trackback"):
            self.report.comments_skipped[PINGS_SKIPPED] += 1
            return
        source_id = fields.get(wp + "comment_id", "").strip()
        if not source_id or len(source_id) > SOURCE_ID_MAX:
            self.report.comments_skipped[NO_ID] += 1
            return
        # Our own export keeps the typed text aside; WordPress's has only the content.
        typed = _comment_meta(element, namespace, TYPED_TEXT_KEY)
        parent = fields.get(wp + "comment_parent", "").strip()
        self.writer.add(
            article_id,
            ImportedComment(
                source_id=source_id,
                parent_id=parent if parent not in ("", "0") else None,
                author=fields.get(wp + "comment_author", "").strip(),
                email=fields.get(wp + "comment_author_email", "").strip(),
                url=fields.get(wp + "comment_author_url", "").strip(),
                ip_address=fields.get(wp + "comment_author_IP", "").strip(),
                created_at=_wp_date(fields.get(wp + "comment_date_gmt", ""))
                or _wp_date(fields.get(wp + "comment_date", "")),
                body=typed if typed is not None else fields.get(wp + "comment_content", ""),
                status=STATUS_FROM_WP.get(
                    fields.get(wp + "comment_approved", "").strip(), CommentStatus.PENDING
                ),
            ),
        )


def import_wxr(
    source: str | Path | IO[bytes],
    progress: Callable[[int], None] | None = None,
    *,
    hold: bool = False,
    batch_size: int = BATCH_SIZE,
    committed: Callable[[], None] | None = None,
) -> ImportReport:
    """Import a WXR file as it is read, committing every batch. See the module's docstring.

    ``progress`` is told how many bytes each read took from the file.
    """
    report = ImportReport()
    writer = CommentWriter(WORDPRESS, report, hold=hold, batch_size=batch_size, committed=committed)
    _WxrImport(writer, report).run(source, progress)
    return report


def _import_article(item: _Item, report: ImportReport, reserved: frozenset[str]) -> Article | None:
    wp_id = _int(item.wp_text("post_id"))
    title = item.text("title")
    given = item.wp_text("post_name")
    slug = safe_slug(given, title, reserved, fallback=f"articolo-{wp_id}" if wp_id else "")
    published = _wp_date(item.wp_text("post_date_gmt")) or _wp_date(item.wp_text("post_date"))
    if not slug or published is None:
        return None
    existing = None
    if wp_id is not None:
        existing = db.session.scalar(sa.select(Article).where(Article.wp_post_id == wp_id))
    existing = existing or db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if existing is not None:
        report.articles_present += 1
        return existing
    excerpt = next(
        (
            child.text or ""
            for child in item.element
            if child.tag.endswith("}encoded") and "excerpt" in child.tag
        ),
        "",
    )
    if slug != given:
        report.slugs_replaced.add(title, given, slug)
    article = Article(
        wp_post_id=wp_id,
        slug=slug,
        title=title[:300] or slug,
        standfirst=excerpt.strip(),
        body_html=article_to_html(item.raw(f"{{{CONTENT_NS}}}encoded")),
        published_at=published,
        comments_open=item.wp_text("comment_status") != "closed",
    )
    db.session.add(article)
    db.session.flush()
    report.articles_added += 1
    return article


def _comment_meta(element: ET.Element, wp: str, key: str) -> str | None:
    """The value of a comment's ``wp:commentmeta`` entry ``key``, if it has one."""
    for meta in element.findall(f"{{{wp}}}commentmeta"):
        if (meta.findtext(f"{{{wp}}}meta_key") or "").strip() == key:
            return meta.findtext(f"{{{wp}}}meta_value") or ""
    return None


# Export

#: Rows read per query while exporting.
EXPORT_BATCH = 500


def xml_text(text: str) -> str:
    """Replace what XML 1.0 does not allow (controls, U+FFFE, U+FFFF, lone
    surrogates) with U+FFFD: stored and imported text may hold them."""
    return NOT_XML_CHAR.sub("\ufffd", text)


class _Writer:
    """Elements written as they come, text escaped and made XML 1.0."""

    def __init__(self, target: IO[bytes]) -> None:
        self.out = XMLGenerator(target, encoding="UTF-8", short_empty_elements=True)

    def open(self, name: str, **attrs: str) -> None:
        self.out.startElement(name, AttributesImpl({k: xml_text(v) for k, v in attrs.items()}))

    def close(self, name: str) -> None:
        self.out.endElement(name)

    def field(self, name: str, text: str, **attrs: str) -> None:
        self.open(name, **attrs)
        self.out.characters(xml_text(text))
        self.close(name)


def _wp_date_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _articles() -> Iterator[Article]:
    """Every article, oldest first, loaded a batch at a time."""
    ids = db.session.scalars(sa.select(Article.id).order_by(Article.published_at, Article.id)).all()
    for start in range(0, len(ids), EXPORT_BATCH):
        chunk = ids[start : start + EXPORT_BATCH]
        loaded = {
            article.id: article
            for article in db.session.scalars(sa.select(Article).where(Article.id.in_(chunk)))
        }
        yield from (loaded[article_id] for article_id in chunk)
        db.session.expunge_all()


def _comment_rows(article_id: int) -> Iterator[Any]:
    """The article's comments with their parent's export id, a batch at a time."""
    parent = aliased(Comment)
    query = (
        sa.select(
            Comment.id,
            sa.func.coalesce(Comment.wp_comment_id, Comment.id).label("export_id"),
            sa.func.coalesce(parent.wp_comment_id, parent.id).label("parent_export_id"),
            Comment.author,
            Comment.email,
            Comment.url,
            Comment.ip_address,
            Comment.created_at,
            Comment.body,
            Comment.body_html,
            Comment.status,
        )
        .outerjoin(parent, parent.id == Comment.parent_id)
        .where(Comment.article_id == article_id)
        .order_by(Comment.id)
        .limit(EXPORT_BATCH)
    )
    last_id = 0
    while True:
        rows = db.session.execute(query.where(Comment.id > last_id)).all()
        yield from rows
        if len(rows) < EXPORT_BATCH:
            return
        last_id = rows[-1].id


def export_wxr(target: IO[bytes], site_name: str, site_url: str) -> int:
    """Write every article and its comments as WXR 1.2; return the articles written.

    Written as it is read, a batch of rows at a time: memory stays bounded
    whatever the number of comments.
    """
    out = _Writer(target)
    out.out.startDocument()
    out.open(
        "rss",
        **{
            "version": "2.0",
            "xmlns:excerpt": EXCERPT_NS,
            "xmlns:content": CONTENT_NS,
            "xmlns:dc": DC_NS,
            "xmlns:wp": WP_NS,
        },
    )
    out.open("channel")
    out.field("title", site_name)
    out.field("link", site_url)
    out.field("description", site_name)
    out.field("pubDate", format_datetime(datetime.now(UTC)))
    out.field("language", "it-IT")
    out.field("wp:wxr_version", "1.2")
    out.field("wp:base_site_url", site_url)
    out.field("wp:base_blog_url", site_url)
    count = 0
    for article in _articles():
        count += 1
        out.open("item")
        _write_article(out, article, site_url)
        for row in _comment_rows(article.id):
            _write_comment(out, row)
        out.close("item")
    out.close("channel")
    out.close("rss")
    out.out.endDocument()
    return count


def _write_article(out: _Writer, article: Article, site_url: str) -> None:
    link = f"{site_url.rstrip('/')}/{article.slug}/"
    out.field("title", article.title)
    out.field("link", link)
    out.field("pubDate", format_datetime(article.published_at.replace(tzinfo=UTC)))
    out.field("dc:creator", "admin")
    out.field("guid", link, isPermaLink="false")
    out.field("description", "")
    out.field("content:encoded", article.body_html)
    out.field("excerpt:encoded", article.standfirst or "")
    out.field("wp:post_id", str(article.wp_post_id or article.id))
    out.field("wp:post_date", _wp_date_text(article.published_at))
    out.field("wp:post_date_gmt", _wp_date_text(article.published_at))
    out.field("wp:comment_status", "open" if article.comments_open else "closed")
    out.field("wp:ping_status", "closed")
    out.field("wp:post_name", article.slug)
    out.field("wp:status", "publish")
    out.field("wp:post_parent", "0")
    out.field("wp:menu_order", "0")
    out.field("wp:post_type", "post")
    out.field("wp:post_password", "")
    out.field("wp:is_sticky", "0")


def _write_comment(out: _Writer, row: Any) -> None:
    out.open("wp:comment")
    out.field("wp:comment_id", str(row.export_id))
    out.field("wp:comment_author", row.author)
    out.field("wp:comment_author_email", row.email)
    out.field("wp:comment_author_url", row.url)
    out.field("wp:comment_author_IP", row.ip_address or "")
    out.field("wp:comment_date", _wp_date_text(row.created_at))
    out.field("wp:comment_date_gmt", _wp_date_text(row.created_at))
    # WordPress shows comment_content as it is: only sanitized HTML goes there.
    out.field("wp:comment_content", row.body_html)
    out.field("wp:comment_approved", STATUS_TO_WP[CommentStatus(row.status)])
    out.field("wp:comment_type", "comment")
    out.field("wp:comment_parent", str(row.parent_export_id or 0))
    out.field("wp:comment_user_id", "0")
    out.open("wp:commentmeta")
    out.field("wp:meta_key", TYPED_TEXT_KEY)
    out.field("wp:meta_value", row.body)
    out.close("wp:commentmeta")
    out.close("wp:comment")

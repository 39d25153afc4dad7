"""WordPress eXtended RSS (WXR 1.1/1.2): the import, streamed.

Import keeps published posts as articles (slug, title, date, content
sanitized with the article allowlist) and their comments (author, email,
site, IP, date, text, threading, status), which go through the one comment
writer every import shares (``blog/porting/importer.py``). Drafts, scheduled,
pending, private and password-protected posts are never published: they are
skipped and reported. Pingbacks and trackbacks are skipped and counted.
Everything is keyed by the WordPress ids, so running an import again, or
again after it was interrupted, adds nothing twice.

The XML comes from elsewhere: it is parsed as it is read
(``blog/porting/xmlstream.py``: lxml, with no entity expanded and nothing
fetched, a file declaring entities refused); each post is let go
once read, and each comment too once its post is known, so memory stays
bounded whatever the file's size. The export is ``blog/porting/export.py``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from blog.comments.sanitize import article_to_html
from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import lazy_pgettext as _lp
from blog.core.slugs import reserved_slugs, safe_slug
from blog.extensions import db
from blog.models import Article, CommentStatus
from blog.porting.importer import (
    SOURCE_ID_MAX,
    WORDPRESS,
    CommentWriter,
    ImportedComment,
    ImportFileError,
    Progress,
    Reader,
)
from blog.porting.report import ImportReport
from blog.porting.xmlstream import Element, read_xml

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
#: The commentmeta key under which the export keeps a comment's text as its
#: author typed it; ``wp:comment_content`` carries the sanitized HTML. The
#: leading underscore keeps it out of WordPress's custom-field screens.
TYPED_TEXT_KEY = "_blog_typed_text"

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
#: Why a post is not published, in the report.
NOT_PUBLISHED = {
    "draft": _lp("skipped post", "draft"),
    "pending": _lp("skipped post", "pending review"),
    "future": _lp("skipped post", "scheduled"),
    "private": _lp("skipped post", "private"),
    "auto-draft": _lp("skipped post", "draft"),
}
PASSWORD_PROTECTED = _lp("skipped post", "password-protected")
NO_SLUG = _lp("skipped post", "no slug")
NO_DATE_OR_SLUG = _lp("skipped post", "no date, or a slug that cannot be used")
UNTITLED = _l("(untitled)")
NOT_WXR = _l("The file is not a WordPress export (WXR).")


class WxrError(ImportFileError):
    """The file is not a WXR export this importer can read."""


#: What decides whether a post is published here: read before its comments
#: (where WordPress and our export write them) or, failing that, at its end.
DECIDING_FIELDS = ("post_type", "status", "post_password", "post_name")
PINGS_SKIPPED = _l("Pingbacks and trackbacks skipped")
NO_ID = _l("Comments with no id, skipped")


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

    def __init__(self, element: Element, wp: str) -> None:
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

    def __init__(self, element: Element) -> None:
        self.element = element
        self.decided = False
        #: The article its comments go to; None for a post skipped.
        self.article_id: int | None = None


class _WxrImport:
    """One read of a WXR file: told of each post, and of each of its
    fields and comments, as the file is read."""

    def __init__(self, writer: CommentWriter) -> None:
        self.writer = writer
        self.report = writer.report
        self.reserved = reserved_slugs(current_app.url_map)
        self.wp: str | None = None
        self.post: _Post | None = None
        self.seen_channel = False

    def start(self, element: Element, depth: int) -> None:
        tag = element.tag
        if self.wp is None:
            self.wp = _wp_namespace(tag)
        if depth == 1 and tag != "rss":
            raise WxrError(str(NOT_WXR))
        if depth == 2 and tag == "channel":
            self.seen_channel = True
        if depth == 3 and tag == "item":
            self.post = _Post(element)

    def end(self, element: Element, depth: int) -> bool:
        if depth == 3 and element.tag == "item":
            self._end_post(element)
        elif depth == 4:
            return self._end_field(element)
        return False

    def _end_field(self, element: Element) -> bool:
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

    def _end_post(self, element: Element) -> None:
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
        title = item.text("title") or str(UNTITLED)
        status = item.wp_text("status")
        if item.wp_text("post_password"):
            self.report.skipped_posts.add(title, PASSWORD_PROTECTED)
        elif status != "publish":
            self.report.skipped_posts.add(title, NOT_PUBLISHED.get(status, status or "?"))
        elif not item.wp_text("post_name"):
            self.report.skipped_posts.add(title, NO_SLUG)
        else:
            article = _import_article(item, self.report, self.reserved)
            if article is not None:
                return article.id
            self.report.skipped_posts.add(title, NO_DATE_OR_SLUG)
        return None

    def _add_comment(self, article_id: int, element: Element, namespace: str) -> None:
        wp = f"{{{namespace}}}"
        # One pass over the comment's fields (the first of each name, as find() does).
        fields: dict[str, str] = {}
        for child in element:
            if child.tag not in fields:
                fields[child.tag] = child.text or ""
        if fields.get(wp + "comment_type", "").strip() in ("pingback", "trackback"):
            self.report.comments_skipped[PINGS_SKIPPED] += 1
            return
        source_id = fields.get(wp + "comment_id", "").strip()
        if not source_id or len(source_id) > SOURCE_ID_MAX:
            self.report.comments_skipped[NO_ID] += 1
            return
        # Our own export keeps the typed text aside; WordPress's has only the content.
        typed = None
        if wp + "commentmeta" in fields:
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


def read_wxr(path: str | Path, writer: CommentWriter, progress: Progress | None) -> None:
    """Read a WXR file as it arrives, handing its posts' comments to ``writer``."""
    wxr = _WxrImport(writer)
    read_xml(path, wxr, unit_depth=3, progress=progress)
    if not wxr.seen_channel or wxr.wp is None:
        raise WxrError(str(NOT_WXR))


#: WordPress's export, read as it arrives; progress counts its bytes.
READER = Reader(WORDPRESS, read_wxr)


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


def _comment_meta(element: Element, wp: str, key: str) -> str | None:
    """The value of a comment's ``wp:commentmeta`` entry ``key``, if it has one."""
    for meta in element.findall(f"{{{wp}}}commentmeta"):
        if (meta.findtext(f"{{{wp}}}meta_key") or "").strip() == key:
            return meta.findtext(f"{{{wp}}}meta_value") or ""
    return None

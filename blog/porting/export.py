"""The WordPress export (WXR 1.2): every article and comment, written as it queries.

Rows are read a batch at a time and written as they come, so memory stays
bounded whatever the number of comments. A comment's ``wp:comment_content``
is its sanitized HTML (WordPress shows it unfiltered); the text as typed
travels in a ``wp:commentmeta`` entry that ``blog/porting/wordpress.py``
reads back. Every character is one XML 1.0 allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import IO, Any

# The SAX helpers only write the export; nothing here parses with them.
from xml.sax.saxutils import XMLGenerator  # nosec B406
from xml.sax.xmlreader import AttributesImpl  # nosec B406

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, selectinload

from blog.extensions import db
from blog.models import (
    Article,
    ArticleStatus,
    BodyFormat,
    Comment,
    CommentStatus,
    Moderator,
    Term,
    TermKind,
    utcnow,
)
from blog.porting.wordpress import (
    CONTENT_NS,
    DC_NS,
    DESIRED_SLUG_KEY,
    MARKDOWN_SOURCE_KEY,
    TRASH,
    TRASH_STATUS_KEY,
    TRASH_TIME_KEY,
    TYPED_TEXT_KEY,
)

WP_NS = "http://wordpress.org/export/1.2/"
EXCERPT_NS = "http://wordpress.org/export/1.2/excerpt/"
#: What XML 1.0 does not allow in a document (its ``Char`` production).
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
STATUS_TO_WP = {
    CommentStatus.APPROVED: "1",
    CommentStatus.PENDING: "0",
    CommentStatus.SPAM: "spam",
    CommentStatus.TRASH: "trash",
}

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
            for article in db.session.scalars(
                sa.select(Article)
                .where(Article.id.in_(chunk))
                .options(joinedload(Article.author), selectinload(Article.terms))
            )
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
    _write_authors(out)
    _write_terms(out)
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


def _write_authors(out: _Writer) -> None:
    """The staff who wrote articles, as WordPress lists its authors."""
    authors = db.session.scalars(
        sa.select(Moderator)
        .where(Moderator.id.in_(sa.select(Article.author_id)))
        .order_by(Moderator.username)
    )
    for author in authors:
        out.open("wp:author")
        out.field("wp:author_id", str(author.id))
        out.field("wp:author_login", author.username)
        out.field("wp:author_email", author.email or "")
        out.field("wp:author_display_name", author.display_name)
        out.field("wp:author_first_name", "")
        out.field("wp:author_last_name", "")
        out.close("wp:author")


def _write_terms(out: _Writer) -> None:
    """Every category and tag, used or not, with its address and description."""
    for term in db.session.scalars(sa.select(Term).order_by(Term.kind, Term.slug, Term.id)):
        if term.kind == TermKind.CATEGORY:
            out.open("wp:category")
            out.field("wp:term_id", str(term.id))
            out.field("wp:category_nicename", term.slug)
            out.field("wp:category_parent", "")
            out.field("wp:cat_name", term.name)
            out.field("wp:category_description", term.description)
            out.close("wp:category")
        else:
            out.open("wp:tag")
            out.field("wp:term_id", str(term.id))
            out.field("wp:tag_slug", term.slug)
            out.field("wp:tag_name", term.name)
            out.field("wp:tag_description", term.description)
            out.close("wp:tag")


def _wp_status(article: Article) -> str:
    """WordPress's name for where the article is in its life (outside the bin)."""
    if article.status == ArticleStatus.DRAFT:
        return "draft"
    return "future" if article.published_at > utcnow() else "publish"


def _write_article(out: _Writer, article: Article, site_url: str) -> None:
    link = f"{site_url.rstrip('/')}/{article.slug}/"
    out.field("title", article.title)
    out.field("link", link)
    out.field("pubDate", format_datetime(article.published_at.replace(tzinfo=UTC)))
    out.field("dc:creator", article.author.username if article.author else "")
    out.field("guid", link, isPermaLink="false")
    out.field("description", "")
    # What readers see: for a Markdown article, its rendered HTML.
    out.field("content:encoded", article.body_html)
    out.field("excerpt:encoded", article.standfirst or "")
    out.field("wp:post_id", str(article.wp_post_id or article.id))
    out.field("wp:post_date", _wp_date_text(article.published_at))
    out.field("wp:post_date_gmt", _wp_date_text(article.published_at))
    out.field("wp:comment_status", "open" if article.comments_open else "closed")
    out.field("wp:ping_status", "closed")
    status = _wp_status(article)
    meta: dict[str, str] = {}
    if article.trashed_at is not None:
        # As WordPress bins a post: its address set aside, its status kept.
        out.field("wp:post_name", f"{article.slug}__trashed")
        out.field("wp:status", TRASH)
        meta[TRASH_STATUS_KEY] = status
        meta[TRASH_TIME_KEY] = str(int(article.trashed_at.replace(tzinfo=UTC).timestamp()))
        meta[DESIRED_SLUG_KEY] = article.slug
    else:
        out.field("wp:post_name", article.slug)
        out.field("wp:status", status)
    out.field("wp:post_parent", "0")
    out.field("wp:menu_order", "0")
    out.field("wp:post_type", str(article.kind))
    out.field("wp:post_password", "")
    out.field("wp:is_sticky", "0")
    for term in article.terms:
        domain = "category" if term.kind == TermKind.CATEGORY else "post_tag"
        out.field("category", term.name, domain=domain, nicename=term.slug)
    if article.body_format == BodyFormat.MARKDOWN and article.body_source is not None:
        meta[MARKDOWN_SOURCE_KEY] = article.body_source
    for key, value in meta.items():
        out.open("wp:postmeta")
        out.field("wp:meta_key", key)
        out.field("wp:meta_value", value)
        out.close("wp:postmeta")


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

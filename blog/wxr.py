"""WordPress eXtended RSS (WXR 1.1/1.2): import and export.

Import keeps published posts as articles (slug, title, date, content
sanitized with the article allowlist) and their comments (author, email,
site, IP, date, text, threading, status). Drafts, scheduled, pending,
private and password-protected posts are never published: they are skipped
and reported. Pingbacks and trackbacks are skipped and counted. Everything
is keyed by the WordPress ids, so running an import again changes nothing.

The XML comes from elsewhere: it is parsed with defusedxml, which refuses
entity expansion and external references.
"""

from __future__ import annotations

import re

# ElementTree only writes here; every parse goes through defusedxml.
import xml.etree.ElementTree as ET  # nosec B405
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import IO

import defusedxml.ElementTree as SafeET
import sqlalchemy as sa
import wtforms
from flask import current_app
from werkzeug.datastructures import MultiDict

from blog.extensions import db
from blog.forms import url_field
from blog.models import Article, Comment, CommentStatus, utcnow
from blog.moderation import refresh_article_comments
from blog.sanitize import article_to_html, comment_to_html
from blog.slugs import reserved_slugs, safe_slug
from blog.thread import loop_closers, thread_roots

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


class WxrError(ValueError):
    """The file is not a WXR export this importer can read."""


@dataclass
class ImportReport:
    articles_added: int = 0
    articles_present: int = 0
    comments_added: int = 0
    comments_present: int = 0
    pings_skipped: int = 0
    skipped_posts: list[tuple[str, str]] = field(default_factory=list)
    other_items: Counter[str] = field(default_factory=Counter)
    comment_statuses: Counter[str] = field(default_factory=Counter)
    parent_loops_cut: int = 0
    #: (title, slug in the file, slug given) for each article added under a new slug.
    slugs_replaced: list[tuple[str, str, str]] = field(default_factory=list)
    #: (author, site) for each comment imported without its site.
    urls_dropped: list[tuple[str, str]] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str]]:
        rows = [
            ("Articoli importati", str(self.articles_added)),
            ("Articoli già presenti", str(self.articles_present)),
            ("Commenti importati", str(self.comments_added)),
            ("Commenti già presenti", str(self.comments_present)),
            ("Pingback e trackback saltati", str(self.pings_skipped)),
            ("Risposte circolari, rese commenti di primo livello", str(self.parent_loops_cut)),
            ("Indirizzi di articoli non validi, sostituiti", str(len(self.slugs_replaced))),
            ("Siti web non validi, tolti dai commenti", str(len(self.urls_dropped))),
            ("Articoli non pubblicati, saltati", str(len(self.skipped_posts))),
        ]
        rows += [
            (f"  commenti {status}", str(n)) for status, n in sorted(self.comment_statuses.items())
        ]
        rows += [
            (f"Altri elementi ({kind}), saltati", str(n))
            for kind, n in sorted(self.other_items.items())
        ]
        return rows


# Reading


def _wp_namespace(root: ET.Element) -> str:
    """The export's wp namespace (1.0, 1.1 or 1.2; http or https)."""
    for element in root.iter():
        if element.tag.startswith("{") and "wordpress.org/export/" in element.tag:
            namespace = element.tag[1:].split("}", 1)[0]
            if not namespace.endswith("/excerpt/"):
                return namespace
    raise WxrError("Il file non è un'esportazione di WordPress (WXR).")


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


def _wp_date(value: str) -> datetime | None:
    value = value.strip()
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


def read_items(source: str | Path | IO[bytes]) -> tuple[list[_Item], str]:
    try:
        tree = SafeET.parse(source)
    except (SafeET.ParseError, ValueError) as error:
        raise WxrError(f"XML non valido: {error}") from error
    root = tree.getroot()
    if root.tag != "rss" or root.find("channel") is None:
        raise WxrError("Il file non è un'esportazione di WordPress (WXR).")
    wp = _wp_namespace(root)
    return [_Item(element, wp) for element in root.iter("item")], wp


# Import


def import_wxr(
    source: str | Path | IO[bytes],
    progress: Callable[[Iterable[_Item]], Iterator[_Item]] | None = None,
) -> ImportReport:
    """Import a WXR file; the caller commits. See the module's docstring."""
    items, wp = read_items(source)
    report = ImportReport()
    reserved = reserved_slugs(current_app.url_map)
    touched: list[Article] = []
    for item in progress(items) if progress else items:
        post_type = item.wp_text("post_type")
        if post_type != "post":
            report.other_items[post_type or "?"] += 1
            continue
        title = item.text("title") or "(senza titolo)"
        status = item.wp_text("status")
        if item.wp_text("post_password"):
            report.skipped_posts.append((title, "protetto da password"))
            continue
        if status != "publish":
            report.skipped_posts.append((title, NOT_PUBLISHED.get(status, status or "?")))
            continue
        if not item.wp_text("post_name"):
            report.skipped_posts.append((title, "senza slug"))
            continue
        article = _import_article(item, report, reserved)
        if article is None:
            report.skipped_posts.append((title, "senza data o con uno slug inutilizzabile"))
            continue
        if _import_comments(item, wp, article, report):
            touched.append(article)
    db.session.flush()
    for article in touched:
        refresh_article_comments(article)
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
        report.slugs_replaced.append((title, given, slug))
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


def _import_comments(item: _Item, wp: str, article: Article, report: ImportReport) -> bool:
    """Add the post's comments that are new; tell whether any was."""
    known = {
        wp_id: comment_id
        for wp_id, comment_id in db.session.execute(
            sa.select(Comment.wp_comment_id, Comment.id).where(
                Comment.article_id == article.id, Comment.wp_comment_id.is_not(None)
            )
        )
    }
    added: list[tuple[Comment, int | None]] = []
    for element in item.element.findall(f"{{{wp}}}comment"):
        comment_item = _Item(element, wp)
        kind = comment_item.wp_text("comment_type")
        if kind in ("pingback", "trackback"):
            report.pings_skipped += 1
            continue
        wp_id = _int(comment_item.wp_text("comment_id"))
        if wp_id is not None and wp_id in known:
            report.comments_present += 1
            continue
        status = STATUS_FROM_WP.get(comment_item.wp_text("comment_approved"), CommentStatus.PENDING)
        # Our own export keeps the typed text aside; WordPress's has only the content.
        typed = _comment_meta(element, wp, TYPED_TEXT_KEY)
        body = typed if typed is not None else comment_item.raw(f"{{{wp}}}comment_content")
        body = body.strip() or "(vuoto)"
        created = _wp_date(comment_item.wp_text("comment_date_gmt")) or _wp_date(
            comment_item.wp_text("comment_date")
        )
        author = comment_item.wp_text("comment_author")[:245] or "Anonimo"
        site = comment_item.wp_text("comment_author_url")
        url = site_url(site)
        if url is None:
            report.urls_dropped.append((author, site))
        comment = Comment(
            article=article,
            wp_comment_id=wp_id,
            author=author,
            email=comment_item.wp_text("comment_author_email")[:100],
            url=url or "",
            body=body,
            body_html=comment_to_html(body),
            status=status,
            created_at=created or utcnow(),
            ip_address=comment_item.wp_text("comment_author_IP")[:45] or None,
        )
        db.session.add(comment)
        added.append((comment, _int(comment_item.wp_text("comment_parent")) or None))
        report.comments_added += 1
        report.comment_statuses[status.value] += 1
    if not added:
        return False
    db.session.flush()
    for comment, _ in added:
        if comment.wp_comment_id is not None:
            known[comment.wp_comment_id] = comment.id
    by_id = {comment.id: comment for comment, _ in added}
    for comment, wp_parent in added:
        comment.parent_id = known.get(wp_parent) if wp_parent else None
    db.session.flush()
    _place_in_threads(article, by_id, report)
    return True


def _place_in_threads(article: Article, added: dict[int, Comment], report: ImportReport) -> None:
    """Set the thread of each comment added to ``article``, cutting reply loops."""
    # Threads: every comment belongs under its top-level ancestor.
    parents = dict(
        db.session.execute(
            sa.select(Comment.id, Comment.parent_id)
            .where(Comment.article_id == article.id)
            .order_by(Comment.id)
        )
        .tuples()
        .all()
    )
    # A file can make comments answer each other in a loop: the link that
    # closes it is dropped, and that comment starts a thread of its own.
    for comment_id in loop_closers(parents):
        parents[comment_id] = None
        looped = added.get(comment_id) or db.session.get_one(Comment, comment_id)
        looped.parent_id = None
        report.parent_loops_cut += 1
    roots = thread_roots(parents)
    for comment in added.values():
        comment.thread_id = roots[comment.id]


def _comment_meta(element: ET.Element, wp: str, key: str) -> str | None:
    """The value of a comment's ``wp:commentmeta`` entry ``key``, if it has one."""
    for meta in element.findall(f"{{{wp}}}commentmeta"):
        if (meta.findtext(f"{{{wp}}}meta_key") or "").strip() == key:
            return meta.findtext(f"{{{wp}}}meta_value") or ""
    return None


class _SiteForm(wtforms.Form):
    """The comment form's own "Sito web" field, outside a request."""

    url = url_field()


def site_url(value: str) -> str | None:
    """A commenter's site as the comment form would store it; None if it refuses it.

    The form's field does the checking (http or https, with a host, not too
    long), so an import never lets in what a reader could not type.
    """
    form = _SiteForm(formdata=MultiDict({"url": value}))
    return form.url.data or "" if form.validate() else None


# Export


def xml_text(text: str) -> str:
    """Replace what XML 1.0 does not allow (controls, U+FFFE, U+FFFF, lone
    surrogates) with U+FFFD: stored and imported text may hold them."""
    return NOT_XML_CHAR.sub("\ufffd", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {name: xml_text(value) for name, value in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _wp_date_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def export_wxr(target: IO[bytes], site_name: str, site_url: str) -> int:
    """Write every article and its comments as WXR 1.2; return the articles written."""
    for prefix, uri in (
        ("content", CONTENT_NS),
        ("dc", DC_NS),
        ("wp", WP_NS),
        ("excerpt", EXCERPT_NS),
    ):
        ET.register_namespace(prefix, uri)
    wp = f"{{{WP_NS}}}"
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", site_name)
    _sub(channel, "link", site_url)
    _sub(channel, "description", site_name)
    _sub(channel, "pubDate", format_datetime(datetime.now(UTC)))
    _sub(channel, "language", "it-IT")
    _sub(channel, f"{wp}wxr_version", "1.2")
    _sub(channel, f"{wp}base_site_url", site_url)
    _sub(channel, f"{wp}base_blog_url", site_url)
    articles = db.session.scalars(sa.select(Article).order_by(Article.published_at, Article.id))
    count = 0
    for article in articles:
        count += 1
        item = _sub(channel, "item")
        link = f"{site_url.rstrip('/')}/{article.slug}/"
        _sub(item, "title", article.title)
        _sub(item, "link", link)
        _sub(item, "pubDate", format_datetime(article.published_at.replace(tzinfo=UTC)))
        _sub(item, f"{{{DC_NS}}}creator", "admin")
        _sub(item, "guid", link, isPermaLink="false")
        _sub(item, "description", "")
        _sub(item, f"{{{CONTENT_NS}}}encoded", article.body_html)
        _sub(item, f"{{{EXCERPT_NS}}}encoded", article.standfirst or "")
        _sub(item, f"{wp}post_id", str(article.wp_post_id or article.id))
        _sub(item, f"{wp}post_date", _wp_date_text(article.published_at))
        _sub(item, f"{wp}post_date_gmt", _wp_date_text(article.published_at))
        _sub(item, f"{wp}comment_status", "open" if article.comments_open else "closed")
        _sub(item, f"{wp}ping_status", "closed")
        _sub(item, f"{wp}post_name", article.slug)
        _sub(item, f"{wp}status", "publish")
        _sub(item, f"{wp}post_parent", "0")
        _sub(item, f"{wp}menu_order", "0")
        _sub(item, f"{wp}post_type", "post")
        _sub(item, f"{wp}post_password", "")
        _sub(item, f"{wp}is_sticky", "0")
        comments = db.session.scalars(
            sa.select(Comment).where(Comment.article_id == article.id).order_by(Comment.id)
        ).all()
        wp_ids = {comment.id: comment.wp_comment_id or comment.id for comment in comments}
        for comment in comments:
            element = _sub(item, f"{wp}comment")
            _sub(element, f"{wp}comment_id", str(wp_ids[comment.id]))
            _sub(element, f"{wp}comment_author", comment.author)
            _sub(element, f"{wp}comment_author_email", comment.email)
            _sub(element, f"{wp}comment_author_url", comment.url)
            _sub(element, f"{wp}comment_author_IP", comment.ip_address or "")
            _sub(element, f"{wp}comment_date", _wp_date_text(comment.created_at))
            _sub(element, f"{wp}comment_date_gmt", _wp_date_text(comment.created_at))
            # WordPress shows comment_content as it is: only sanitized HTML goes there.
            _sub(element, f"{wp}comment_content", comment.body_html)
            _sub(element, f"{wp}comment_approved", STATUS_TO_WP[comment.status])
            _sub(element, f"{wp}comment_type", "comment")
            parent = wp_ids.get(comment.parent_id) if comment.parent_id else 0
            _sub(element, f"{wp}comment_parent", str(parent or 0))
            _sub(element, f"{wp}comment_user_id", "0")
            meta = _sub(element, f"{wp}commentmeta")
            _sub(meta, f"{wp}meta_key", TYPED_TEXT_KEY)
            _sub(meta, f"{wp}meta_value", comment.body)
    ET.ElementTree(rss).write(target, encoding="UTF-8", xml_declaration=True)
    return count

"""WordPress eXtended RSS (WXR 1.1/1.2): the import, streamed.

Import keeps posts as articles (slug, title, date, content sanitized with
the article allowlist, author, categories, tags, and their status: published,
scheduled, draft or in the bin) and their comments (author, email, site, IP,
date, text, threading, status), which go through the one comment writer
every import shares (``blog/porting/importer.py``). Pending and private posts
become drafts; password-protected posts and auto-drafts are skipped and
reported. The export's authors become staff accounts with the role Author
that cannot sign in (deactivated, with no password) until an administrator
gives them one or invites them. Pingbacks and trackbacks are skipped and
counted. Everything is keyed by the WordPress ids (authors by their login),
so running an import again, or again after it was interrupted, adds nothing
twice.

The XML comes from elsewhere: it is parsed as it is read
(``blog/porting/xmlstream.py``: lxml, with no entity expanded and nothing
fetched, a file declaring entities refused); each post is let go
once read, and each comment too once its post is known, so memory stays
bounded whatever the file's size. The export is ``blog/porting/export.py``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from blog.articles.terms import terms_slugged
from blog.comments.sanitize import article_to_html
from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import lazy_pgettext as _lp
from blog.core.slugs import SLUG_MAX, reserved_slugs, safe_slug
from blog.extensions import db
from blog.models import (
    Article,
    ArticleStatus,
    BodyFormat,
    CommentStatus,
    Moderator,
    Role,
    Term,
    TermKind,
    utcnow,
)
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
DC_NS = "http://purl.org/dc/elements/1.1/"
#: The commentmeta key under which the export keeps a comment's text as its
#: author typed it; ``wp:comment_content`` carries the sanitized HTML. The
#: leading underscore keeps it out of WordPress's custom-field screens.
TYPED_TEXT_KEY = "_blog_typed_text"
#: The postmeta key under which the export keeps a Markdown article's source;
#: ``content:encoded`` carries its HTML, which WordPress shows.
MARKDOWN_SOURCE_KEY = "_blog_markdown_source"

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
#: What a post's wp:status makes of it here: a scheduled post ("future") is
#: published from its date; one pending review or private waits as a draft.
STATUS_OF_POST = {
    "publish": ArticleStatus.PUBLISH,
    "future": ArticleStatus.PUBLISH,
    "draft": ArticleStatus.DRAFT,
    "pending": ArticleStatus.DRAFT,
    "private": ArticleStatus.DRAFT,
}
#: A post in WordPress's bin; its meta keeps the status it had and when it went.
TRASH = "trash"
TRASH_STATUS_KEY = "_wp_trash_meta_status"
TRASH_TIME_KEY = "_wp_trash_meta_time"
#: A binned post's address: WordPress adds "__trashed" to its post_name.
DESIRED_SLUG_KEY = "_wp_desired_post_slug"
#: The <category> domains that are ours: categories and tags.
TERM_DOMAINS = {"category": TermKind.CATEGORY, "post_tag": TermKind.TAG}
#: Moderator.username's column.
USERNAME_MAX = 80
#: Why a post is not imported, in the report (any other status is shown as it is).
NOT_PUBLISHED = {
    "auto-draft": _lp("skipped post", "automatic draft"),
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
        #: The staff account of each author login met, None for one unusable.
        self.authors: dict[str, int | None] = {}
        #: Whether the file lists its authors (WXR 1.1 and later do).
        self.authors_listed = False

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
        elif depth == 3 and self.wp is not None:
            self._end_channel_entry(element, self.wp)
        elif depth == 4:
            return self._end_field(element)
        return False

    def _end_channel_entry(self, element: Element, wp: str) -> None:
        """An author, a category or a tag the export lists before its posts."""
        entry = _Item(element, wp)
        if element.tag == f"{{{wp}}}author":
            self.authors_listed = True
            full_name = (entry.wp_text("author_first_name"), entry.wp_text("author_last_name"))
            self._author_id(
                entry.wp_text("author_login"),
                display_name=entry.wp_text("author_display_name")
                or " ".join(filter(None, full_name)),
                email=entry.wp_text("author_email"),
            )
        elif element.tag == f"{{{wp}}}category":
            self._terms(
                TermKind.CATEGORY,
                [(entry.wp_text("cat_name"), entry.wp_text("category_nicename"))],
                entry.wp_text("category_description"),
            )
        elif element.tag == f"{{{wp}}}tag":
            self._terms(
                TermKind.TAG,
                [(entry.wp_text("tag_name"), entry.wp_text("tag_slug"))],
                entry.wp_text("tag_description"),
            )

    def _author_id(
        self, login: str, display_name: str = "", email: str = "", *, listed: bool = True
    ) -> int | None:
        """The staff account of the source's author ``login``: found by its
        username, or made (role Author, deactivated, no password) unless the
        login is not ``listed`` among the file's authors."""
        login = login.strip()
        if not login or len(login) > USERNAME_MAX:
            return None
        if login in self.authors:
            return self.authors[login]
        author = db.session.scalar(sa.select(Moderator).where(Moderator.username == login))
        if author is None and not listed:
            return None
        if author is None:
            author = Moderator(
                username=login,
                display_name=(display_name.strip() or login)[:245],
                email=email.strip()[:100] or None,
                role=Role.AUTHOR,
                active=False,
                # No password opens this account: no hash ever matches "!…".
                password_hash="!" + secrets.token_hex(16),
            )
            db.session.add(author)
            db.session.flush()
            self.report.authors_added += 1
        else:
            self.report.authors_present += 1
        self.authors[login] = author.id
        return author.id

    def _terms(
        self, kind: TermKind, named: list[tuple[str, str]], description: str = ""
    ) -> list[Term]:
        """The categories or tags named, made when missing (and counted)."""
        terms = terms_slugged(kind, named)
        for term in terms:
            if term.id is None:
                term.description = description
                self.report.terms_added += 1
        db.session.flush()
        return terms

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
        elif status not in STATUS_OF_POST and status != TRASH:
            self.report.skipped_posts.add(title, NOT_PUBLISHED.get(status, status or "?"))
        elif status == "publish" and not item.wp_text("post_name"):
            self.report.skipped_posts.add(title, NO_SLUG)
        else:
            found = _import_article(item, self.report, self.reserved)
            if found is None:
                self.report.skipped_posts.add(title, NO_DATE_OR_SLUG)
                return None
            article, made = found
            if made:
                self._credit(article, item)
            return article.id
        return None

    def _credit(self, article: Article, item: _Item) -> None:
        """Give a new article its author (``dc:creator``), categories and tags."""
        # A post's creator missing from the file's list of authors is no
        # account of its (WordPress too gives such a post to someone else).
        creator = item.text(f"{{{DC_NS}}}creator")
        article.author_id = self._author_id(creator, listed=not self.authors_listed)
        named: dict[TermKind, list[tuple[str, str]]] = {kind: [] for kind in TERM_DOMAINS.values()}
        for child in item.element.iterfind("category"):
            kind = TERM_DOMAINS.get(child.get("domain", ""))
            if kind is not None:
                named[kind].append(((child.text or "").strip(), child.get("nicename", "")))
        article.terms = [term for kind, pairs in named.items() for term in self._terms(kind, pairs)]
        db.session.flush()

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


def _import_article(
    item: _Item, report: ImportReport, reserved: frozenset[str]
) -> tuple[Article, bool] | None:
    """The post's article, found (False) or made (True); None if it cannot be made."""
    wp_id = _int(item.wp_text("post_id"))
    title = item.text("title")
    wp_status = item.wp_text("status")
    meta = _post_meta(item)
    given = item.wp_text("post_name")
    if wp_status == TRASH and meta.get(DESIRED_SLUG_KEY):
        given = meta[DESIRED_SLUG_KEY]
    slug = safe_slug(given, title, reserved, fallback=f"articolo-{wp_id}" if wp_id else "")
    published = _wp_date(item.wp_text("post_date_gmt")) or _wp_date(item.wp_text("post_date"))
    if wp_status in ("draft", "pending", "private", TRASH) and published is None:
        # WordPress dates a draft only once it is saved; its export keeps seconds.
        published = utcnow().replace(microsecond=0)
    if not slug or published is None:
        return None
    existing = None
    if wp_id is not None:
        existing = db.session.scalar(sa.select(Article).where(Article.wp_post_id == wp_id))
    if existing is None and given and wp_status != TRASH:
        existing = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if existing is not None:
        report.articles_present += 1
        return existing, False
    # A draft without an address, or a binned post whose address another took.
    slug = _free_slug(slug)
    excerpt = next(
        (
            child.text or ""
            for child in item.element
            if child.tag.endswith("}encoded") and "excerpt" in child.tag
        ),
        "",
    )
    if given and slug != given:
        report.slugs_replaced.add(title, given, slug)
    status = STATUS_OF_POST.get(wp_status)
    trashed_at = None
    if wp_status == TRASH:
        status = STATUS_OF_POST.get(meta.get(TRASH_STATUS_KEY, ""), ArticleStatus.DRAFT)
        trashed_at = _unix_time(meta.get(TRASH_TIME_KEY, "")) or utcnow().replace(microsecond=0)
    # Our own export keeps a Markdown article's source aside; WordPress's has only HTML.
    source = meta.get(MARKDOWN_SOURCE_KEY)
    article = Article(
        wp_post_id=wp_id,
        slug=slug,
        title=title[:300] or slug,
        standfirst=excerpt.strip(),
        body_html=article_to_html(item.raw(f"{{{CONTENT_NS}}}encoded")),
        body_source=source,
        body_format=BodyFormat.HTML if source is None else BodyFormat.MARKDOWN,
        published_at=published,
        status=status or ArticleStatus.DRAFT,
        trashed_at=trashed_at,
        comments_open=item.wp_text("comment_status") != "closed",
    )
    db.session.add(article)
    db.session.flush()
    report.articles_added += 1
    report.article_states[_state(article)] += 1
    return article, True


def _state(article: Article) -> str:
    """What the report counts an imported article as (ARTICLE_STATES' keys)."""
    if article.trashed_at is not None:
        return TRASH
    if article.status == ArticleStatus.DRAFT:
        return "draft"
    return "future" if article.is_scheduled else "publish"


def _free_slug(slug: str) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… if an article has it."""
    taken = set(
        db.session.scalars(
            sa.select(Article.slug).where(
                sa.or_(Article.slug == slug, Article.slug.like(f"{slug}-%"))
            )
        )
    )
    if slug not in taken:
        return slug
    number = 2
    while (candidate := f"{slug[: SLUG_MAX - 12]}-{number}") in taken:
        number += 1
    return candidate


def _post_meta(item: _Item) -> dict[str, str]:
    """The post's ``wp:postmeta`` entries (the first of each key)."""
    meta: dict[str, str] = {}
    for entry in item.element.findall(f"{{{item.wp}}}postmeta"):
        key = (entry.findtext(f"{{{item.wp}}}meta_key") or "").strip()
        meta.setdefault(key, entry.findtext(f"{{{item.wp}}}meta_value") or "")
    return meta


def _unix_time(value: str) -> datetime | None:
    """A Unix time in seconds ("1715336400"), as stored (naive UTC)."""
    value = value.strip()
    if not value.isdigit() or len(value) > 11:
        return None
    return datetime.fromtimestamp(int(value), UTC).replace(tzinfo=None)


def _comment_meta(element: Element, wp: str, key: str) -> str | None:
    """The value of a comment's ``wp:commentmeta`` entry ``key``, if it has one."""
    for meta in element.findall(f"{{{wp}}}commentmeta"):
        if (meta.findtext(f"{{{wp}}}meta_key") or "").strip() == key:
            return meta.findtext(f"{{{wp}}}meta_value") or ""
    return None

"""Where an article is written, published, scheduled, updated, binned and restored.

An article's life as WordPress tells it: *Bozza* → *Programmato* → *Pubblicato*,
*Aggiorna* on a published article, *Sposta nel cestino* and *Ripristina*. Each
use case is a plain function of an :class:`ArticleDraft` (what the author typed)
and the account that saves it: it validates, writes the article and an
:class:`~blog.models.ArticleRevision` (every save keeps a version), commits,
then announces what happened through ``blog/signals.py`` (``article_published``,
``article_updated``, ``article_trashed``), which caches and other side effects
subscribe to. No request is needed: the editor's views, ``flask article import``
and the tests call the same functions.

Errors are :class:`ArticleRefused`, naming the field at fault and saying what
is wrong in the site's language; nothing is written then.

Times are stored as naive UTC; :func:`from_local` turns a date and time typed
in the ``TIMEZONE`` setting into one.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from blog import messages, signals
from blog.articles.markdown import MarkdownRefused, render_markdown
from blog.articles.terms import terms_named
from blog.comments.sanitize import article_to_html
from blog.core.slugs import SLUG_MAX, is_valid_slug, reserved_slugs, slugify
from blog.extensions import db
from blog.models import (
    Article,
    ArticleKind,
    ArticleRedirect,
    ArticleRevision,
    ArticleStatus,
    BodyFormat,
    MediaFile,
    Moderator,
    TermKind,
)
from blog.models.clock import utcnow

#: Article.title's column.
TITLE_MAX = 300

#: Autosaves of one author within this many seconds share one revision.
AUTOSAVE_COALESCE_SECONDS = 600


class Keep(enum.Enum):
    """A draft's value that leaves the article's as it is."""

    KEEP = "keep"


#: The featured image of a draft that does not choose one (a Markdown file,
#: a restored version): the article keeps its own.
KEEP = Keep.KEEP


@dataclass(frozen=True)
class ArticleDraft:
    """What an author typed in the editor (or a Markdown file held)."""

    title: str
    #: The address; empty: made from the title.
    slug: str = ""
    #: "Riassunto": the standfirst, the description and Open Graph text.
    standfirst: str = ""
    #: The body, in Markdown.
    body_source: str = ""
    #: Category and tag names (see ``blog.articles.terms.split_names``).
    categories: Sequence[str] = field(default_factory=tuple)
    tags: Sequence[str] = field(default_factory=tuple)
    comments_open: bool = True
    #: What ``body_source`` is written in: a Markdown file that says
    #: ``format: html`` holds HTML, kept (sanitized) as the article's HTML only.
    body_format: BodyFormat = BodyFormat.MARKDOWN
    #: An article (dated, listed) or a page ("Chi siamo"): chosen when it is
    #: made, never changed after.
    kind: ArticleKind = ArticleKind.POST
    #: The featured image (a ``MediaFile`` id), None for none, ``KEEP`` to
    #: leave the article's.
    featured_image_id: int | None | Keep = KEEP


class ArticleRefused(ValueError):
    """A save that cannot be done: ``field`` is the form field at fault
    (``title``, ``slug``, ``body``, ``publish_at``, or ``""`` for the article as a
    whole); ``message`` says why, in the site's language."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def render_body(source: str) -> str:
    """Turn an article's Markdown into the sanitized HTML readers see.

    A body the renderer refuses (too long, too deep: its cost bounds) is
    an ``ArticleRefused`` of the body field, in the site's language.
    """
    try:
        return render_markdown(source)
    except MarkdownRefused as refused:
        raise ArticleRefused("body", str(refused)) from refused


def from_local(moment: datetime, timezone: str) -> datetime:
    """A date and time as typed in ``timezone`` (naive), as stored (naive UTC).

    An aware ``moment`` is only converted.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC).replace(tzinfo=None)


def _as_stored(moment: datetime) -> datetime:
    """Naive UTC from naive UTC or any aware datetime."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


# Use cases ---------------------------------------------------------------


def save_draft(
    article: Article | None,
    draft: ArticleDraft,
    editor: Moderator,
    *,
    author: Moderator | None = None,
    now: datetime | None = None,
) -> Article:
    """ "Salva bozza": keep ``draft`` as a draft (a new article when ``article`` is None).

    A scheduled or published article saved as a draft leaves the site, as
    WordPress's "Passa a bozza". ``author`` is whom a new article is by
    (default: ``editor``). Commits; announces ``article_updated`` for an
    article that was published or scheduled.
    """
    now = now or utcnow()
    was_published = article is not None and article.status == ArticleStatus.PUBLISH
    article = _write(article, draft, editor, author=author, now=now)
    article.status = ArticleStatus.DRAFT
    _commit_with_revision(article, editor, now)
    if was_published:
        signals.article_updated.send(None, article=article)
    return article


def publish(
    article: Article | None,
    draft: ArticleDraft,
    editor: Moderator,
    *,
    at: datetime | None = None,
    author: Moderator | None = None,
    now: datetime | None = None,
) -> Article:
    """ "Pubblica": make ``draft`` public now, or at ``at``.

    ``at`` (naive UTC or aware) in the past backdates the article; in the
    future it schedules it, as :func:`schedule` does. Commits; announces
    ``article_published``, or ``article_updated`` when it already was
    published or scheduled.
    """
    now = now or utcnow()
    was_published = (
        article is not None
        and article.status == ArticleStatus.PUBLISH
        and article.trashed_at is None
    )
    article = _write(article, draft, editor, author=author, now=now)
    article.status = ArticleStatus.PUBLISH
    article.published_at = now if at is None else _as_stored(at)
    _commit_with_revision(article, editor, now)
    if was_published:
        signals.article_updated.send(None, article=article)
    else:
        signals.article_published.send(None, article=article)
    return article


def schedule(
    article: Article | None,
    draft: ArticleDraft,
    editor: Moderator,
    at: datetime,
    *,
    author: Moderator | None = None,
    now: datetime | None = None,
) -> Article:
    """ "Programma": publish ``draft`` at ``at`` (naive UTC or aware), which must be to come.

    No job publishes it: readers' queries ask for a date already past
    (``Article.public``), so it appears by itself at its time. Raises
    :class:`ArticleRefused` (field ``publish_at``) for a time already past.
    """
    now = now or utcnow()
    if _as_stored(at) <= now:
        raise ArticleRefused("publish_at", str(messages.SCHEDULE_IN_PAST))
    return publish(article, draft, editor, at=at, author=author, now=now)


def update(
    article: Article,
    draft: ArticleDraft,
    editor: Moderator,
    *,
    at: datetime | None = None,
    now: datetime | None = None,
) -> Article:
    """ "Aggiorna": change a published or scheduled article, keeping it so.

    ``at`` moves its date (a scheduled article to another time; a
    published one backdated or, to a future time, scheduled again). An
    address change of an article readers have seen leaves its old address
    answering for it (``ArticleRedirect``). Commits; announces
    ``article_updated``.
    """
    now = now or utcnow()
    if article.status != ArticleStatus.PUBLISH:
        raise ArticleRefused("", str(messages.ARTICLE_NOT_PUBLISHED))
    _write(article, draft, editor, now=now)
    if at is not None:
        article.published_at = _as_stored(at)
    _commit_with_revision(article, editor, now)
    signals.article_updated.send(None, article=article)
    return article


def autosave(
    article: Article, draft: ArticleDraft, editor: Moderator, *, now: datetime | None = None
) -> Article:
    """Keep what is being typed in a draft, as the editor's autosave does.

    Only drafts: a published or scheduled article's live text changes only
    by "Aggiorna" (:class:`ArticleRefused` otherwise). Autosaves by one
    account within ``AUTOSAVE_COALESCE_SECONDS`` of its last revision
    replace that revision rather than pile up. Commits; announces nothing.
    """
    now = now or utcnow()
    if article.status != ArticleStatus.DRAFT or article.trashed_at is not None:
        raise ArticleRefused("", str(messages.AUTOSAVE_DRAFTS_ONLY))
    _write(article, draft, editor, now=now)
    latest = latest_revision(article)
    if (
        latest is not None
        and latest.editor_id == editor.id
        and (now - latest.created_at).total_seconds() < AUTOSAVE_COALESCE_SECONDS
    ):
        _fill_revision(latest, article, now)
        db.session.commit()
    else:
        _commit_with_revision(article, editor, now)
    return article


def trash(article: Article, editor: Moderator, *, now: datetime | None = None) -> Article:
    """ "Sposta nel cestino": take the article off the site, keeping its status.

    Commits; announces ``article_trashed``.
    """
    if article.trashed_at is None:
        article.trashed_at = now or utcnow()
        db.session.commit()
        signals.article_trashed.send(None, article=article)
    return article


def restore(article: Article, editor: Moderator, *, now: datetime | None = None) -> Article:
    """ "Ripristina" from the bin: the article is again what it was (draft,
    scheduled or published).

    Its address stayed its own while in the bin. Commits; announces
    ``article_published`` when it is published or scheduled again,
    ``article_updated`` for a draft.
    """
    if article.trashed_at is None:
        return article
    article.trashed_at = None
    article.updated_at = now or utcnow()
    db.session.commit()
    if article.status == ArticleStatus.PUBLISH:
        signals.article_published.send(None, article=article)
    else:
        signals.article_updated.send(None, article=article)
    return article


def restore_revision(
    article: Article,
    revision: ArticleRevision,
    editor: Moderator,
    *,
    now: datetime | None = None,
) -> Article:
    """Make an earlier version the current one: its title, address, summary and body.

    The status, date, categories and tags stay. The restore is itself a
    save: it writes a new revision. Commits; announces ``article_updated``.
    """
    if revision.article_id != article.id:
        raise ArticleRefused("", str(messages.REVISION_NOT_OF_ARTICLE))
    now = now or utcnow()
    draft = ArticleDraft(
        title=revision.title,
        slug=revision.slug,
        standfirst=revision.standfirst,
        body_source=revision.body_source or "",
        categories=[term.name for term in article.categories],
        tags=[term.name for term in article.tags],
        comments_open=article.comments_open,
    )
    if revision.body_source is None:
        # An imported or shipped version: its HTML is all there is.
        _write(article, draft, editor, now=now, body_html=revision.body_html)
    else:
        _write(article, draft, editor, now=now)
    _commit_with_revision(article, editor, now)
    signals.article_updated.send(None, article=article)
    return article


# Queries -----------------------------------------------------------------


def latest_revision(article: Article) -> ArticleRevision | None:
    """The article's newest revision, if any."""
    return db.session.scalar(
        sa.select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.id.desc())
        .limit(1)
    )


def slug_for(
    draft: ArticleDraft,
    article: Article | None = None,
    reserved: frozenset[str] | None = None,
) -> str:
    """The address ``draft`` would have: the one typed (made into a slug),
    else one made from the title and numbered (``-2``, ``-3``…) when taken.

    Raises :class:`ArticleRefused` (field ``slug``) for an address that
    cannot be: reserved by the site, or another article's (current or old).
    """
    if reserved is None:
        reserved = reserved_slugs(current_app.url_map)
    typed = draft.slug.strip()
    if typed:
        slug = slugify(typed)
        if not slug:
            raise ArticleRefused("slug", str(messages.SLUG_INVALID))
        if not is_valid_slug(slug, reserved):
            raise ArticleRefused("slug", str(messages.SLUG_RESERVED.format(slug=slug)))
        if _taken(slug, article):
            raise ArticleRefused("slug", str(messages.SLUG_TAKEN.format(slug=slug)))
        return slug
    base = slugify(draft.title)[: SLUG_MAX - 4].rstrip("-")
    if not base:
        raise ArticleRefused("slug", str(messages.SLUG_INVALID))
    for number in range(1, 1000):
        slug = base if number == 1 else f"{base}-{number}"
        if is_valid_slug(slug, reserved) and not _taken(slug, article):
            return slug
    raise ArticleRefused("slug", str(messages.SLUG_TAKEN.format(slug=base)))


def _taken(slug: str, article: Article | None) -> bool:
    """Tell whether ``slug`` is another article's address, now or formerly."""
    own_id = article.id if article is not None else None
    other = db.session.scalar(sa.select(Article.id).where(Article.slug == slug))
    if other is not None and other != own_id:
        return True
    redirected = db.session.scalar(
        sa.select(ArticleRedirect.article_id).where(ArticleRedirect.old_slug == slug)
    )
    return redirected is not None and redirected != own_id


# The write itself --------------------------------------------------------


def _write(
    article: Article | None,
    draft: ArticleDraft,
    editor: Moderator,
    *,
    now: datetime,
    author: Moderator | None = None,
    body_html: str | None = None,
) -> Article:
    """Validate ``draft`` and copy it onto ``article`` (made when None), in the session."""
    title = " ".join(draft.title.split())
    if not title:
        raise ArticleRefused("title", str(messages.TITLE_REQUIRED))
    if len(title) > TITLE_MAX:
        raise ArticleRefused("title", str(messages.TOO_LONG.format(max=TITLE_MAX)))
    slug = slug_for(draft, article)
    if body_html is None and draft.body_format == BodyFormat.HTML:
        body_html = article_to_html(draft.body_source)
    html = render_body(draft.body_source) if body_html is None else body_html
    featured = _featured_image(draft.featured_image_id)
    # Terms before any change to the article: finding them flushes the session.
    terms = terms_named(TermKind.CATEGORY, draft.categories) + terms_named(TermKind.TAG, draft.tags)
    if article is None:
        article = Article(
            kind=draft.kind,
            status=ArticleStatus.DRAFT,
            published_at=now,
            created_at=now,
            author=author or editor,
            comments_open=draft.comments_open,
        )
        db.session.add(article)
    elif slug != article.slug:
        _move_address(article, slug, now)
    article.title = title
    article.slug = slug
    article.standfirst = draft.standfirst.strip()
    article.body_source = draft.body_source if body_html is None else None
    article.body_format = BodyFormat.MARKDOWN if body_html is None else BodyFormat.HTML
    article.body_html = html
    article.comments_open = draft.comments_open
    article.terms = terms
    if featured is not KEEP:
        article.featured_image = featured
    article.updated_at = now
    return article


def _featured_image(chosen: int | None | Keep) -> MediaFile | None | Keep:
    """The image ``chosen`` names; an id no image has (deleted meanwhile) is refused."""
    if chosen is None or chosen is KEEP:
        return chosen
    media = db.session.get(MediaFile, chosen)
    if media is None:
        raise ArticleRefused("featured_image", str(messages.FEATURED_IMAGE_GONE))
    return media


def _move_address(article: Article, new_slug: str, now: datetime) -> None:
    """Change an address: the old one keeps answering if readers may have seen it."""
    # The article takes back an address it had: no redirect for it any more.
    db.session.execute(
        sa.delete(ArticleRedirect).where(
            ArticleRedirect.old_slug == new_slug, ArticleRedirect.article_id == article.id
        )
    )
    has_been_public = article.status == ArticleStatus.PUBLISH and article.published_at <= now
    if has_been_public:
        old = db.session.get(ArticleRedirect, article.slug)
        if old is None:
            db.session.add(
                ArticleRedirect(old_slug=article.slug, article_id=article.id, created_at=now)
            )
        else:
            old.article_id = article.id


def _fill_revision(revision: ArticleRevision, article: Article, now: datetime) -> None:
    revision.created_at = now
    revision.title = article.title
    revision.slug = article.slug
    revision.standfirst = article.standfirst
    revision.body_source = article.body_source
    revision.body_html = article.body_html


def _commit_with_revision(article: Article, editor: Moderator, now: datetime) -> None:
    """Flush the article, keep its version, commit."""
    db.session.flush()
    revision = ArticleRevision(article_id=article.id, editor_id=editor.id)
    _fill_revision(revision, article, now)
    db.session.add(revision)
    db.session.commit()

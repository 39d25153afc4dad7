"""Articles written in files: Markdown with YAML front matter, in and out.

A file is an article: its front matter says what the editor's fields say
(``title``, ``address``, ``date``, ``status``, ``categories``, ``tags``,
``author``, ``summary``, ``comments``, and ``format: html`` for a body in
HTML), its body is the text. :func:`import_file` reads one and saves it
through the editor's own use cases (``blog/articles/authoring.py``), so it is
validated, versioned and announced as if typed: an article is known by its
address, so importing the same file again changes nothing, and a changed
file updates the article with a new revision. :func:`export_articles` writes
each article as such a file, which imports back the same.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import frontmatter
import sqlalchemy as sa
import yaml
from flask import current_app

from blog import messages
from blog.accounts.roles import ROLE_CAPABILITIES, Capability
from blog.articles import authoring
from blog.articles.authoring import ArticleDraft, ArticleRefused
from blog.articles.forms import BODY_MAX, STANDFIRST_MAX, TERMS_MAX
from blog.articles.terms import split_names, unique_names
from blog.comments.sanitize import article_to_html
from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import lazy_pgettext as _lp
from blog.core.slugs import SLUG_MAX, slugify
from blog.extensions import db
from blog.models import (
    Article,
    ArticleKind,
    ArticleStatus,
    BodyFormat,
    Moderator,
    Role,
    utcnow,
)

#: A file larger than this is refused unread: the body's limit in UTF-8, and room.
FILE_MAX_BYTES = BODY_MAX * 4 + 64 * 1024
#: The front matter's names for a status, and for comments open or closed.
STATUSES = {"draft": ArticleStatus.DRAFT, "publish": ArticleStatus.PUBLISH}
COMMENTS = {"open": True, "closed": False}
FORMATS = {"markdown": BodyFormat.MARKDOWN, "html": BodyFormat.HTML}
#: What the command says an article now is.
STATE_LABELS = {
    "draft": _lp("article file", "draft"),
    "scheduled": _lp("article file", "scheduled"),
    "published": _lp("article file", "published"),
}

CANNOT_READ = _l("The file cannot be read: it is missing, a folder, or not readable.")
NOT_UTF8 = _l("The file is not UTF-8 text.")
FILE_TOO_BIG = _l("The file is larger than {limit} bytes.")
BAD_YAML = _l("The front matter is not valid YAML ({where}).")
NOT_A_MAPPING = _l("The front matter must be fields, one a line, such as “title: …”.")
NOT_TEXT = _l("“{field}” must be text.")
NOT_NAMES = _l("“{field}” must be a list of names, or names separated by commas.")
FIELD_TOO_LONG = _l("“{field}” can hold at most {max} characters.")
BAD_STATUS = _l("“status” must be draft or publish.")
BAD_COMMENTS = _l("“comments” must be open or closed.")
BAD_FORMAT = _l("“format” must be markdown or html.")
BAD_DATE = _l(
    "“date” must be a date and time such as 2025-03-01 09:30 or 2025-03-01T09:30:00+01:00."
)
NO_AUTHOR = _l("No author: name one with “author:” or with --author.")
UNKNOWN_AUTHOR = _l("There is no account with the username “{username}”.")
NOT_A_WRITER = _l("“{username}” cannot write articles (the role Moderator is for comments only).")
IN_THE_BIN = _l(
    "The article at /{slug}/ is in the bin: restore it first, or choose another address."
)
NOT_A_POST = _l("The address /{slug}/ belongs to a page, not an article.")


class FileRefused(ValueError):
    """A file that cannot be imported, and why, in the site's language."""


class Outcome(enum.StrEnum):
    """What importing a file did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ArticleFile:
    """What a file says, checked: the draft, and what the editor's buttons decide."""

    draft: ArticleDraft
    #: The address it is known by: the one given, else made from the title.
    slug: str
    status: ArticleStatus
    #: Naive UTC; None: now when published, kept when already published.
    date: datetime | None
    #: A username; None: the article's own, or the import's default.
    author: str | None


# Reading


def read_file(path: Path) -> ArticleFile:
    """Read and check one file; raise :class:`FileRefused` saying what is wrong."""
    try:
        with open(path, "rb") as file:
            raw = file.read(FILE_MAX_BYTES + 1)
    except OSError as error:
        raise FileRefused(str(CANNOT_READ)) from error
    if len(raw) > FILE_MAX_BYTES:
        raise FileRefused(FILE_TOO_BIG.format(limit=FILE_MAX_BYTES))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileRefused(str(NOT_UTF8)) from error
    return parse(text)


def parse(text: str) -> ArticleFile:
    """Check a file's text: its front matter and body."""
    text = text.removeprefix("\ufeff").strip()
    handler = frontmatter.YAMLHandler()
    fields: object = {}
    body = text
    if handler.detect(text):
        try:
            front, body = handler.split(text)
            fields = handler.load(front) or {}  # YAML's safe loader
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else "?"
            raise FileRefused(BAD_YAML.format(where=where)) from error
        except ValueError as error:
            raise FileRefused(str(NOT_A_MAPPING)) from error
    if not isinstance(fields, dict):
        raise FileRefused(str(NOT_A_MAPPING))
    body = body.strip()
    title = _text(fields, "title", authoring.TITLE_MAX)
    if not title:
        raise FileRefused(str(messages.TITLE_REQUIRED))
    body_format = _choice(fields, "format", FORMATS, BAD_FORMAT) or BodyFormat.MARKDOWN
    if len(body) > BODY_MAX:
        raise FileRefused(FIELD_TOO_LONG.format(field="body", max=BODY_MAX))
    given = _text(fields, "address", SLUG_MAX) or _text(fields, "slug", SLUG_MAX)
    slug = slugify(given or title)
    if not slug:
        raise FileRefused(str(messages.SLUG_INVALID))
    comments_open = _choice(fields, "comments", COMMENTS, BAD_COMMENTS)
    draft = ArticleDraft(
        title=title,
        slug=slug,
        standfirst=_text(fields, "summary", STANDFIRST_MAX),
        body_source=body,
        categories=_names(fields, "categories"),
        tags=_names(fields, "tags"),
        comments_open=True if comments_open is None else comments_open,
        body_format=body_format,
    )
    return ArticleFile(
        draft=draft,
        slug=slug,
        status=_choice(fields, "status", STATUSES, BAD_STATUS) or ArticleStatus.DRAFT,
        date=_date(fields.get("date")),
        author=_text(fields, "author", 80) or None,
    )


def _text(fields: dict[Any, Any], name: str, limit: int) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FileRefused(NOT_TEXT.format(field=name))
    text = str(value).strip()
    if len(text) > limit:
        raise FileRefused(FIELD_TOO_LONG.format(field=name, max=limit))
    return text


def _names(fields: dict[Any, Any], name: str) -> list[str]:
    """Category or tag names: a YAML list, or one line separated by commas."""
    value = fields.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        names = split_names(value)
    elif isinstance(value, list) and all(
        isinstance(item, str | int | float) and not isinstance(item, bool) for item in value
    ):
        names = unique_names(str(item) for item in value)
    else:
        raise FileRefused(NOT_NAMES.format(field=name))
    if len(", ".join(names)) > TERMS_MAX:
        raise FileRefused(FIELD_TOO_LONG.format(field=name, max=TERMS_MAX))
    return names


def _choice(fields: dict[Any, Any], name: str, choices: dict[str, Any], refused: Any) -> Any:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in choices:
        return choices[value.strip().lower()]
    raise FileRefused(str(refused))


def _date(value: object) -> datetime | None:
    """A date in the front matter, as stored (naive UTC); naive ones are in ``TIMEZONE``."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as error:
            raise FileRefused(str(BAD_DATE)) from error
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise FileRefused(str(BAD_DATE))
    moment = authoring.from_local(value, current_app.config["TIMEZONE"])
    return moment.replace(microsecond=0)


# Importing


def import_file(path: Path, default_author: Moderator | None = None) -> tuple[Outcome, Article]:
    """Import one file: add its article, update it, or leave it as it is.

    Raises :class:`FileRefused` (nothing written) for a file that cannot be.
    """
    wanted = read_file(path)
    article = db.session.scalar(sa.select(Article).where(Article.slug == wanted.slug))
    if article is not None and article.trashed_at is not None:
        raise FileRefused(IN_THE_BIN.format(slug=wanted.slug))
    if article is not None and article.kind != ArticleKind.POST:
        raise FileRefused(NOT_A_POST.format(slug=wanted.slug))
    author = _author(wanted.author, article, default_author)
    if article is not None and _same(article, wanted, author):
        return Outcome.UNCHANGED, article
    if author is None:  # every save is someone's
        raise FileRefused(str(NO_AUTHOR))
    try:
        saved = _save(article, wanted, author)
    except ArticleRefused as error:
        db.session.rollback()
        raise FileRefused(error.message) from error
    return (Outcome.ADDED if article is None else Outcome.UPDATED), saved


def _author(
    username: str | None, article: Article | None, default: Moderator | None
) -> Moderator | None:
    """The account the file names, else the article's own, else the import's default."""
    if username is None:
        if article is not None and article.author is not None:
            return article.author
        return default
    author = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    if author is None:
        raise FileRefused(UNKNOWN_AUTHOR.format(username=username))
    role = Role(author.role) if author.role in set(Role) else None
    if role is None or Capability.WRITE_ARTICLES not in ROLE_CAPABILITIES[role]:
        raise FileRefused(NOT_A_WRITER.format(username=username))
    return author


def _same(article: Article, wanted: ArticleFile, author: Moderator | None) -> bool:
    """Tell whether the article already is what the file says."""
    draft = wanted.draft
    if draft.body_format == BodyFormat.HTML:
        same_body = article.body_format == BodyFormat.HTML and article.body_html == article_to_html(
            draft.body_source
        )
    else:
        same_body = (
            article.body_format == BodyFormat.MARKDOWN
            and (article.body_source or "").strip() == draft.body_source.strip()
        )
    return (
        same_body
        and article.title == " ".join(draft.title.split())
        and article.standfirst == draft.standfirst.strip()
        and _slugs(article, "category") == {slugify(name) for name in draft.categories}
        and _slugs(article, "tag") == {slugify(name) for name in draft.tags}
        and article.comments_open == draft.comments_open
        and article.status == wanted.status
        and (wanted.date is None or article.published_at.replace(microsecond=0) == wanted.date)
        and article.author_id == (author.id if author is not None else None)
    )


def _slugs(article: Article, kind: str) -> set[str]:
    return {term.slug for term in article.terms if term.kind == kind}


def _save(article: Article | None, wanted: ArticleFile, author: Moderator) -> Article:
    """Save through the editor's use cases, as its buttons would."""
    if article is not None:
        article.author = author
    if wanted.status == ArticleStatus.DRAFT:
        if article is not None and wanted.date is not None:
            article.published_at = wanted.date
        saved = authoring.save_draft(article, wanted.draft, author, author=author)
        if article is None and wanted.date is not None:
            saved.published_at = wanted.date  # a draft's date is when it was started
            db.session.commit()
        return saved
    if article is not None and article.status == ArticleStatus.PUBLISH:
        return authoring.update(article, wanted.draft, author, at=wanted.date)
    return authoring.publish(article, wanted.draft, author, at=wanted.date, author=author)


def state_of(article: Article) -> str:
    """Draft, scheduled or published, in today's language."""
    if article.status == ArticleStatus.DRAFT:
        return str(STATE_LABELS["draft"])
    return str(STATE_LABELS["scheduled" if article.published_at > utcnow() else "published"])


# Exporting


def export_articles(folder: Path) -> Iterator[tuple[Article, Path]]:
    """Write each article outside the bin as ``<address>.md`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = db.session.scalars(
        sa.select(Article.id)
        .where(Article.trashed_at.is_(None), Article.kind == ArticleKind.POST)
        .order_by(Article.published_at, Article.id)
    ).all()
    for article_id in ids:
        article = db.session.get_one(Article, article_id)
        path = folder / f"{article.slug}.md"
        path.write_text(dumps(article), encoding="utf-8")
        yield article, path
        db.session.expunge(article)


def dumps(article: Article) -> str:
    """The article as a file: its front matter, then its Markdown (or its HTML)."""
    timezone = ZoneInfo(current_app.config["TIMEZONE"])
    fields: dict[str, object] = {
        "title": article.title,
        "address": article.slug,
        "date": article.published_at.replace(tzinfo=UTC).astimezone(timezone),
        "status": str(article.status),
    }
    if article.author is not None:
        fields["author"] = article.author.username
    if article.standfirst:
        fields["summary"] = article.standfirst
    fields["categories"] = [term.name for term in article.categories]
    fields["tags"] = [term.name for term in article.tags]
    fields["comments"] = "open" if article.comments_open else "closed"
    if article.body_format == BodyFormat.MARKDOWN and article.body_source is not None:
        body = article.body_source
    else:
        fields["format"] = "html"
        body = article.body_html
    post = frontmatter.Post(body.strip())
    post.metadata.update(fields)
    return frontmatter.dumps(post, sort_keys=False) + "\n"

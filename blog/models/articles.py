"""Articles and what authors keep with them: versions, old addresses,
categories and tags.

An article's life (WordPress's words): *Bozza* (``draft``), *Programmato*
(``publish`` with a date still to come), *Pubblicato* (``publish`` with its
date past), and *Cestino* (``trashed_at`` set, whatever the status was, so
that restoring it gives back what it was). A scheduled article needs no job
to appear: every public query asks for ``publish`` and a date already past
(:meth:`Article.public`), so it appears on its own at its time, on every host.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.extensions import Model
from blog.models.accounts import Moderator
from blog.models.clock import utcnow
from blog.models.media import MediaFile

if TYPE_CHECKING:
    from blog.models.comments import Comment


class ArticleStatus(enum.StrEnum):
    """What an author has decided about an article (its date decides the rest)."""

    DRAFT = "draft"
    PUBLISH = "publish"


class ArticleKind(enum.StrEnum):
    """An article (dated, in the lists and feeds) or a page ("Chi siamo")."""

    POST = "post"
    PAGE = "page"


class BodyFormat(enum.StrEnum):
    """What ``Article.body_source`` is written in."""

    #: Written in the editor or imported from a Markdown file.
    MARKDOWN = "markdown"
    #: The shipped and imported articles: ``body_html`` is all there is.
    HTML = "html"


article_term = sa.Table(
    "article_term",
    Model.metadata,
    sa.Column("article_id", sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "term_id", sa.ForeignKey("term.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Article(Model):
    """A blog article (or page), in whichever state of its life."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    # The summary ("Riassunto"): the standfirst under the title, the
    # description and Open Graph text.
    standfirst: Mapped[str] = mapped_column(sa.Text, default="")
    # What readers see, sanitized when written (blog/comments/sanitize.py).
    body_html: Mapped[str] = mapped_column(sa.Text)
    # What the author wrote, when it was written here (Markdown); None for
    # the shipped and imported articles, whose HTML is their source.
    body_source: Mapped[str | None] = mapped_column(sa.Text)
    body_format: Mapped[BodyFormat] = mapped_column(
        sa.String(16), default=BodyFormat.HTML, server_default=BodyFormat.HTML.value
    )
    # A draft's date is when it was started; a published or scheduled
    # article's is when readers see it from.
    published_at: Mapped[datetime] = mapped_column(sa.DateTime, index=True)
    status: Mapped[ArticleStatus] = mapped_column(
        sa.String(16), default=ArticleStatus.PUBLISH, server_default=ArticleStatus.PUBLISH.value
    )
    kind: Mapped[ArticleKind] = mapped_column(
        sa.String(16), default=ArticleKind.POST, server_default=ArticleKind.POST.value
    )
    # Set by "Sposta nel cestino", cleared by "Ripristina".
    trashed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime | None] = mapped_column(sa.DateTime, default=utcnow)
    # The image shown with the article on the index, its page and its
    # Open Graph tags; deleting the image leaves the article without one.
    featured_image_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_file.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    comments_open: Mapped[bool] = mapped_column(default=True)
    # Derived at write time so that no page has to count rows.
    approved_comment_count: Mapped[int] = mapped_column(default=0)
    # Threads (a top-level comment and its replies) with an approved comment:
    # what the comment pages are counted in.
    approved_thread_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The post's id in the WordPress export it came from: what a second
    # import of the same file recognises it by.
    wp_post_id: Mapped[int | None] = mapped_column(unique=True)
    # Bumped by every change that alters what readers see of the article or
    # its comments (and by any update of this row: see below).
    comment_version: Mapped[int] = mapped_column(default=0)

    author: Mapped[Moderator | None] = relationship()
    featured_image: Mapped[MediaFile | None] = relationship()
    comments: Mapped[list[Comment]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )
    terms: Mapped[list[Term]] = relationship(
        secondary=article_term,
        back_populates="articles",
        # The name, then the kind: a category and a tag may share a name.
        order_by=lambda: [Term.name, Term.kind, Term.id],
    )
    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ArticleRevision.id.desc()",
    )

    @classmethod
    def public(cls, now: datetime | sa.ColumnElement | None = None) -> sa.ColumnElement[bool]:
        """What readers, feeds, the sitemap and search may see: published,
        its time come, not in the bin. ``now`` defaults to this moment."""
        return sa.and_(
            cls.status == ArticleStatus.PUBLISH.value,
            cls.trashed_at.is_(None),
            cls.published_at <= (utcnow() if now is None else now),
        )

    @property
    def is_public(self) -> bool:
        return (
            self.status == ArticleStatus.PUBLISH
            and self.trashed_at is None
            and self.published_at <= utcnow()
        )

    @property
    def is_scheduled(self) -> bool:
        return (
            self.status == ArticleStatus.PUBLISH
            and self.trashed_at is None
            and self.published_at > utcnow()
        )

    @property
    def categories(self) -> list[Term]:
        return [term for term in self.terms if term.kind == TermKind.CATEGORY]

    @property
    def tags(self) -> list[Term]:
        return [term for term in self.terms if term.kind == TermKind.TAG]

    def __repr__(self) -> str:
        return f"<Article {self.slug!r}>"


@sa.event.listens_for(Article, "before_update")
def _bump_article_version(mapper: sa.orm.Mapper, _connection: object, article: Article) -> None:
    """Any change to an article row is a change readers may see: a new version."""
    state: sa.orm.InstanceState[Article] = sa.inspect(article)
    changed = {
        attr.key for attr in mapper.column_attrs if state.attrs[attr.key].history.has_changes()
    }
    if changed and "comment_version" not in changed:
        article.comment_version = Article.comment_version + 1


class ArticleRevision(Model):
    """One saved version of an article: who saved it, when, and what it said.

    Every save ("Salva bozza", "Pubblica", "Aggiorna") adds one, so earlier
    versions can be compared and restored.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    editor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    title: Mapped[str] = mapped_column(sa.String(300))
    slug: Mapped[str] = mapped_column(sa.String(200))
    standfirst: Mapped[str] = mapped_column(sa.Text, default="")
    body_source: Mapped[str | None] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)

    article: Mapped[Article] = relationship(back_populates="revisions")
    editor: Mapped[Moderator | None] = relationship()


class ArticleRedirect(Model):
    """An address a published article had: it answers 301 to the current one, for good."""

    old_slug: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TermKind(enum.StrEnum):
    CATEGORY = "category"
    TAG = "tag"


class Term(Model):
    """A category ("Categorie", at ``/categoria/<slug>/``) or a tag (``/tag/<slug>/``)."""

    __table_args__ = (sa.UniqueConstraint("kind", "slug", name="uq_term_kind_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TermKind] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    articles: Mapped[list[Article]] = relationship(secondary=article_term, back_populates="terms")

    def __repr__(self) -> str:
        return f"<Term {self.kind}:{self.slug!r}>"

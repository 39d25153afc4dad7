"""An article's life in the domain (blog/articles/authoring.py): drafts,
publishing, scheduling in TIMEZONE, updates, the bin, revisions, addresses."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from blog import signals
from blog.articles import authoring
from blog.articles.authoring import ArticleDraft, ArticleRefused
from blog.extensions import db
from blog.models import (
    Article,
    ArticleRedirect,
    ArticleRevision,
    ArticleStatus,
    BodyFormat,
    Role,
)
from blog.models.clock import utcnow
from tests.helpers import add_moderator

NOW = datetime(2026, 3, 10, 9, 0)  # naive UTC: 10:00 in Rome (CET)


@pytest.fixture
def ctx(app: Flask):
    with app.app_context():
        yield


@pytest.fixture
def writer(ctx):
    author = add_moderator("bruno", display_name="Bruno l'autore")
    author.role = Role.AUTHOR
    db.session.commit()
    return author


@pytest.fixture
def announced():
    """What the domain announced, as (signal name, article id)."""
    heard: list[tuple[str, int]] = []

    def listener(name):
        def receive(_sender, article):
            heard.append((name, article.id))

        return receive

    receivers = {
        name: listener(name) for name in ("article_published", "article_updated", "article_trashed")
    }
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver)
    yield heard
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def revisions(article: Article) -> list[ArticleRevision]:
    return list(
        db.session.scalars(
            sa.select(ArticleRevision)
            .where(ArticleRevision.article_id == article.id)
            .order_by(ArticleRevision.id)
        )
    )


def test_a_draft_is_saved_with_a_revision_and_an_address_from_the_title(writer, announced):
    draft = ArticleDraft(
        title="Perché l'Alfa", body_source="Testo **forte**.", tags=["Motori", "motori", "Alfa"]
    )
    article = authoring.save_draft(None, draft, writer, now=NOW)

    stored = db.session.get(Article, article.id)
    assert stored.slug == "perche-lalfa"
    assert stored.status == ArticleStatus.DRAFT
    assert stored.author_id == writer.id
    assert stored.body_source == "Testo **forte**."
    assert stored.body_format == BodyFormat.MARKDOWN
    assert "Testo" in stored.body_html
    assert stored.updated_at == NOW
    assert [tag.name for tag in stored.tags] == ["Alfa", "Motori"]
    assert not stored.is_public
    (revision,) = revisions(stored)
    assert (revision.editor_id, revision.created_at, revision.title) == (
        writer.id,
        NOW,
        "Perché l'Alfa",
    )
    assert revision.body_source == "Testo **forte**."
    assert announced == []


def test_publish_now_makes_it_public_and_announces_it(writer, announced):
    article = authoring.save_draft(None, ArticleDraft(title="Uno"), writer, now=NOW)
    authoring.publish(article, ArticleDraft(title="Uno", body_source="ciao"), writer)

    assert article.is_public
    assert db.session.scalar(sa.select(Article.id).where(Article.public())) is not None
    assert announced == [("article_published", article.id)]
    assert len(revisions(article)) == 2


def test_schedule_takes_a_time_typed_in_the_time_zone(writer, announced):
    local = datetime(2026, 3, 10, 12, 30)  # Rome, CET: 11:30 UTC
    at = authoring.from_local(local, "Europe/Rome")
    assert at == datetime(2026, 3, 10, 11, 30)
    summer = authoring.from_local(datetime(2026, 7, 1, 12, 30), "Europe/Rome")
    assert summer == datetime(2026, 7, 1, 10, 30)

    article = authoring.schedule(None, ArticleDraft(title="Domani"), writer, at, now=NOW)

    assert article.status == ArticleStatus.PUBLISH
    assert article.published_at == at
    public = sa.select(Article.id).where(Article.id == article.id, Article.public(now=NOW))
    assert db.session.scalar(public) is None
    later = sa.select(Article.id).where(Article.id == article.id, Article.public(now=at))
    assert db.session.scalar(later) == article.id
    assert announced == [("article_published", article.id)]


@pytest.mark.parametrize("minutes", [0, -1, -60 * 24])
def test_a_schedule_not_in_the_future_is_refused(writer, minutes):
    with pytest.raises(ArticleRefused) as refused:
        authoring.schedule(
            None, ArticleDraft(title="Ieri"), writer, NOW + timedelta(minutes=minutes), now=NOW
        )
    assert refused.value.field == "publish_at"
    assert "futur" in refused.value.message
    assert db.session.scalar(sa.select(Article.id).where(Article.title == "Ieri")) is None


def test_update_keeps_every_earlier_version(writer, announced):
    article = authoring.publish(None, ArticleDraft(title="Uno", body_source="prima"), writer)
    editor = add_moderator("carla", display_name="Carla")
    authoring.update(article, ArticleDraft(title="Uno", body_source="dopo"), editor)

    assert article.body_source == "dopo"
    assert article.status == ArticleStatus.PUBLISH
    assert [r.body_source for r in revisions(article)] == ["prima", "dopo"]
    assert [r.editor_id for r in revisions(article)] == [writer.id, editor.id]
    assert announced[-1] == ("article_updated", article.id)


def test_update_refuses_a_draft(writer):
    article = authoring.save_draft(None, ArticleDraft(title="Bozza"), writer)
    with pytest.raises(ArticleRefused):
        authoring.update(article, ArticleDraft(title="Bozza"), writer)


def test_restoring_a_revision_writes_a_new_one(writer, announced):
    article = authoring.publish(
        None, ArticleDraft(title="Uno", standfirst="r1", body_source="prima"), writer
    )
    first = revisions(article)[0]
    authoring.update(article, ArticleDraft(title="Due", body_source="dopo"), writer)

    authoring.restore_revision(article, first, writer)

    stored = db.session.get(Article, article.id)
    assert (stored.title, stored.standfirst, stored.body_source) == ("Uno", "r1", "prima")
    assert [r.title for r in revisions(article)] == ["Uno", "Due", "Uno"]
    assert announced[-1] == ("article_updated", article.id)


def test_changing_a_public_address_leaves_a_redirect(writer):
    article = authoring.publish(None, ArticleDraft(title="Vecchio titolo"), writer)
    authoring.update(article, ArticleDraft(title="Vecchio titolo", slug="nuovo"), writer)

    assert article.slug == "nuovo"
    redirect = db.session.get(ArticleRedirect, "vecchio-titolo")
    assert redirect is not None and redirect.article_id == article.id

    # Back to the old address: the redirect would point at itself, so it goes.
    authoring.update(article, ArticleDraft(title="x", slug="vecchio-titolo"), writer)
    assert db.session.get(ArticleRedirect, "vecchio-titolo") is None
    assert db.session.get(ArticleRedirect, "nuovo").article_id == article.id


def test_a_draft_changes_address_without_a_redirect(writer):
    article = authoring.save_draft(None, ArticleDraft(title="Prima"), writer)
    authoring.save_draft(article, ArticleDraft(title="Prima", slug="seconda"), writer)
    assert db.session.scalars(sa.select(ArticleRedirect)).all() == []


def test_a_scheduled_article_changes_address_without_a_redirect(writer):
    article = authoring.schedule(
        None, ArticleDraft(title="Presto"), writer, utcnow() + timedelta(days=1)
    )
    authoring.update(article, ArticleDraft(title="Presto", slug="subito"), writer)
    assert db.session.scalars(sa.select(ArticleRedirect)).all() == []


def test_addresses_taken_or_reserved_are_refused(writer):
    one = authoring.publish(None, ArticleDraft(title="Uno"), writer)
    authoring.update(one, ArticleDraft(title="Uno", slug="uno-nuovo"), writer)
    other = authoring.save_draft(None, ArticleDraft(title="Altro"), writer)

    for slug in ("uno-nuovo", "uno", "moderation", "feed", "static"):
        with pytest.raises(ArticleRefused) as refused:
            authoring.save_draft(other, ArticleDraft(title="Altro", slug=slug), writer)
        assert refused.value.field == "slug"
    db.session.rollback()
    assert db.session.get(Article, other.id).slug == "altro"


def test_an_address_from_the_title_is_numbered_when_taken(writer):
    first = authoring.save_draft(None, ArticleDraft(title="Ciao"), writer)
    second = authoring.save_draft(None, ArticleDraft(title="Ciao"), writer)
    assert (first.slug, second.slug) == ("ciao", "ciao-2")


def test_a_typed_address_is_made_into_a_slug(writer):
    article = authoring.save_draft(None, ArticleDraft(title="x", slug="Perché Così"), writer)
    assert article.slug == "perche-cosi"


def test_a_title_is_required(writer):
    with pytest.raises(ArticleRefused) as refused:
        authoring.save_draft(None, ArticleDraft(title="  "), writer)
    assert refused.value.field == "title"


def test_the_bin_and_back(writer, announced):
    article = authoring.publish(None, ArticleDraft(title="Uno"), writer)
    authoring.trash(article, writer)
    assert not article.is_public
    assert article.status == ArticleStatus.PUBLISH
    authoring.restore(article, writer)
    assert article.is_public
    assert [name for name, _ in announced] == [
        "article_published",
        "article_trashed",
        "article_published",
    ]


def test_autosave_keeps_drafts_only_and_coalesces(writer):
    article = authoring.save_draft(None, ArticleDraft(title="Uno"), writer, now=NOW)
    authoring.autosave(
        article, ArticleDraft(title="Uno", body_source="a"), writer, now=NOW + timedelta(seconds=5)
    )
    authoring.autosave(
        article, ArticleDraft(title="Uno", body_source="ab"), writer, now=NOW + timedelta(seconds=9)
    )
    assert [r.body_source for r in revisions(article)] == ["ab"]

    authoring.publish(article, ArticleDraft(title="Uno", body_source="ab"), writer)
    with pytest.raises(ArticleRefused):
        authoring.autosave(article, ArticleDraft(title="Uno", body_source="live?"), writer)
    db.session.rollback()
    assert db.session.get(Article, article.id).body_source == "ab"

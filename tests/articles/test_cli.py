"""``flask init-db``: migrations plus the seed article, idempotent."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from blog import create_app
from blog.articles import search_index
from blog.extensions import db
from blog.models import Article
from tests.helpers import SLUG, test_database_url


@pytest.fixture
def empty_app(tmp_path: Any):
    """An app whose database has no tables at all, as on a fresh machine."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": test_database_url(tmp_path),
        }
    )
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    yield app
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def snapshot() -> list[tuple]:
    return [
        (a.slug, a.title, a.body_html, a.published_at)
        for a in db.session.scalars(sa.select(Article).order_by(Article.id))
    ]


def test_init_db_twice_creates_once_and_changes_nothing(empty_app):
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert "Articoli aggiunti: 1" in first.output
    with empty_app.app_context():
        before = snapshot()
        assert [row[0] for row in before] == [SLUG]
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0, second.output
    assert "Articoli aggiunti" not in second.output
    assert "Database pronto." in second.output
    with empty_app.app_context():
        assert snapshot() == before


def test_migrations_match_the_models(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                # As the app's migrations see it: the search indexes are not models.
                "include_object": search_index.include_object,
            },
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []

"""WordPress import and export of authored articles: their authors, categories,
tags and status, and the round trip through WordPress's format."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import (
    Article,
    ArticleStatus,
    BodyFormat,
    Moderator,
    Role,
    Term,
    TermKind,
    utcnow,
)
from tests.helpers import add_comment, add_moderator, comments_in_db, fresh_blog

CORPUS = (
    Path(__file__).resolve().parents[3] / "shared" / "corpora" / "wordpress-theme-unit-test.xml"
)
WP = "http://wordpress.org/export/1.2/"


def import_file(runner, path: Path) -> str:
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def export_file(runner, path: Path) -> Path:
    result = runner.invoke(args=["export-wxr", str(path)])
    assert result.exit_code == 0, result.output
    return path


def author(login: str, display_name: str, email: str = "") -> str:
    return f"""
  <wp:author>
    <wp:author_id>3</wp:author_id>
    <wp:author_login><![CDATA[{login}]]></wp:author_login>
    <wp:author_email>{escape(email)}</wp:author_email>
    <wp:author_display_name><![CDATA[{display_name}]]></wp:author_display_name>
    <wp:author_first_name></wp:author_first_name>
    <wp:author_last_name></wp:author_last_name>
  </wp:author>"""


def post(
    wp_id: int,
    slug: str,
    status: str = "publish",
    *,
    title: str = "",
    creator: str = "giulia",
    date: str = "2024-05-10 10:30:00",
    extra: str = "",
) -> str:
    """One <item> as WordPress writes it, with ``extra`` after its fields."""
    return f"""
  <item>
    <title>{escape(title or slug.title())}</title>
    <dc:creator><![CDATA[{creator}]]></dc:creator>
    <content:encoded><![CDATA[<p>Il testo di {slug}.</p>]]></content:encoded>
    <wp:post_id>{wp_id}</wp:post_id>
    <wp:post_date>{date}</wp:post_date>
    <wp:post_date_gmt>{date}</wp:post_date_gmt>
    <wp:comment_status>open</wp:comment_status>
    <wp:post_name>{escape(slug)}</wp:post_name>
    <wp:status>{status}</wp:status>
    <wp:post_type>post</wp:post_type>
    <wp:post_password></wp:post_password>{extra}
  </item>"""


def meta(key: str, value: str) -> str:
    return (
        f"<wp:postmeta><wp:meta_key>{key}</wp:meta_key>"
        f"<wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:postmeta>"
    )


def write_wxr(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "wordpress.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f' xmlns:wp="{WP}">\n'
        "<channel><title>Un blog</title><wp:wxr_version>1.2</wp:wxr_version>"
        + "".join(entries)
        + "</channel></rss>\n",
        encoding="utf-8",
    )
    return path


def article(slug: str) -> Article:
    found = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    assert found is not None, slug
    return found


# Authors


def test_authors_become_staff_who_cannot_sign_in_until_given_a_password(
    app, runner, client, auth, tmp_path
):
    wxr = write_wxr(
        tmp_path,
        author("giulia", "Giulia Rossi", "giulia@example.it"),
        author("marco", "Marco"),
        post(10, "primo", creator="giulia"),
        post(11, "secondo", creator="marco"),
    )
    output = import_file(runner, wxr)
    assert re.search(r"Autori importati, che non possono ancora accedere\s+2\n", output), output
    assert "non possono accedere finché un amministratore" in output
    with app.app_context():
        giulia = db.session.scalar(sa.select(Moderator).where(Moderator.username == "giulia"))
        assert (giulia.display_name, giulia.email, giulia.role) == (
            "Giulia Rossi",
            "giulia@example.it",
            Role.AUTHOR,
        )
        assert giulia.active is False
        assert not giulia.check_password("") and not giulia.check_password(giulia.password_hash)
        assert article("primo").author.username == "giulia"
        assert article("secondo").author.username == "marco"
    # No password opens the account, not even an empty one.
    for password in ("", "giulia", "una password molto lunga"):
        response = auth.login("giulia", password)
        assert response.status_code != 303
    again = import_file(runner, wxr)
    assert re.search(r"Autori già presenti\s+2\n", again), again
    assert "non possono accedere finché" not in again
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Moderator.id))) == 2


def test_an_author_whose_login_exists_is_that_account_unchanged(app, runner, tmp_path):
    with app.app_context():
        add_moderator("giulia", display_name="Giulia qui")
    wxr = write_wxr(tmp_path, author("giulia", "Giulia là"), post(10, "primo"))
    output = import_file(runner, wxr)
    assert re.search(r"Autori già presenti\s+1\n", output), output
    with app.app_context():
        giulia = article("primo").author
        assert (giulia.username, giulia.display_name, giulia.active) == (
            "giulia",
            "Giulia qui",
            True,
        )
        assert giulia.role == Role.MODERATOR
        assert giulia.check_password("una password molto lunga")


def test_a_creator_the_file_does_not_list_is_no_account(app, runner, tmp_path):
    wxr = write_wxr(tmp_path, author("giulia", "Giulia"), post(10, "primo", creator=">giulia"))
    import_file(runner, wxr)
    with app.app_context():
        assert article("primo").author is None
        assert db.session.scalars(sa.select(Moderator.username)).all() == ["giulia"]


def test_a_file_that_lists_no_authors_names_them_by_creator(app, runner, tmp_path):
    """WXR 1.0, and hand-written files, have no list of authors."""
    import_file(runner, write_wxr(tmp_path, post(10, "primo", creator="redazione")))
    with app.app_context():
        redazione = article("primo").author
        assert (redazione.username, redazione.display_name) == ("redazione", "redazione")
        assert (redazione.role, redazione.active) == (Role.AUTHOR, False)


# Categories and tags


def categories(*pairs: tuple[str, str, str]) -> str:
    return "".join(
        f'\n    <category domain="{domain}" nicename="{nicename}"><![CDATA[{name}]]></category>'
        for domain, nicename, name in pairs
    )


def test_categories_and_tags_keep_their_names_and_addresses(app, runner, tmp_path):
    terms = categories(
        ("category", "motori", "Motori"),
        ("category", "alfa-romeo", "Alfa Romeo"),
        ("post_tag", "tonale-2", "Tonale"),  # WordPress's own address kept
        ("post_tag", "%ce%b1%ce%b2", "Perché sì"),  # not an address of ours: from the name
        ("nav_menu", "menu", "Il menu"),
    )
    channel_category = """
  <wp:category>
    <wp:term_id>7</wp:term_id>
    <wp:category_nicename>vuota</wp:category_nicename>
    <wp:category_parent></wp:category_parent>
    <wp:cat_name><![CDATA[Ancora vuota]]></wp:cat_name>
    <wp:category_description><![CDATA[Per dopo.]]></wp:category_description>
  </wp:category>"""
    wxr = write_wxr(
        tmp_path,
        author("giulia", "Giulia"),
        channel_category,
        post(10, "primo", extra=terms),
        post(11, "secondo", extra=categories(("category", "motori", "Motori"))),
    )
    output = import_file(runner, wxr)
    assert re.search(r"Categorie e tag importati\s+5\n", output), output
    with app.app_context():
        primo = article("primo")
        assert [(t.kind, t.slug, t.name) for t in primo.categories] == [
            ("category", "alfa-romeo", "Alfa Romeo"),
            ("category", "motori", "Motori"),
        ]
        assert [(t.slug, t.name) for t in primo.tags] == [
            ("perche-si", "Perché sì"),
            ("tonale-2", "Tonale"),
        ]
        assert [t.slug for t in article("secondo").terms] == ["motori"]
        empty = db.session.scalar(sa.select(Term).where(Term.slug == "vuota"))
        assert (empty.kind, empty.name, empty.description) == (
            "category",
            "Ancora vuota",
            "Per dopo.",
        )
    again = import_file(runner, wxr)
    assert re.search(r"Categorie e tag importati\s+0\n", again), again
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Term.id))) == 5


# Status


def test_each_status_becomes_its_place_in_an_articles_life(app, runner, client, tmp_path):
    future = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    binned = meta("_wp_trash_meta_status", "publish") + meta("_wp_trash_meta_time", "1715336400")
    binned += meta("_wp_desired_post_slug", "vecchio")
    wxr = write_wxr(
        tmp_path,
        author("giulia", "Giulia"),
        post(1, "pubblicato"),
        post(2, "programmato", "future", date=future),
        post(3, "scaduto", "future"),  # its time came while WordPress was off
        post(4, "", "draft", title="Una bozza", date="0000-00-00 00:00:00"),
        post(5, "in-attesa", "pending"),
        post(6, "privato", "private"),
        post(7, "vecchio__trashed", "trash", extra=binned),
        post(8, "buttato", "trash"),
        post(9, "auto", "auto-draft"),
        post(10, "", "draft", title="Pubblicato", date="0000-00-00 00:00:00"),
    )
    output = import_file(runner, wxr)
    for label, count in (("pubblicati", 2), ("programmati", 1), ("bozze", 4), ("nel cestino", 2)):
        assert re.search(rf"\n  {label}\s+{count}\n", output), output
    assert "Non pubblicato: «Auto» (bozza automatica)" in output
    with app.app_context():
        states = {
            a.slug: (a.status, a.trashed_at is not None)
            for a in db.session.scalars(sa.select(Article).where(Article.wp_post_id.is_not(None)))
        }
        assert states == {
            "pubblicato": ("publish", False),
            "programmato": ("publish", False),
            "scaduto": ("publish", False),
            "una-bozza": ("draft", False),
            "in-attesa": ("draft", False),
            "privato": ("draft", False),
            "vecchio": ("publish", True),
            "buttato": ("draft", True),
            # A draft with no address, whose title's address is taken.
            "pubblicato-2": ("draft", False),
        }
        assert article("programmato").is_scheduled
        assert article("vecchio").trashed_at.isoformat() == "2024-05-10T10:20:00"
        assert article("una-bozza").published_at <= utcnow()
    assert client.get("/pubblicato/").status_code == 200
    assert client.get("/scaduto/").status_code == 200
    for slug in ("programmato", "una-bozza", "in-attesa", "privato", "vecchio", "buttato"):
        assert client.get(f"/{slug}/").status_code == 404, slug


# Round trips


def snapshot(app) -> dict:
    """What a blog holds of its articles, authors, terms and comments, by name."""
    with app.app_context():
        articles = [
            (
                a.slug,
                a.title,
                a.standfirst,
                a.body_html,
                a.body_source,
                a.body_format,
                a.published_at,
                a.status,
                a.trashed_at,
                a.comments_open,
                a.author.username if a.author else None,
                [(t.kind, t.slug, t.name) for t in a.terms],
            )
            for a in db.session.scalars(sa.select(Article).order_by(Article.slug))
        ]
        authors = db.session.execute(
            sa.select(Moderator.username, Moderator.display_name, Moderator.email)
            .where(Moderator.id.in_(sa.select(Article.author_id)))
            .order_by(Moderator.username)
        ).all()
        terms = db.session.execute(
            sa.select(Term.kind, Term.slug, Term.name, Term.description).order_by(
                Term.kind, Term.slug
            )
        ).all()
        by_id = {c.id: c for c in comments_in_db()}
        comments = sorted(
            (
                c.article.slug,
                c.author,
                c.email,
                c.created_at.replace(microsecond=0),
                c.body,
                c.body_html,
                c.status,
                by_id[c.parent_id].body if c.parent_id else None,
            )
            for c in by_id.values()
        )
        return {
            "articles": articles,
            "authors": [tuple(row) for row in authors],
            "terms": [tuple(row) for row in terms],
            "comments": comments,
        }


def comparable(path: Path) -> str:
    """An export without what differs between two blogs by nature: the time it
    was written, and the ids of accounts and terms in each database."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<pubDate>[^<]*</pubDate><language>", "<language>", text, count=1)
    return re.sub(r"<wp:(author_id|term_id)>\d+</wp:\1>", "", text)


def authored_blog(app) -> None:
    """Articles of every kind, by two authors, with categories, tags and comments."""
    from blog.articles.terms import terms_named

    with app.app_context():
        giulia = add_moderator("giulia", display_name="Giulia Rossi", email="giulia@example.it")
        giulia.role = Role.AUTHOR
        marco = add_moderator("marco", display_name="Marco")
        marco.role = Role.EDITOR
        now = utcnow().replace(microsecond=0)
        motori = terms_named(TermKind.CATEGORY, ["Motori"])
        tags = terms_named(TermKind.TAG, ["Alfa Romeo", "Perché sì"])
        db.session.add_all(
            [
                Article(
                    slug="scritto-in-markdown",
                    title="Scritto in Markdown",
                    standfirst="Il riassunto.",
                    body_source="## Un titolo\n\nUn *testo* con [un link](https://example.it/).",
                    body_html=(
                        "<h2>Un titolo</h2>\n<p>Un <em>testo</em> con "
                        '<a href="https://example.it/">un link</a>.</p>'
                    ),
                    body_format=BodyFormat.MARKDOWN,
                    published_at=now - timedelta(days=2),
                    author=giulia,
                    terms=motori + tags,
                ),
                Article(
                    slug="una-bozza",
                    title="Una bozza",
                    body_html="<p>Non ancora.</p>",
                    status=ArticleStatus.DRAFT,
                    published_at=now - timedelta(hours=1),
                    author=giulia,
                    terms=tags[:1],
                ),
                Article(
                    slug="domani",
                    title="Domani",
                    body_html="<p>Programmato.</p>",
                    published_at=now + timedelta(days=1),
                    author=marco,
                    comments_open=False,
                ),
                Article(
                    slug="buttato",
                    title="Buttato",
                    body_html="<p>Nel cestino.</p>",
                    published_at=now - timedelta(days=5),
                    trashed_at=now - timedelta(days=1),
                    author=marco,
                    terms=motori,
                ),
            ]
        )
        db.session.add(Term(kind=TermKind.TAG, name="Vuoto", slug="vuoto", description="Mai usato"))
        db.session.commit()
        first = add_comment(comment="Un commento.")
        add_comment(comment="Una risposta.", parent=first)
        moved = add_comment(comment="Un commento all'articolo di Giulia.")
        moved.article_id = article("scritto-in-markdown").id
        db.session.commit()


def test_export_then_import_into_an_empty_blog_then_export_gives_the_same(
    app, runner, app_config, tmp_path
):
    authored_blog(app)
    first = export_file(runner, tmp_path / "first.xml")
    original = snapshot(app)
    assert len(original["articles"]) == 5 and len(original["authors"]) == 2
    with fresh_blog(app_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'b.db'}") as blog:
        output = import_file(blog.test_cli_runner(), first)
        assert re.search(r"Autori importati, che non possono ancora accedere\s+2\n", output)
        assert snapshot(blog) == original
        second = export_file(blog.test_cli_runner(), tmp_path / "second.xml")
        with blog.app_context():
            assert not any(db.session.scalars(sa.select(Moderator.active)))
    assert comparable(second) == comparable(first)


@pytest.mark.skipif(not CORPUS.exists(), reason="needs ../shared/corpora (CI has it)")
def test_the_theme_unit_test_export_brings_its_authors_categories_and_tags(
    app, runner, app_config, tmp_path
):
    output = import_file(runner, CORPUS)
    assert re.search(r"Autori importati, che non possono ancora accedere\s+2\n", output), output
    with app.app_context():
        authors = db.session.execute(
            sa.select(Moderator.username, Moderator.display_name, Moderator.role).order_by(
                Moderator.username
            )
        ).all()
        assert [tuple(row) for row in authors] == [
            ("themedemos", "Theme Buster", "author"),
            ("themereviewteam", "Theme Reviewer", "author"),
        ]
        comments = article("template-comments")
        assert comments.author.username == "themedemos"
        assert [t.slug for t in comments.categories] == ["classic", "template-2", "uncategorized"]
        assert [t.slug for t in comments.tags] == ["comments-2", "template"]
        assert len(article("edge-case-many-tags").tags) == 45
        assert len(article("edge-case-many-categories").categories) == 63
        # Its creator, ">themereviewteam", is none of the file's authors.
        assert article("block-category-common").author is None
        kinds = dict(
            db.session.execute(sa.select(Term.kind, sa.func.count()).group_by(Term.kind)).all()
        )
        assert kinds == {"category": 68, "tag": 114}
        assert article("draft").status == ArticleStatus.DRAFT
        assert article("draft").categories[0].slug == "classic"
    again = import_file(runner, CORPUS)
    assert re.search(r"Autori già presenti\s+2\n", again), again
    assert re.search(r"Categorie e tag importati\s+0\n", again), again
    # And through our own export into an empty blog, the same.
    original = snapshot(app)
    exported = export_file(runner, tmp_path / "export.xml")
    with fresh_blog(app_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'b.db'}") as blog:
        import_file(blog.test_cli_runner(), exported)
        assert snapshot(blog) == original

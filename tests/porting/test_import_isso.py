"""Isso import, from a database Isso 0.14 itself wrote (benchmarks/isso_fixture.py)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus
from tests.helpers import ARTICLE_URL, SLUG, comments_in_db, fresh_blog, soup, text_of

FIXTURE = Path(__file__).parents[1] / "fixtures" / "isso.db"


def import_file(runner, path: Path = FIXTURE, *options: str) -> str:
    result = runner.invoke(args=["import-isso", str(path), *options])
    assert result.exit_code == 0, result.output
    return result.output


def structure() -> dict[str, tuple[str | None, str]]:
    """Each comment by Isso id: its parent's Isso id and its status."""
    comments = comments_in_db()
    by_id = {comment.id: comment for comment in comments}
    return {
        comment.import_id: (
            by_id[comment.parent_id].import_id if comment.parent_id else None,
            comment.status.value,
        )
        for comment in comments
    }


# Isso files a reply to a reply under the top-level comment (3 under 1).
EXPECTED = {
    "1": (None, "approved"),
    "2": ("1", "approved"),
    "3": ("1", "approved"),
    "4": (None, "approved"),
    "5": (None, "trash"),  # deleted while it had a reply: mode 4
    "6": ("5", "approved"),
    "8": (None, "pending"),  # posted with moderation on: mode 2
    "9": ("1", "pending"),
}


def test_threads_statuses_and_the_report(app, runner):
    output = import_file(runner)
    for label, count in (
        ("Articoli già presenti", 1),
        ("Discussioni senza un articolo corrispondente", 1),
        ("Commenti importati", 8),
        ("  commenti approved", 5),
        ("  commenti pending", 2),
        ("  commenti trash", 1),
        ("Commenti di discussioni senza un articolo, saltati", 1),
    ):
        assert re.search(rf"{re.escape(label)}\s+{count}\n", output), (label, output)
    assert "Nessun articolo per: /una-pagina-che-non-esiste-qui/" in output
    with app.app_context():
        assert structure() == EXPECTED
        giulia = next(c for c in comments_in_db() if c.import_id == "1")
        assert (giulia.author, giulia.email, giulia.url, giulia.ip_address) == (
            "Giulia",
            "giulia@example.it",
            "https://giulia.example.it",
            "127.0.0.0",
        )
        assert giulia.created_at.year >= 2024
        tom = next(c for c in comments_in_db() if c.import_id == "3")
        assert tom.author == "Tom & Jerry <tj>"  # Isso stored it escaped
        article = db.session.scalar(sa.select(Article).where(Article.slug == SLUG))
        assert article.approved_comment_count == 5


def test_markdown_is_rendered_then_sanitized(app, runner):
    import_file(runner)
    with app.app_context():
        by_isso = {c.import_id: c for c in comments_in_db()}
        assert by_isso["1"].body_html == (
            "<p>Primo commento, con <strong>grassetto</strong>, <em>corsivo</em> e un "
            '<a href="https://example.it/pagina" rel="nofollow ugc noopener">link</a>.</p>\n'
            "<p>Un secondo paragrafo.</p>"
        )
        hostile = by_isso["4"].body_html
        assert "Testo con" in hostile
        for bad in ("<script", "<img", "onerror", 'href="javascript'):
            assert bad not in hostile


def test_readers_and_moderators_see_the_imported_comments(app, runner, client, logged_in):
    import_file(runner)
    page = soup(client.get(ARTICLE_URL))
    giulia = page.find(string="Giulia").find_parent("li")
    assert "Rispondo a Giulia." in text_of(giulia)
    text = text_of(page)
    assert "Tom & Jerry <tj>" in text
    assert "In attesa di moderazione." not in text
    assert "Rispondo a un commento poi cancellato." in text  # its parent is in the trash
    pending = text_of(soup(logged_in.get("/moderation/?status=pending")))
    assert "In attesa di moderazione." in pending and "Una risposta in attesa." in pending


def test_running_the_import_again_adds_nothing(app, runner):
    import_file(runner)
    with app.app_context():
        before = [(c.id, c.parent_id, c.thread_id, c.status, c.body) for c in comments_in_db()]
    output = import_file(runner)
    assert re.search(r"Commenti importati\s+0\n", output), output
    with app.app_context():
        assert [(c.id, c.parent_id, c.thread_id, c.status, c.body) for c in comments_in_db()] == (
            before
        )


def test_pending_holds_what_isso_published(app, runner):
    output = import_file(runner, FIXTURE, "--pending")
    assert re.search(r"  commenti approved\s+0\n", output), output
    assert re.search(r"  commenti pending\s+7\n", output), output


def test_an_interrupted_import_finishes_when_run_again(app):
    from blog.porting import isso
    from blog.porting.importer import run_import

    def interrupt() -> None:
        raise KeyboardInterrupt

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            run_import(isso.READER, FIXTURE, batch_size=3, committed=interrupt)
        db.session.rollback()
        assert len(comments_in_db()) == 3
        run_import(isso.READER, FIXTURE, batch_size=3)
        assert structure() == EXPECTED


def hostile_copy(tmp_path: Path, *statements: str) -> Path:
    path = tmp_path / "isso.db"
    shutil.copyfile(FIXTURE, path)
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    return path


def test_hostile_values_are_bounded_and_reported(app, runner, tmp_path):
    path = hostile_copy(
        tmp_path,
        "UPDATE comments SET website = 'javascript:alert(1)' WHERE id = 2",
        "UPDATE comments SET text = 'x' || hex(zeroblob(40000)) WHERE id = 4",
        "UPDATE comments SET created = 'ieri', parent = 'uno', mode = 99 WHERE id = 8",
        "UPDATE comments SET author = x'ff00fe' WHERE id = 9",
        "UPDATE comments SET text = CAST(x'436961ff006f' AS TEXT) WHERE id = 6",
    )
    output = import_file(runner, path)
    assert re.search(r"Siti web non validi, tolti dai commenti\s+1\n", output), output
    assert "Sito web tolto: «Marco» javascript:alert(1)" in output
    assert re.search(r"Commenti più lunghi di 65.525 caratteri, saltati\s+1\n", output), output
    with app.app_context():
        by_isso = {c.import_id: c for c in comments_in_db()}
        assert by_isso["2"].url == ""
        assert "4" not in by_isso
        assert by_isso["8"].status == CommentStatus.PENDING and by_isso["8"].parent_id is None
        assert by_isso["9"].author == "\ufffd\ufffd"  # not UTF-8, and a NUL
        assert by_isso["6"].body.startswith("Cia\ufffd") and "\x00" not in by_isso["6"].body


@pytest.mark.parametrize(
    ("language", "name", "text"), [("it", "Anonimo", "(vuoto)"), ("en", "Anonymous", "(empty)")]
)
def test_no_name_and_no_text_are_worded_in_the_sites_language(
    app_config, tmp_path, language, name, text
):
    path = hostile_copy(tmp_path, "UPDATE comments SET author = NULL, text = '' WHERE id = 4")
    with fresh_blog(app_config, SITE_LANGUAGE=language) as blog:
        import_file(blog.test_cli_runner(), path)
        with blog.app_context():
            imported = {c.import_id: c for c in comments_in_db()}["4"]
            assert (imported.author, imported.body) == (name, text)


@pytest.mark.parametrize(
    "make",
    [
        lambda path: path.write_bytes(b"not a database at all" * 100),
        lambda path: sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit(),
        lambda path: (
            shutil.copyfile(FIXTURE, path),
            sqlite3.connect(path).executescript(
                "ALTER TABLE comments RENAME TO c;"
                "CREATE VIEW comments AS SELECT * FROM c, c AS c2, c AS c3;"
            ),
        ),
    ],
    ids=["not sqlite", "no isso tables", "a view instead of the table"],
)
def test_bad_databases_get_a_clear_error_and_change_nothing(app, runner, tmp_path, make):
    path = tmp_path / "bad.db"
    make(path)
    result = runner.invoke(args=["import-isso", str(path)])
    assert result.exit_code == 1, result.output
    assert "Error" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


@pytest.mark.parametrize("name", ["isso#backup.db", "isso?mode=rwc.db", "isso%23.db"])
def test_the_path_is_a_file_name_never_a_uri(app, runner, tmp_path, name):
    """A '#', '?' or '%' in the name is part of it: that file is read, and nothing is created."""
    folder = tmp_path / "copie"  # not the app's, which holds its own database
    folder.mkdir()
    path = folder / name
    shutil.copyfile(FIXTURE, path)
    before = path.read_bytes()
    output = import_file(runner, path)
    assert re.search(r"Commenti importati\s+8\n", output), output
    assert [entry.name for entry in folder.iterdir()] == [name]
    assert path.read_bytes() == before


@pytest.mark.parametrize("name", ["manca.db", "isso#manca.db"])
def test_a_missing_database_is_a_clear_error_and_nothing_is_created(app, tmp_path, name):
    from blog.porting.importer import ImportFileError
    from blog.porting.isso import comment_count

    folder = tmp_path / "copie"
    folder.mkdir()
    with pytest.raises(ImportFileError, match="non esiste"):
        comment_count(folder / name)
    assert list(folder.iterdir()) == []

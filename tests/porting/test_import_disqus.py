"""Disqus import, checked by what readers and moderators then see."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus
from tests.helpers import ARTICLE_URL, SLUG, comments_in_db, soup, text_of

FIXTURE = Path(__file__).parents[1] / "fixtures" / "disqus.xml"


def import_file(runner, path: Path = FIXTURE, *options: str) -> str:
    result = runner.invoke(args=["import-disqus", str(path), *options])
    assert result.exit_code == 0, result.output
    return result.output


def by_disqus_id() -> dict[str, Comment]:
    return {comment.import_id: comment for comment in comments_in_db()}


def structure() -> dict[str, tuple[str | None, str, int]]:
    """Each comment by Disqus id: its parent's Disqus id, status, and thread root's id."""
    comments = by_disqus_id()
    by_id = {comment.id: comment for comment in comments.values()}
    return {
        disqus_id: (
            by_id[comment.parent_id].import_id if comment.parent_id else None,
            comment.status.value,
            by_id[comment.thread_id].import_id,
        )
        for disqus_id, comment in comments.items()
    }


EXPECTED = {
    "1001": (None, "approved", "1001"),
    "1002": ("1001", "approved", "1001"),
    "1003": ("1002", "approved", "1001"),  # listed before its parent
    "1004": ("1003", "approved", "1001"),
    "1005": (None, "spam", "1005"),
    "1006": (None, "trash", "1006"),
    "1007": (None, "approved", "1007"),
    "1008": (None, "approved", "1008"),  # the page's second thread
}


def test_threads_statuses_and_the_report(app, runner):
    output = import_file(runner)
    for label, count in (
        ("Articoli già presenti", 1),
        ("Discussioni senza un articolo corrispondente", 2),
        ("Commenti importati", 8),
        ("  commenti approved", 6),
        ("  commenti spam", 1),
        ("  commenti trash", 1),
        ("  commenti pending", 0),
        ("Commenti di discussioni senza un articolo, saltati", 2),
        ("Commenti senza id, saltati", 1),
    ):
        assert re.search(rf"{re.escape(label)}\s+{count}\n", output), (label, output)
    assert (
        "Nessun articolo per: https://vecchio-blog.example.it/una-pagina-che-qui-non-esiste/"
        in (output)
    )
    with app.app_context():
        assert structure() == EXPECTED
        comments = by_disqus_id()
        marco = comments["1002"]
        assert (marco.author, marco.email, marco.ip_address) == (
            "Marco",
            "marco@example.it",
            "2001:db8::12",
        )
        assert marco.created_at.isoformat() == "2024-05-10T13:00:00"
        assert comments["1001"].body_html == (
            "<p>Ottimo articolo, <b>davvero</b>.</p>\n<p>Secondo paragrafo<br>\ncon un a capo.</p>"
        )
        article = db.session.scalar(sa.select(Article).where(Article.slug == SLUG))
        assert article.approved_comment_count == 6
        assert article.approved_thread_count == 3


def test_messages_go_through_the_sanitizer(app, runner, client):
    import_file(runner)
    with app.app_context():
        hostile = by_disqus_id()["1007"]
        assert "Ciao" in hostile.body_html
        for bad in ("<script", "javascript:", "onerror", "<img", "alert(1)"):
            assert bad not in hostile.body_html
        assert "&lt;b&gt;non grassetto&lt;/b&gt;" in hostile.body_html
        spam_link = by_disqus_id()["1005"].body_html
        assert 'rel="nofollow ugc noopener"' in spam_link
    page = client.get(ARTICLE_URL).get_data(as_text=True)
    assert "<script>alert(4)</script>" not in page
    assert "Ospite &lt;script&gt;alert(4)&lt;/script&gt;" in page


def test_readers_and_moderators_see_the_imported_comments(app, runner, client, logged_in):
    import_file(runner)
    page = soup(client.get(ARTICLE_URL))
    text = text_of(page)
    for shown in ("Ottimo articolo", "Rispondo a Giulia.", "Rispondo a Marco.", "Dal secondo"):
        assert shown in text
    assert "Compra ora" not in text and "poi cancellato" not in text
    giulia = page.find(string="Giulia Bianchi").find_parent("li")
    assert "Rispondo a Giulia." in text_of(giulia)  # the reply is nested under her comment
    assert "Compra ora" in text_of(soup(logged_in.get("/moderation/?status=spam")))
    assert "poi cancellato" in text_of(soup(logged_in.get("/moderation/?status=trash")))


def test_running_the_import_again_adds_nothing(app, runner):
    import_file(runner)
    with app.app_context():
        before = [(c.id, c.parent_id, c.thread_id, c.status, c.body) for c in comments_in_db()]
    output = import_file(runner)
    assert re.search(r"Commenti importati\s+0\n", output), output
    assert re.search(r"Commenti già presenti\s+8\n", output), output
    with app.app_context():
        assert [(c.id, c.parent_id, c.thread_id, c.status, c.body) for c in comments_in_db()] == (
            before
        )


def test_pending_holds_what_disqus_published(app, runner, client):
    output = import_file(runner, FIXTURE, "--pending")
    assert re.search(r"  commenti pending\s+6\n", output), output
    assert re.search(r"  commenti approved\s+0\n", output), output
    with app.app_context():
        assert {status for _, status, _ in structure().values()} == {"pending", "spam", "trash"}
    assert "Ottimo articolo" not in text_of(soup(client.get(ARTICLE_URL)))


def test_an_interrupted_import_finishes_when_run_again(app):
    from blog.porting import disqus
    from blog.porting.importer import run_import

    commits = []

    def interrupt() -> None:
        commits.append(1)
        if len(commits) == 2:
            raise KeyboardInterrupt

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            run_import(disqus.READER, FIXTURE, batch_size=2, committed=interrupt)
        db.session.rollback()
        assert 0 < len(comments_in_db()) < len(EXPECTED)
        report = run_import(disqus.READER, FIXTURE, batch_size=2)
        assert report.comments_added + 4 == len(EXPECTED)
        assert structure() == EXPECTED
        article = db.session.scalar(sa.select(Article).where(Article.slug == SLUG))
        assert article.approved_comment_count == 6


@pytest.mark.parametrize(
    "content",
    [
        b"not xml at all",
        b"<?xml version='1.0'?><rss><channel/></rss>",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
        b'<disqus xmlns="http://disqus.com">&b;</disqus>',
    ],
)
def test_bad_files_get_a_clear_error_and_change_nothing(app, runner, tmp_path, content):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(content)
    result = runner.invoke(args=["import-disqus", str(bad)])
    assert result.exit_code == 1
    assert "Error" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


@pytest.mark.parametrize(
    ("link", "matches"),
    [
        (f"https://old.example/2024/05/{SLUG}/", True),
        (f"http://localhost/{SLUG}", True),
        (f"/{SLUG}/", True),
        (f"https://old.example/{SLUG}.html", True),
        (f"https://old.example/{SLUG.upper()}/?utm_source=x#disqus_thread", True),
        ("https://old.example/", False),
        ("https://old.example/feed/", False),
        ("http://[::1", False),
        ("javascript:alert(1)", False),
        ("x" * 100_000, False),
    ],
)
def test_threads_are_matched_to_articles_by_their_link(app, link, matches):
    from blog.porting.importer import find_article

    with app.app_context():
        assert (find_article(link) is not None) == matches


def test_a_comment_status_never_publishes_what_disqus_did_not(app, runner, tmp_path):
    end_of_thread_100 = '<isDeleted>{}</isDeleted>\n  </thread>\n  <thread dsq:id="101">'
    deleted_thread = FIXTURE.read_text().replace(
        end_of_thread_100.format("false"), end_of_thread_100.format("true"), 1
    )
    assert deleted_thread != FIXTURE.read_text()
    path = tmp_path / "deleted-thread.xml"
    path.write_text(deleted_thread)
    import_file(runner, path)
    with app.app_context():
        statuses = {c.import_id: c.status for c in comments_in_db()}
    assert statuses["1008"] == CommentStatus.APPROVED  # the other thread of the page
    assert {statuses[i] for i in ("1001", "1002", "1003", "1004", "1007")} == {CommentStatus.TRASH}


#: Far above what refusing takes (well under a second); before tokens were
#: bounded, 16 MB took 3.4 s and 120 MB did not finish in 120 s.
SECONDS = 10


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds``: a regression fails, never hangs."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def export_with_one_huge_attribute(path: Path, megabytes: int) -> Path:
    """A Disqus export whose first thread's id is ``megabytes`` MB long, written as
    it is generated, then a thread and a post any import would take."""
    with path.open("wb") as out:
        out.write(
            b'<?xml version="1.0" encoding="utf-8"?>\n'
            b'<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
            b'<thread dsq:id="'
        )
        block = b"x" * (1024 * 1024)
        for _ in range(megabytes):
            out.write(block)
        out.write(
            f'"><link>/{SLUG}/</link></thread>\n'
            f'<thread dsq:id="1"><link>/{SLUG}/</link></thread>\n'
            '<post dsq:id="2"><message>Ciao</message><thread dsq:id="1"/></post>\n'
            "</disqus>\n".encode()
        )
    return path


@pytest.mark.parametrize("megabytes", [16, 120])
def test_one_huge_attribute_is_refused_in_seconds(app, runner, tmp_path, megabytes):
    path = export_with_one_huge_attribute(tmp_path / "attributo.xml", megabytes)
    start = time.perf_counter()
    with deadline(SECONDS):
        result = runner.invoke(args=["import-disqus", str(path)])
    assert time.perf_counter() - start < SECONDS
    assert result.exit_code == 1, result.output
    assert "supera 1.048.576 byte" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0

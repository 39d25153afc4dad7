"""WordPress import and export, checked by what readers and moderators then see."""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus
from tests.helpers import add_comment, comments_in_db, soup, text_of

FIXTURE = Path(__file__).parents[1] / "fixtures" / "small.wxr"
CORPUS = (
    Path(__file__).resolve().parents[3] / "shared" / "corpora" / "wordpress-theme-unit-test.xml"
)
TONALE = "/il-tonale-a-pomigliano/"


def import_file(runner, path: Path):
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def wxr_comment(
    wp_id: int, parent: int = 0, url: str = "", text: str = "", approved: str = "1"
) -> str:
    """One <wp:comment> of a hand-written export."""
    return f"""
    <wp:comment>
      <wp:comment_id>{wp_id}</wp:comment_id>
      <wp:comment_author>Lettore {wp_id}</wp:comment_author>
      <wp:comment_author_email>lettore{wp_id}@example.it</wp:comment_author_email>
      <wp:comment_author_url>{escape(url)}</wp:comment_author_url>
      <wp:comment_date_gmt>2024-05-10 12:{wp_id % 60:02d}:00</wp:comment_date_gmt>
      <wp:comment_content>{escape(text or f"Commento numero {wp_id}")}</wp:comment_content>
      <wp:comment_approved>{approved}</wp:comment_approved>
      <wp:comment_parent>{parent}</wp:comment_parent>
    </wp:comment>"""


def wxr_post(wp_id: int, slug: str, title: str = "Un articolo", comments: str = "") -> str:
    """One published <item> of a hand-written export."""
    return f"""
  <item>
    <title>{escape(title)}</title>
    <content:encoded>Il testo.</content:encoded>
    <wp:post_id>{wp_id}</wp:post_id>
    <wp:post_date_gmt>2024-05-10 10:30:00</wp:post_date_gmt>
    <wp:comment_status>open</wp:comment_status>
    <wp:post_name>{escape(slug)}</wp:post_name>
    <wp:status>publish</wp:status>
    <wp:post_type>post</wp:post_type>
    <wp:post_password></wp:post_password>{comments}
  </item>"""


def write_wxr(tmp_path: Path, *items: str) -> Path:
    """A WXR 1.2 file holding ``items``."""
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:wp="http://wordpress.org/export/1.2/">\n'
        "<channel><title>Un blog</title>" + "".join(items) + "</channel></rss>\n",
        encoding="utf-8",
    )
    return path


def test_comments_that_answer_each_other_in_a_loop_are_kept_and_shown(
    app, runner, client, tmp_path
):
    loop = wxr_comment(1) + wxr_comment(2, parent=3) + wxr_comment(3, parent=2)
    output = import_file(runner, write_wxr(tmp_path, wxr_post(500, "il-giro", comments=loop)))
    assert re.search(r"Risposte circolari, rese commenti di primo livello\s+1\n", output), output
    with app.app_context():
        by_wp = {c.wp_comment_id: c for c in comments_in_db()}
        assert [by_wp[2].parent_id, by_wp[3].parent_id].count(None) == 1
        assert by_wp[2].thread_id == by_wp[3].thread_id
    page = soup(client.get("/il-giro/"))
    authors = [text_of(li.find("p", class_="comment-author")) for li in page.select("li.comment")]
    assert sorted(authors) == ["Lettore 1", "Lettore 2", "Lettore 3"]


def test_import_keeps_posts_with_their_status_and_reports_the_rest(app, runner, client):
    output = import_file(runner, FIXTURE)
    assert re.search(r"Articoli importati\s+4\n", output), output
    for label, count in (("pubblicati", 1), ("programmati", 1), ("bozze", 2), ("nel cestino", 0)):
        assert re.search(rf"\n  {label}\s+{count}\n", output), output
    assert re.search(r"Pingback e trackback saltati\s+2\n", output), output
    assert "Non pubblicato: «Con password» (protetto da password)" in output
    assert "Non pubblicato: «Una bozza»" not in output
    with app.app_context():
        states = {
            a.slug: (a.status, a.published_at.isoformat())
            for a in db.session.scalars(sa.select(Article).where(Article.wp_post_id.is_not(None)))
        }
        assert states.pop("una-bozza")[0] == "draft"  # dated when imported
        assert states == {
            "il-tonale-a-pomigliano": ("publish", "2024-05-10T10:30:00"),
            "domani": ("publish", "2099-01-01T08:00:00"),  # scheduled
            "riservato": ("draft", "2024-01-01T08:00:00"),
        }
        article = db.session.scalar(sa.select(Article).where(Article.wp_post_id == 101))
        assert article.title == "Il Tonale a Pomigliano"
        assert article.standfirst == "Il SUV in fabbrica."
    # Only the published one reaches readers.
    assert client.get(TONALE).status_code == 200
    for slug in ("una-bozza", "domani", "riservato", "con-password", "chi-siamo"):
        assert client.get(f"/{slug}/").status_code == 404, slug
    index = text_of(soup(client.get("/")))
    assert "Il Tonale a Pomigliano" in index and "Domani" not in index


def test_article_html_keeps_structure_and_loses_scripts(app, runner, client):
    import_file(runner, FIXTURE)
    page = soup(client.get(TONALE))
    body = page.find(class_="entry-content") or page.find("article")
    html = str(body)
    assert body.find("h2").get_text() == "Un titoletto"
    assert [li.get_text() for li in body.find_all("li")][:2] == ["uno", "due"]
    assert body.find("figure").find("img")["src"] == "https://piccolo.example.it/tonale.jpg"
    assert body.find("figcaption").get_text() == "La linea"
    assert body.find("table").find("th").get_text() == "Anno"
    assert "Prima riga del pezzo." in [p.get_text() for p in body.find_all("p")]
    assert "rubare" not in html and "onclick" not in html and "onerror" not in html


def test_comments_keep_their_people_threads_and_statuses(app, runner, client):
    import_file(runner, FIXTURE)
    with app.app_context():
        by_wp = {c.wp_comment_id: c for c in comments_in_db()}
        assert set(by_wp) == {7, 8, 9, 10, 11}  # no pingback, no trackback
        nikos = by_wp[7]
        assert (nikos.author, nikos.email, nikos.url, nikos.ip_address) == (
            "Νίκος Παπαδόπουλος",
            "nikos@example.gr",
            "https://nikos.example.gr",
            "192.0.2.10",
        )
        assert nikos.created_at.isoformat() == "2024-05-10T12:00:00"
        assert "<img" not in nikos.body_html and "<h1>" not in nikos.body_html
        assert "<strong>davvero</strong>" in nikos.body_html
        assert by_wp[9].parent_id == nikos.id
        assert by_wp[8].parent_id == by_wp[9].id  # parent listed after the reply
        assert by_wp[8].thread_id == nikos.id
        assert [by_wp[n].status for n in (7, 8, 9, 10, 11)] == [
            CommentStatus.APPROVED,
            CommentStatus.PENDING,
            CommentStatus.APPROVED,
            CommentStatus.SPAM,
            CommentStatus.TRASH,
        ]
        assert (
            db.session.scalar(
                sa.select(Article.approved_comment_count).where(Article.wp_post_id == 101)
            )
            == 2
        )
    page = soup(client.get(TONALE))
    nikos_li = page.find(string="Νίκος Παπαδόπουλος").find_parent("li")
    assert "Rispondo a Nikos." in text_of(nikos_li)
    assert "in attesa" not in text_of(page) and "Compra ora" not in text_of(page)


def test_a_javascript_site_is_dropped_and_reported(app, runner, client, logged_in, tmp_path):
    comments = wxr_comment(1, url="javascript:alert(document.cookie)") + wxr_comment(
        2, url="https://buono.example.it/"
    )
    wxr = write_wxr(tmp_path, wxr_post(500, "con-link", comments=comments))
    output = import_file(runner, wxr)
    assert re.search(r"Siti web non validi, tolti dai commenti\s+1\n", output), output
    assert "Sito web tolto: «Lettore 1» javascript:alert(document.cookie)" in output
    with app.app_context():
        assert [(c.body, c.url) for c in comments_in_db()] == [
            ("Commento numero 1", ""),
            ("Commento numero 2", "https://buono.example.it/"),
        ]
    for page in (
        client.get("/con-link/"),
        logged_in.get("/moderation/?status=approved"),
        client.get("/con-link/feed/"),
        client.get("/comments/feed/"),
    ):
        assert page.status_code == 200
        assert "javascript:" not in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("site", "stored"),
    [
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("ftp://example.it/", None),
        ("http://", None),
        ("http://exa mple.it/", None),
        ("https://example.it/" + "a" * 200, None),
        ("", ""),
        ("https://example.it/pagina", "https://example.it/pagina"),
        ("example.it", "http://example.it"),
    ],
)
def test_sites_are_kept_only_as_the_comment_form_would_take_them(site, stored):
    from blog.porting.importer import site_url

    assert site_url(site) == stored


def test_a_slug_taken_by_the_site_is_replaced_and_its_page_keeps_working(
    app, runner, client, tmp_path
):
    wxr = write_wxr(tmp_path, wxr_post(500, "feed", title="Il nostro feed"))
    output = import_file(runner, wxr)
    assert re.search(r"Indirizzi di articoli non validi, sostituiti\s+1\n", output), output
    assert "Indirizzo sostituito: «Il nostro feed» feed → /il-nostro-feed/" in output
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.wp_post_id == 500))
        assert article.slug == "il-nostro-feed"
    assert client.get("/il-nostro-feed/").status_code == 200
    for _ in range(2):  # after a first GET too: nothing cached it as an article
        feed = client.get("/feed/")
        assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
        assert "Il nostro feed" in feed.get_data(as_text=True)
    assert re.search(r"Articoli già presenti\s+1\n", import_file(runner, wxr))


@pytest.mark.parametrize(
    ("slug", "title", "expected"),
    [
        ("../x", "Titolo", "x"),
        ("Hello-World", "Titolo", "hello-world"),
        ("perch%C3%A9-no", "Titolo", "perche-no"),
        ("moderation", "La moderazione", "la-moderazione"),
        ("static", "Statico", "statico"),
        ("comments", "Commenti", "commenti"),
        ("healthz", "Salute", "salute"),
        ("%F0%9F%98%80", "Città è più", "citta-e-piu"),
        ("%F0%9F%98%80", "😀", "articolo-500"),
        ("a/b", "Titolo", "a-b"),
    ],
)
def test_invalid_slugs_are_replaced_by_safe_ones(
    app, runner, client, tmp_path, slug, title, expected
):
    output = import_file(runner, write_wxr(tmp_path, wxr_post(500, slug, title=title)))
    assert f"Indirizzo sostituito: «{title}» {slug} → /{expected}/" in output
    with app.app_context():
        assert db.session.scalar(sa.select(Article.slug).where(Article.wp_post_id == 500)) == (
            expected
        )
    assert client.get(f"/{expected}/").status_code == 200


def test_the_reserved_slugs_come_from_the_apps_routes(app):
    from blog.core.slugs import reserved_slugs

    reserved = reserved_slugs(app.url_map)
    assert {"feed", "comments", "moderation", "email", "static", "healthz"} <= reserved
    assert not any("<" in segment for segment in reserved)


def test_moderators_see_the_imported_queue(app, runner, logged_in):
    import_file(runner, FIXTURE)
    pending = text_of(soup(logged_in.get("/moderation/?status=pending")))
    assert "E io rispondo a Giulia, in attesa." in pending
    assert "Compra ora" in text_of(soup(logged_in.get("/moderation/?status=spam")))
    assert "Nel cestino" in text_of(soup(logged_in.get("/moderation/?status=trash")))


def test_running_the_import_again_changes_nothing(app, runner):
    import_file(runner, FIXTURE)
    with app.app_context():
        before = [(c.id, c.parent_id, c.status, c.body) for c in comments_in_db()]
        articles = db.session.scalar(sa.select(sa.func.count(Article.id)))
    output = import_file(runner, FIXTURE)
    assert "Commenti già presenti" in output
    with app.app_context():
        assert [(c.id, c.parent_id, c.status, c.body) for c in comments_in_db()] == before
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == articles


@pytest.mark.parametrize(
    "content",
    [
        b"not xml at all",
        b"<?xml version='1.0'?><rss><channel><title>x</title></channel></rss>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><rss>&b;</rss>',
    ],
)
def test_bad_files_get_a_clear_error_and_change_nothing(app, runner, tmp_path, content):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(content)
    result = runner.invoke(args=["import-wxr", str(bad)])
    assert result.exit_code != 0
    assert "Error" in result.output or "Errore" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 1


def snapshot(app) -> tuple:
    with app.app_context():
        articles = [
            (a.slug, a.title, a.standfirst, a.body_html, a.published_at, a.comments_open)
            for a in db.session.scalars(sa.select(Article).order_by(Article.slug))
        ]
        by_id = {c.id: c for c in comments_in_db()}

        def key(comment):
            parent = by_id.get(comment.parent_id)
            return (
                comment.article.slug,
                comment.author,
                comment.email,
                comment.url,
                comment.ip_address,
                comment.created_at.replace(microsecond=0),
                comment.body,
                comment.body_html,
                comment.status,
                parent.body if parent else None,
            )

        return articles, sorted(key(c) for c in by_id.values())


def test_export_then_import_reads_back_identically(app, runner, app_config, tmp_path):
    from blog import create_app

    import_file(runner, FIXTURE)
    exported = tmp_path / "export.xml"
    result = runner.invoke(args=["export-wxr", str(exported)])
    assert result.exit_code == 0, result.output
    original = snapshot(app)

    # A second, empty blog reads the export back.
    other = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.db'}"})
    with other.app_context():
        db.create_all()
    import_file(other.test_cli_runner(), exported)
    assert snapshot(other) == original
    with other.app_context():
        db.session.remove()  # end the session's transaction first
        db.drop_all()


def export(runner, tmp_path):
    """Run export-wxr; return the parsed file, read by a strict XML parser."""
    import defusedxml.ElementTree as SafeET

    exported = tmp_path / "export.xml"
    result = runner.invoke(args=["export-wxr", str(exported)])
    assert result.exit_code == 0, result.output
    return SafeET.parse(exported).getroot()


WP = "{http://wordpress.org/export/1.2/}"


def test_text_xml_does_not_allow_is_replaced_in_the_export(app, runner, tmp_path):
    with app.app_context():
        add_comment(comment="Prima\ufffe dopo\uffff e\x01 fine", author="Chi\ufffe")
    root = export(runner, tmp_path)
    (comment,) = root.iter(f"{WP}comment")
    assert comment.findtext(f"{WP}comment_author") == "Chi\ufffd"
    assert "Prima\ufffd dopo\ufffd e" in comment.findtext(f"{WP}comment_content")


def test_the_export_carries_sanitized_html_as_comment_content(app, runner, app_config, tmp_path):
    from blog import create_app

    typed = "<script>alert(1)</script> Ciao <b>a tutti</b>"
    with app.app_context():
        add_comment(comment=typed)
    root = export(runner, tmp_path)
    (comment,) = root.iter(f"{WP}comment")
    content = comment.findtext(f"{WP}comment_content")
    assert "<script" not in content.lower()
    assert "Ciao" in content
    assert comment.find(f"{WP}commentmeta").findtext(f"{WP}meta_value") == typed
    original = snapshot(app)

    other = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.db'}"})
    with other.app_context():
        db.create_all()
    import_file(other.test_cli_runner(), tmp_path / "export.xml")
    assert snapshot(other) == original
    with other.app_context():
        assert [c.body for c in comments_in_db()] == [typed]
        db.session.remove()
        db.drop_all()


def test_export_has_the_structure_wordpress_imports(app, runner, tmp_path):
    import defusedxml.ElementTree as SafeET

    import_file(runner, FIXTURE)
    exported = tmp_path / "export.xml"
    runner.invoke(args=["export-wxr", str(exported)])
    root = SafeET.parse(exported).getroot()
    wp = "{http://wordpress.org/export/1.2/}"
    channel = root.find("channel")
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert channel.find(f"{wp}wxr_version").text == "1.2"
    assert channel.find(f"{wp}base_site_url").text
    for item in channel.findall("item"):
        for field in ("post_id", "post_date_gmt", "post_name", "status", "post_type"):
            assert item.find(f"{wp}{field}") is not None, field
        assert item.find("{http://purl.org/rss/1.0/modules/content/}encoded") is not None
        for comment in item.findall(f"{wp}comment"):
            for field in (
                "comment_id",
                "comment_author",
                "comment_date_gmt",
                "comment_content",
                "comment_approved",
                "comment_parent",
            ):
                assert comment.find(f"{wp}{field}") is not None, field


@pytest.mark.skipif(not CORPUS.exists(), reason="needs ../shared/corpora (CI has it)")
def test_wordpress_theme_unit_test_export(app, runner, client, logged_in):
    output = import_file(runner, CORPUS)
    assert 'Non pubblicato: «Template: Password Protected (the password is "enter")»' in output
    assert re.search(r"Autori importati, che non possono ancora accedere\s+2\n", output), output
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == "template-comments"))
        comments = db.session.scalars(
            sa.select(Comment).where(Comment.article_id == article.id)
        ).all()
        assert len(comments) == 20
        assert sum(c.status == CommentStatus.PENDING for c in comments) == 1
        assert article.approved_comment_count == 19
        by_id = {c.id: c for c in comments}

        def depth(comment):
            level = 1
            while comment.parent_id:
                comment, level = by_id[comment.parent_id], level + 1
            return level

        assert max(depth(c) for c in comments) == 10
        assert any("Γιάννης" in c.author for c in comments)
        assert all("<h1>" not in c.body_html and "<img" not in c.body_html for c in comments)
        draft = db.session.scalar(sa.select(Article).where(Article.title == "Draft"))
        scheduled = db.session.scalar(sa.select(Article).where(Article.slug == "scheduled"))
        assert (draft.slug, draft.status) == ("draft", "draft")
        assert scheduled.status == "publish"
        assert scheduled.published_at.isoformat() == "2030-01-01T19:00:18"
    page = soup(client.get("/template-comments/"))
    assert "John Γιάννης Doe Κάποιος" in text_of(page)
    assert page.select("ol.comment-list li.comment")
    pending = text_of(soup(logged_in.get("/moderation/?status=pending")))
    assert pending  # the pending one waits for a moderator
    with app.app_context():
        waiting = [c for c in comments if c.status == CommentStatus.PENDING][0]
        assert waiting.author in pending
    again = import_file(runner, CORPUS)
    assert re.search(r"Commenti importati\s+0\n", again), again
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Comment.id)).where(Comment.article_id == article.id)
            )
            == 20
        )


# Streaming: bounded memory, batches, resuming


def wxr_with_posts(tmp_path: Path, posts: int = 3, comments: int = 6) -> Path:
    """Posts whose comments thread, one reply listed before its parent."""
    items = []
    for post in range(posts):
        first = post * 100
        thread = wxr_comment(first + 1) + wxr_comment(first + 3, parent=first + 2)
        thread += wxr_comment(first + 2, parent=first + 1)
        thread += "".join(
            wxr_comment(first + n, parent=first + n - 1, approved="0" if n % 2 else "1")
            for n in range(4, comments + 1)
        )
        items.append(wxr_post(500 + post, f"articolo-{post}", f"Articolo {post}", thread))
    return write_wxr(tmp_path, *items)


def test_an_interrupted_import_finishes_when_run_again(app, app_config, tmp_path):
    from blog.porting import wordpress
    from blog.porting.importer import run_import
    from tests.helpers import fresh_blog

    path = wxr_with_posts(tmp_path)
    commits = []

    def interrupt() -> None:
        commits.append(1)
        if len(commits) == 3:
            raise KeyboardInterrupt

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            run_import(wordpress.READER, path, batch_size=4, committed=interrupt)
        db.session.rollback()
        assert 0 < len(comments_in_db()) < 18
        run_import(wordpress.READER, path, batch_size=4)
        assert len(comments_in_db()) == 18
    resumed = snapshot(app)
    with fresh_blog(app_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'b.db'}") as blog:
        with blog.app_context():
            run_import(wordpress.READER, path)
        assert snapshot(blog) == resumed
    with app.app_context():
        counts = db.session.execute(
            sa.select(Article.slug, Article.approved_comment_count, Article.approved_thread_count)
            .where(Article.slug.like("articolo-%"))
            .order_by(Article.slug)
        ).all()
        assert [tuple(row) for row in counts] == [(f"articolo-{n}", 5, 1) for n in range(3)]


def test_comments_are_let_go_once_their_post_is_known(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr("blog.porting.xmlstream.XML_HELD_ELEMENTS", 300)
    path = wxr_with_posts(tmp_path, posts=1, comments=100)  # some 1,500 elements
    output = import_file(runner, path)
    assert re.search(r"Commenti importati\s+100\n", output), output


def test_a_post_that_keeps_too_much_before_its_fields_is_refused(
    app, runner, tmp_path, monkeypatch
):
    monkeypatch.setattr("blog.porting.xmlstream.XML_HELD_ELEMENTS", 300)
    # Read a little at a time, as a file larger than one read is: the
    # parser knows nothing of the fields at the end while the comments come.
    monkeypatch.setattr("blog.porting.xmlstream.READ_SIZE", 512)
    comments = "".join(wxr_comment(n) for n in range(1, 101))
    item = fields_last(9, "campi-in-fondo", "publish", comments)
    result = runner.invoke(args=["import-wxr", str(write_wxr(tmp_path, item))])
    assert result.exit_code == 1
    assert "più di 300" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert not comments_in_db()


def fields_last(wp_id: int, slug: str, status: str, comments: str) -> str:
    """An <item> whose fields come after its comments (no exporter writes one so)."""
    return f"""
  <item>
    <title>{slug}</title>{comments}
    <wp:post_id>{wp_id}</wp:post_id>
    <wp:post_date_gmt>2024-05-10 10:30:00</wp:post_date_gmt>
    <wp:post_name>{slug}</wp:post_name>
    <wp:status>{status}</wp:status>
    <wp:post_type>post</wp:post_type>
    <wp:post_password></wp:post_password>
  </item>"""


def test_a_post_with_its_fields_after_its_comments_is_still_read_whole(app, runner, tmp_path):
    comments = wxr_comment(2, parent=1) + wxr_comment(1)
    path = write_wxr(
        tmp_path,
        fields_last(9, "automatica", "auto-draft", comments),
        fields_last(10, "pubblico", "publish", comments),
    )
    output = import_file(runner, path)
    assert "Non pubblicato: «automatica» (bozza automatica)" in output
    with app.app_context():
        comments = {c.import_id: c for c in comments_in_db()}
        assert {c.article.slug for c in comments.values()} == {"pubblico"}
        assert comments["2"].parent_id == comments["1"].id


def test_a_text_too_long_to_hold_is_refused(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr("blog.porting.xmlstream.XML_HELD_TEXT", 10_000)
    comment = wxr_comment(1, text="a" * 20_000)
    result = runner.invoke(
        args=["import-wxr", str(write_wxr(tmp_path, wxr_post(9, "lungo", comments=comment)))]
    )
    assert result.exit_code == 1
    assert "più di 10.000 caratteri" in result.output and "Traceback" not in result.output


def post_with_category(attributes: str) -> str:
    """A published post with one <category> carrying ``attributes``, and a comment."""
    category = f'\n    <category domain="category" {attributes}>Varie</category>'
    return wxr_post(9, "con-categoria", comments=category + wxr_comment(1))


def test_attributes_count_in_the_text_held(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr("blog.porting.xmlstream.XML_HELD_TEXT", 10_000)
    path = write_wxr(tmp_path, post_with_category(f'nicename="{"a" * 20_000}"'))
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 1
    assert "più di 10.000 caratteri" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert not comments_in_db()


def test_an_element_with_too_many_attributes_is_refused(app, runner, tmp_path):
    many = " ".join(f'a{n}="{n}"' for n in range(1000))
    result = runner.invoke(args=["import-wxr", str(write_wxr(tmp_path, post_with_category(many)))])
    assert result.exit_code == 1
    assert "più di 100 attributi" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert not comments_in_db()


def test_a_few_attributes_are_read_as_ever(app, runner, tmp_path):
    attributes = f'nicename="{"a" * 5_000}" ' + " ".join(f'a{n}="{n}"' for n in range(90))
    output = import_file(runner, write_wxr(tmp_path, post_with_category(attributes)))
    assert re.search(r"Commenti importati\s+1\n", output), output


def test_a_text_longer_than_any_token_is_still_read(app, runner, tmp_path):
    """Text comes in pieces, CDATA too: only tags and comments are bounded as one token."""
    long_text = f"<![CDATA[{'a' * 3 * 1024 * 1024}]]>"
    comment = wxr_comment(1).replace("Commento numero 1", long_text) + wxr_comment(2)
    output = import_file(runner, write_wxr(tmp_path, wxr_post(9, "lungo", comments=comment)))
    assert re.search(r"Commenti più lunghi di 65.525 caratteri, saltati\s+1\n", output), output
    assert re.search(r"Commenti importati\s+1\n", output), output


def test_the_progress_counts_the_bytes_read(app, tmp_path):
    from blog.porting import wordpress
    from blog.porting.importer import run_import

    path = wxr_with_posts(tmp_path, posts=2, comments=50)
    read = []
    with app.app_context():
        run_import(wordpress.READER, path, progress=read.append)
    assert sum(read) == path.stat().st_size and len(read) >= 1


def test_the_export_queries_in_batches_and_reads_back_identically(
    app, runner, app_config, tmp_path, monkeypatch
):
    from tests.helpers import fresh_blog

    monkeypatch.setattr("blog.porting.export.EXPORT_BATCH", 2)
    import_file(runner, FIXTURE)
    import_file(runner, wxr_with_posts(tmp_path))
    exported = tmp_path / "export.xml"
    result = runner.invoke(args=["export-wxr", str(exported)])
    assert result.exit_code == 0, result.output
    original = snapshot(app)
    with fresh_blog(app_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'b.db'}") as blog:
        import_file(blog.test_cli_runner(), exported)
        assert snapshot(blog) == original


def test_a_file_declaring_entities_is_refused_before_anything_is_read(app, runner, tmp_path):
    """No entity is ever expanded: a file that declares one (as a billion
    laughs does) is refused outright, even when it never uses it."""
    path = write_wxr(tmp_path, wxr_post(9, "con-entita", comments=wxr_comment(1)))
    text = path.read_text().replace("<rss", '<!DOCTYPE rss [<!ENTITY a "aaaa">]>\n<rss', 1)
    path.write_text(text)
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 1
    assert "dichiara delle entità" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert not comments_in_db()


def test_a_doctype_without_entities_is_read_as_ever(app, runner, tmp_path):
    path = write_wxr(tmp_path, wxr_post(9, "con-doctype", comments=wxr_comment(1)))
    path.write_text(path.read_text().replace("<rss", "<!DOCTYPE rss>\n<rss", 1))
    output = import_file(runner, path)
    assert re.search(r"Commenti importati\s+1\n", output), output


def test_elements_nested_too_deep_are_refused(app, runner, tmp_path):
    deep = "<a>" * 40 + "x" + "</a>" * 40
    comment = wxr_comment(1).replace("</wp:comment>", deep + "</wp:comment>")
    path = write_wxr(tmp_path, wxr_post(9, "profondo", comments=comment))
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 1
    assert "annidati oltre 32 livelli" in result.output and "Traceback" not in result.output

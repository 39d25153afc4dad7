"""``flask article import`` and ``export``: articles in Markdown files with front
matter, real files in a folder, through the command line."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    BodyFormat,
    Moderator,
    Role,
    utcnow,
)
from tests.helpers import SLUG, add_moderator, fresh_blog

ARTICLE = """\
---
title: "Perché l'Alfa: il Tonale"
address: il-tonale
date: 2025-03-01 09:30
status: publish
categories: [Motori, Alfa Romeo]
tags: suv, tonale
author: giulia
summary: Il SUV in fabbrica.
comments: closed
---
Un *testo* con [un link](https://example.it/).
"""


@pytest.fixture
def giulia(app):
    with app.app_context():
        author = add_moderator("giulia", display_name="Giulia Rossi")
        author.role = Role.AUTHOR
        db.session.commit()
        return author.id


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run(runner, *args: str | Path):
    return runner.invoke(args=["article", *map(str, args)])


def imported(runner, *paths: Path):
    result = run(runner, "import", *paths)
    assert result.exit_code == 0, result.output
    return result.output


def article(slug: str) -> Article:
    found = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    assert found is not None, slug
    return found


def revisions(slug: str) -> list[ArticleRevision]:
    return list(
        db.session.scalars(
            sa.select(ArticleRevision)
            .where(ArticleRevision.article_id == article(slug).id)
            .order_by(ArticleRevision.id)
        )
    )


def test_a_file_becomes_an_article_and_importing_it_again_changes_nothing(
    app, runner, client, giulia, tmp_path
):
    path = write(tmp_path, "tonale.md", ARTICLE)
    output = imported(runner, path)
    assert f"{path}: aggiunto (pubblicato), /il-tonale/" in output, output
    with app.app_context():
        tonale = article("il-tonale")
        assert tonale.title == "Perché l'Alfa: il Tonale"
        assert tonale.standfirst == "Il SUV in fabbrica."
        assert tonale.body_source == "Un *testo* con [un link](https://example.it/)."
        assert tonale.body_format == BodyFormat.MARKDOWN
        assert (tonale.status, tonale.comments_open) == (ArticleStatus.PUBLISH, False)
        # 09:30 in Rome, winter time: 08:30 UTC, as stored.
        assert tonale.published_at.isoformat() == "2025-03-01T08:30:00"
        assert tonale.author.username == "giulia"
        assert [t.name for t in tonale.categories] == ["Alfa Romeo", "Motori"]
        assert [t.slug for t in tonale.tags] == ["suv", "tonale"]
        assert len(revisions("il-tonale")) == 1
        version = tonale.comment_version
    page = client.get("/il-tonale/")
    assert page.status_code == 200
    assert "Perché l&#39;Alfa: il Tonale" in page.get_data(as_text=True)
    again = imported(runner, path)
    assert f"{path}: invariato, /il-tonale/" in again, again
    assert "Aggiunti: 0, aggiornati: 0, invariati: 1, non importati: 0." in again
    with app.app_context():
        assert len(revisions("il-tonale")) == 1
        assert article("il-tonale").comment_version == version


def test_a_changed_file_updates_the_article_and_keeps_the_earlier_version(
    app, runner, giulia, tmp_path
):
    path = write(tmp_path, "tonale.md", ARTICLE)
    imported(runner, path)
    write(tmp_path, "tonale.md", ARTICLE.replace("Un *testo*", "Un *altro testo*"))
    output = imported(runner, path)
    assert f"{path}: aggiornato (pubblicato), /il-tonale/" in output, output
    with app.app_context():
        assert article("il-tonale").body_source.startswith("Un *altro testo*")
        assert [r.body_source[:10] for r in revisions("il-tonale")] == [
            "Un *testo*",
            "Un *altro ",
        ]
        assert all(r.editor.username == "giulia" for r in revisions("il-tonale"))


def test_publish_with_a_future_date_schedules_and_a_draft_stays_off_the_site(
    app, runner, client, giulia, tmp_path
):
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    later = write(
        tmp_path,
        "domani.md",
        f"---\ntitle: Domani\ndate: {tomorrow}\nstatus: publish\n---\nPresto.",
    )
    draft = write(tmp_path, "bozza.md", "---\ntitle: Una bozza\n---\nNon ancora.")
    output = imported(runner, "--author", "giulia", later, draft)
    assert f"{later}: aggiunto (programmato), /domani/" in output, output
    assert f"{draft}: aggiunto (bozza), /una-bozza/" in output, output
    with app.app_context():
        assert article("domani").is_scheduled
        assert article("domani").published_at.strftime("%Y-%m-%dT%H:%M:%S+00:00") == tomorrow
        assert article("una-bozza").status == ArticleStatus.DRAFT
        assert article("una-bozza").author.username == "giulia"
    for slug in ("domani", "una-bozza"):
        assert client.get(f"/{slug}/").status_code == 404


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("yaml.md", "---\ntitle: [non chiusa\n---\nTesto", "non è YAML valido"),
        (
            "oggetto.md",
            "---\ntitle: !!python/object/apply:os.getcwd []\n---\nX",
            "non è YAML valido",
        ),
        ("lista.md", "---\n- uno\n- due\n---\nTesto", "devono essere campi"),
        ("senza-titolo.md", "---\nstatus: draft\n---\nTesto", "Inserisci un titolo"),
        ("chi.md", "---\ntitle: Chi\nauthor: nessuno\n---\nTesto", "nessun account"),
        (
            "riservato.md",
            "---\ntitle: Feed\naddress: feed\nauthor: giulia\n---\nX",
            "usato dal sito",
        ),
        ("vuoto.md", "---\ntitle: Vuoto\naddress: '!!!'\n---\nTesto", "lettere, cifre e trattini"),
        ("lungo.md", f"---\ntitle: {'a' * 301}\n---\nTesto", "al massimo 300 caratteri"),
        ("stato.md", "---\ntitle: Stato\nstatus: pubblicato\n---\nTesto", "draft o publish"),
        ("data.md", "---\ntitle: Data\ndate: domani\n---\nTesto", "«date»"),
        ("tag.md", "---\ntitle: Tag\ntags: {a: b}\n---\nTesto", "«tags»"),
        ("commenti.md", "---\ntitle: Commenti\ncomments: forse\n---\nTesto", "open o closed"),
        ("moderatore.md", "---\ntitle: Moderata\nauthor: anna\n---\nTesto", "non può scrivere"),
    ],
)
def test_a_file_that_fails_is_named_with_its_reason_and_the_others_go_in(
    app, runner, giulia, tmp_path, name, text, reason
):
    with app.app_context():
        add_moderator("anna")  # a comment moderator
    bad = write(tmp_path, name, text)
    good = write(tmp_path, "buono.md", "---\ntitle: Buono\nauthor: giulia\n---\nTesto")
    result = run(runner, "import", bad, good)
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(bad))}: non importato: .*{re.escape(reason)}", result.output)
    assert f"{good}: aggiunto (bozza), /buono/" in result.output
    assert "non importati: 1." in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        slugs = set(db.session.scalars(sa.select(Article.slug)))
        assert slugs == {SLUG, "buono"}


def test_files_that_cannot_be_read_are_named_too(app, runner, giulia, tmp_path):
    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes("---\ntitle: Perché\n---\n".encode("latin-1"))
    result = run(runner, "import", latin1, tmp_path / "manca.md", tmp_path)
    assert result.exit_code == 1
    assert f"{latin1}: non importato: Il file non è testo UTF-8." in result.output
    assert f"{tmp_path / 'manca.md'}: non importato: Il file non può essere letto" in result.output
    assert f"{tmp_path}: non importato: Il file non può essere letto" in result.output


def test_an_unknown_default_author_stops_before_anything(app, runner, tmp_path):
    path = write(tmp_path, "a.md", "---\ntitle: A\n---\nTesto")
    result = run(runner, "import", "--author", "nessuno", path)
    assert result.exit_code == 1
    assert "nessun account con il nome utente «nessuno»" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 1


def test_an_html_file_keeps_its_html_sanitized(app, runner, client, giulia, tmp_path):
    html = '<h2>Titoletto</h2>\n<p onclick="rubare()">Un paragrafo.</p><script>rubare()</script>'
    path = write(
        tmp_path,
        "html.md",
        f"---\ntitle: In HTML\nformat: html\nstatus: publish\nauthor: giulia\n---\n{html}",
    )
    imported(runner, path)
    with app.app_context():
        stored = article("in-html")
        assert stored.body_format == BodyFormat.HTML and stored.body_source is None
        assert stored.body_html == "<h2>Titoletto</h2>\n<p>Un paragrafo.</p>"
    assert f"{path}: invariato" in imported(runner, path)
    page = client.get("/in-html/").get_data(as_text=True)
    assert "<h2>Titoletto</h2>" in page and "rubare" not in page


def test_the_export_writes_one_file_per_article(app, runner, giulia, tmp_path):
    imported(runner, write(tmp_path, "tonale.md", ARTICLE))
    with app.app_context():
        db.session.add(  # the bin is not exported
            Article(
                slug="buttato",
                title="Buttato",
                body_html="<p>x</p>",
                published_at=utcnow(),
                trashed_at=utcnow(),
            )
        )
        db.session.commit()
    out = tmp_path / "uscita"
    result = run(runner, "export", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{SLUG}.md", "il-tonale.md"])
    tonale = (out / "il-tonale.md").read_text(encoding="utf-8")
    assert tonale.startswith("---\ntitle: 'Perché l''Alfa: il Tonale'\naddress: il-tonale\n")
    assert "date: 2025-03-01 09:30:00+01:00\nstatus: publish\nauthor: giulia\n" in tonale
    assert (
        "categories:\n- Alfa Romeo\n- Motori\ntags:\n- suv\n- tonale\ncomments: closed\n" in tonale
    )
    assert tonale.endswith("---\n\nUn *testo* con [un link](https://example.it/).\n")
    seed = (out / f"{SLUG}.md").read_text(encoding="utf-8")
    assert "\nformat: html\n" in seed and "<p>" in seed


def snapshot(app) -> list[tuple]:
    with app.app_context():
        return [
            (
                a.slug,
                a.title,
                a.standfirst,
                a.body_html,
                a.body_source,
                a.body_format,
                a.published_at.replace(microsecond=0),  # files keep seconds
                a.status,
                a.comments_open,
                a.author.username if a.author else None,
                [(t.kind, t.slug, t.name) for t in a.terms],
            )
            for a in db.session.scalars(sa.select(Article).order_by(Article.slug))
        ]


def test_export_then_import_into_an_empty_blog_round_trips(
    app, runner, app_config, giulia, tmp_path
):
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    imported(
        runner,
        write(tmp_path, "tonale.md", ARTICLE),
        write(
            tmp_path,
            "domani.md",
            f"---\ntitle: Domani\ndate: {tomorrow}\nstatus: publish\nauthor: giulia\n---\nPresto.",
        ),
        write(
            tmp_path,
            "bozza.md",
            "---\ntitle: Una bozza\ntags: [Tonale]\nauthor: giulia\n---\nNon ancora.",
        ),
    )
    with app.app_context():
        article(SLUG).author_id = giulia  # every article from a file is someone's
        db.session.commit()
    out = tmp_path / "uscita"
    assert run(runner, "export", out).exit_code == 0
    original = snapshot(app)
    with fresh_blog(app_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'b.db'}") as blog:
        with blog.app_context():
            db.session.execute(sa.delete(Article))
            author = add_moderator("giulia", display_name="Giulia")
            author.role = Role.EDITOR
            db.session.commit()
        other = blog.test_cli_runner()
        output = imported(other, *sorted(out.iterdir()))
        assert "Aggiunti: 4, aggiornati: 0, invariati: 0, non importati: 0." in output, output
        assert snapshot(blog) == original
        again = imported(other, *sorted(out.iterdir()))
        assert "Aggiunti: 0, aggiornati: 0, invariati: 4, non importati: 0." in again, again
        with blog.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Moderator.id))) == 1

"""Privacy tools: export, anonymise, delete, purge, and the note under the form."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, ModerationEvent
from tests.helpers import (
    ARTICLE_URL,
    add_comment,
    comments_in_db,
    soup,
    text_of,
)

MARIA = "maria@example.it"


def seed_maria(app):
    with app.app_context():
        first = add_comment(
            comment="Il mio primo commento",
            author="Maria Rossi",
            email=MARIA,
            url="https://maria.example.it",
            ip_address="203.0.113.7",
            user_agent="Firefox",
        )
        reply = add_comment(comment="Una risposta di Luca", author="Luca", parent=first)
        add_comment(
            comment="In attesa",
            author="Maria",
            email="Maria@Example.IT",
            status=CommentStatus.PENDING,
        )
        add_comment(comment="Di qualcun altro", author="Paolo", email="paolo@example.it")
        return first.id, reply.id


def test_export_writes_every_personal_field(app, runner):
    seed_maria(app)
    result = runner.invoke(args=["privacy-export", MARIA])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["email"] == MARIA
    assert [c["text"] for c in data["comments"]] == ["Il mio primo commento", "In attesa"]
    first = data["comments"][0]
    assert first["ip_address"] == "203.0.113.7"
    assert first["user_agent"] == "Firefox"
    assert first["url"] == "https://maria.example.it"
    assert first["spam_score"] is None  # stored directly: never scored
    assert first["article"].startswith("Jean-Philippe Imparato")
    assert "Di qualcun altro" not in result.stdout


def test_export_to_a_file(app, runner, tmp_path):
    seed_maria(app)
    target = tmp_path / "maria.json"
    result = runner.invoke(args=["privacy-export", MARIA, "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(target.read_text(encoding="utf-8"))["comments"]) == 2


def test_erase_anonymises_and_keeps_the_text(app, runner, client):
    first_id, _ = seed_maria(app)
    client.get(ARTICLE_URL)
    result = runner.invoke(args=["privacy-erase", MARIA, "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        comment = db.session.get(Comment, first_id)
        assert (comment.author, comment.email, comment.url) == ("Anonimo", "", "")
        assert comment.ip_address is None and comment.user_agent is None
        assert comment.body == "Il mio primo commento"
        others = [c for c in comments_in_db() if c.author == "Paolo"]
        assert others[0].email == "paolo@example.it"
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(ModerationEvent.action == "anonymise")
            )
            == 2
        )
    page = text_of(soup(client.get(ARTICLE_URL)))
    assert "Maria Rossi" not in page and "Anonimo" in page
    assert "Il mio primo commento" in page


def test_erase_with_delete_removes_and_lifts_replies(app, runner, client):
    first_id, reply_id = seed_maria(app)
    result = runner.invoke(args=["privacy-erase", MARIA, "--delete", "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Comment, first_id) is None
        reply = db.session.get(Comment, reply_id)
        assert reply.parent_id is None and reply.thread_id == reply.id
        article = db.session.scalar(sa.select(Article))
        assert article.approved_comment_count == 2
    page = text_of(soup(client.get(ARTICLE_URL)))
    assert "Il mio primo commento" not in page and "Una risposta di Luca" in page


def test_erase_asks_for_confirmation(app, runner):
    seed_maria(app)
    result = runner.invoke(args=["privacy-erase", MARIA], input="n\n")
    assert result.exit_code != 0
    with app.app_context():
        assert {c.author for c in comments_in_db()} >= {"Maria Rossi"}


def test_purge_clears_old_addresses_only(app, runner):
    with app.app_context():
        old = add_comment(comment="Vecchio", age=timedelta(days=91), ip_address="198.51.100.1")
        new = add_comment(comment="Nuovo", age=timedelta(days=10), ip_address="198.51.100.2")
        old_id, new_id = old.id, new.id
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 commenti" in result.output
    with app.app_context():
        assert db.session.get(Comment, old_id).ip_address is None
        assert db.session.get(Comment, old_id).user_agent is None
        assert db.session.get(Comment, new_id).ip_address == "198.51.100.2"


def test_privacy_note_under_the_form(client):
    note = soup(client.get(ARTICLE_URL)).find(id="privacy-note")
    # One line with a link: the privacy page it leads to says the rest.
    policy = text_of(soup(client.get(note.find("a")["href"])))
    assert "90 giorni" in policy
    assert "IP" in policy


def test_moderators_find_export_and_erase(app, logged_in):
    seed_maria(app)
    page = soup(logged_in.get(f"/moderation/privacy?email={MARIA}"))
    assert "Commenti con l'email maria@example.it: 2" in text_of(page)
    token = page.find("form", id="privacy-form").find("input", attrs={"name": "csrf_token"})
    data = {"csrf_token": token["value"], "email": MARIA}
    exported = logged_in.post("/moderation/privacy", data={**data, "action": "export"})
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert len(json.loads(exported.get_data())["comments"]) == 2
    unconfirmed = logged_in.post("/moderation/privacy", data={**data, "action": "anonymise"})
    assert unconfirmed.status_code == 422
    assert "Spunta la conferma" in text_of(soup(unconfirmed))
    done = logged_in.post(
        "/moderation/privacy", data={**data, "action": "anonymise", "confirm": "y"}
    )
    assert done.status_code == 303
    with app.app_context():
        assert not [c for c in comments_in_db() if c.email.lower() == MARIA]


def test_privacy_page_needs_a_moderator_and_a_token(app, client, logged_in):
    seed_maria(app)
    refused = logged_in.post(
        "/moderation/privacy", data={"email": MARIA, "action": "delete", "confirm": "y"}
    )
    assert refused.status_code in (400, 422)
    with app.app_context():
        assert len([c for c in comments_in_db() if c.email.lower() == MARIA]) == 2

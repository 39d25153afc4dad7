"""Annulla after Blocca takes the whole block back; what a block moved teaches
the learning filter nothing, even when Spam is emptied."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, ModerationEvent, SpamToken
from blog.spam.bayes_store import TOTALS
from tests.helpers import queue_token, soup, text_of
from tests.moderation.test_block import (
    FIREFOX,
    A,
    P,
    blocked_hosts,
    choose,
    disallowed,
    flashes_after,
    hidden_fields,
    pending,
    statuses,
)

# Annulla takes a whole block back


def press_undo(client, page) -> str:
    """Press the "Annulla" that a queue page shows with its message."""
    form = page.find("form", id="undo-form")
    assert form is not None and form["method"] == "post"
    undone = client.post(form["action"], data=hidden_fields(form))
    assert undone.status_code == 303
    return flashes_after(client, undone)


@pytest.mark.parametrize(
    ("choice", "word", "others"),
    [
        # More than a list of ids in the session cookie could carry.
        ("host", "spam.example.com", 105),
        ("email", "bot@spam.example", 2),
        ("ip", "203.0.113.9/32", 2),
    ],
)
def test_annulla_puts_back_every_comment_and_unblocks(logged_in, app, choice, word, others):
    with app.app_context():
        for n in range(others):
            pending(f"Bot {n}", "bot@spam.example", "203.0.113.9", "http://spam.example.com")
        target = pending("Bot", "bot@spam.example", "203.0.113.9", "http://spam.example.com")
        pending("Approvato", "bot@spam.example", "203.0.113.9", status=A)
        pending("Innocente", "i@example.it", "198.51.100.2", user_agent=FIREFOX)
    response = choose(logged_in, target, choice)
    page = soup(logged_in.get(response.headers["Location"]))
    moved = others + 1
    assert f"{moved} commenti in attesa spostati in Spam." in text_of(page.find(class_="flashes"))
    flashes = press_undo(logged_in, page)
    assert flashes == (
        f"Annullato: {moved} commenti sono tornati com'erano. «{word}» non è più bloccato."
    )
    with app.app_context():
        assert blocked_hosts() == [] and disallowed() == []
        now = statuses()
        assert now.pop("Approvato") == A
        assert set(now.values()) == {P}
        undos = db.session.scalars(
            sa.select(ModerationEvent).where(ModerationEvent.action == "undo")
        ).all()
        assert len(undos) == moved
        assert {(e.from_status, e.to_status) for e in undos} == {("spam", "pending")}
        assert all(e.moderator_id is not None for e in undos)
        assert db.session.get(SpamToken, TOTALS) is None


def test_annulla_leaves_what_was_blocked_before_and_what_moved_since(logged_in, app):
    with app.app_context():
        from blog.moderation import site_settings

        site_settings.save("COMMENT_BLOCKED_HOSTS", ["spam.example.com"])
        db.session.commit()
        target = pending("Bot", "bot@a.example", "203.0.113.9", "http://spam.example.com")
        moved_again = pending("Altro", "b@a.example", "203.0.113.8", "http://spam.example.com")
    response = choose(logged_in, target, "host")
    assert response.status_code == 303
    # Another decision since: one of the moved comments is taken out of Spam.
    token = queue_token(logged_in, "?status=spam")
    logged_in.post(
        f"/moderation/comments/{moved_again}/not_spam",
        data={"csrf_token": token, "next": "/moderation/?status=spam"},
    )
    logged_in.get("/moderation/?status=spam")  # that decision's message, shown once
    # The block's Annulla, as its page showed it.
    with app.app_context():
        events = db.session.scalars(
            sa.select(ModerationEvent.id).where(ModerationEvent.action == "block")
        ).all()
    data = {
        "csrf_token": token,
        "target": "host",
        "value": "",
        "events": f"{min(events)}-{max(events)}",
        "next": "/moderation/",
    }
    undone = logged_in.post("/moderation/undo/block", data=data)
    assert flashes_after(logged_in, undone) == (
        "Annullato: 1 commento è tornato com'era. "
        "Non annullato: 1 commento è cambiato nel frattempo."
    )
    with app.app_context():
        assert blocked_hosts() == ["spam.example.com"]
        assert statuses() == {"Bot": P, "Altro": P}


def test_annulla_after_a_block_that_moved_nothing_unblocks(logged_in, app):
    with app.app_context():
        target = pending("Bot", "bot@a.example", "203.0.113.9", "http://spam.example.com", status=A)
    response = choose(logged_in, target, "host", tab="approved")
    page = soup(logged_in.get(response.headers["Location"]))
    assert press_undo(logged_in, page) == "«spam.example.com» non è più bloccato."
    with app.app_context():
        assert blocked_hosts() == []


# What a block moved teaches the filter nothing, even when Spam is emptied


def totals() -> tuple[int, int]:
    row = db.session.get(SpamToken, TOTALS)
    return (row.spam_count, row.ham_count) if row else (0, 0)


def test_emptying_spam_after_a_block_teaches_nothing_of_what_it_moved(logged_in, app):
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "203.0.113.9", "http://spam.example.com")
        pending("Complice", "c@example.it", "198.51.100.1", "http://spam.example.com")
        judged = pending("Giudicato", "g@example.it", "198.51.100.2")
    token = queue_token(logged_in)
    logged_in.post(
        f"/moderation/comments/{judged}/spam", data={"csrf_token": token, "next": "/moderation/"}
    )
    with app.app_context():
        assert totals() == (1, 0)
    choose(logged_in, target, "host")
    page = soup(logged_in.get("/moderation/spam/empty"))
    form = page.find("form", id="confirm-form")
    response = logged_in.post(form["action"], data=hidden_fields(form))
    assert "3 commenti eliminati definitivamente." in flashes_after(logged_in, response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
        assert totals() == (1, 0), "only the comment a moderator judged was taught"

"""Svuota spam and Svuota cestino; `flask purge` deletes them after EMPTY_TRASH_DAYS."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus, Moderator, SpamLabel, SpamToken, utcnow
from blog.moderation.workflow import Action, apply_action
from blog.spam import bayes_store
from blog.spam.bayes_store import TOTALS
from tests.helpers import ARTICLE_URL, add_comment, comments_in_db, queue_token, soup, text_of

P, A, S, T = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
)
SPAMMY = "Compra pillole economiche casinò online bonus gratis"


def totals() -> tuple[int, int]:
    row = db.session.get(SpamToken, TOTALS)
    return (row.spam_count, row.ham_count) if row else (0, 0)


def statuses() -> list[tuple[str, CommentStatus]]:
    return [(comment.body, comment.status) for comment in comments_in_db()]


@pytest.mark.parametrize(("status", "label"), [(S, "Svuota spam"), (T, "Svuota cestino")])
def test_each_tab_empties_after_a_confirmation(logged_in, app, status, label):
    with app.app_context():
        for n in range(3):
            add_comment(status=status, comment=f"da eliminare {n}")
        add_comment(status=P, comment="resta in attesa")
        add_comment(status=A, comment="resta approvato")
    page = soup(logged_in.get(f"/moderation/?status={status.value}"))
    link = next(a for a in page.select("a.empty-link") if text_of(a) == label)
    assert link["href"] == f"/moderation/{status.value}/empty"

    confirm = logged_in.get(link["href"])  # looking changes nothing
    assert confirm.status_code == 200
    assert "Eliminare definitivamente tutti i 3 commenti?" in text_of(soup(confirm))
    with app.app_context():
        assert len(comments_in_db()) == 5

    form = soup(confirm).find("form", id="confirm-form")
    assert form["method"] == "post"
    data = {field["name"]: field["value"] for field in form.find_all("input")}
    response = logged_in.post(form["action"], data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/moderation/?status={status.value}"
    after = soup(logged_in.get(response.headers["Location"]))
    assert "3 commenti eliminati definitivamente." in text_of(after.find(class_="flashes"))
    assert after.select("li.queue-entry") == []
    with app.app_context():
        assert statuses() == [("resta in attesa", P), ("resta approvato", A)]


@pytest.mark.parametrize(
    ("count", "question", "note"),
    [
        (1, "Eliminare definitivamente 1 commento?", "il filtro che impara lo conterà come spam"),
        (
            2,
            "Eliminare definitivamente tutti i 2 commenti?",
            "il filtro che impara li conterà come spam",
        ),
    ],
)
def test_the_question_agrees_with_the_number(logged_in, app, count, question, note):
    with app.app_context():
        for n in range(count):
            add_comment(status=S, comment=f"spam {n}")
    said = text_of(soup(logged_in.get("/moderation/spam/empty")))
    assert question in said
    assert note in said


def test_the_pending_and_approved_tabs_cannot_be_emptied(logged_in, app):
    with app.app_context():
        add_comment(status=P)
    page = soup(logged_in.get("/moderation/?status=pending"))
    assert page.select("a.empty-link") == []
    token = queue_token(logged_in)
    for tab in ("pending", "approved"):
        assert logged_in.post(f"/moderation/{tab}/empty", data={"csrf_token": token}).status_code
        assert logged_in.get(f"/moderation/{tab}/empty").status_code == 404
    with app.app_context():
        assert len(comments_in_db()) == 1


def test_emptying_without_a_token_deletes_nothing(logged_in, app):
    with app.app_context():
        add_comment(status=S)
    assert logged_in.post("/moderation/spam/empty", data={}).status_code == 400
    with app.app_context():
        assert len(comments_in_db()) == 1


def test_an_empty_tab_says_there_is_nothing_to_delete(logged_in):
    page = soup(logged_in.get("/moderation/spam/empty"))
    assert "Non c'è niente da eliminare: lo spam è già vuoto." in text_of(page)
    assert page.find("form", id="confirm-form") is None


def test_emptying_spam_teaches_the_filter_as_deleting_each_would(logged_in, app):
    with app.app_context():
        caught = add_comment(status=S, comment=SPAMMY, author="Bot 1")  # by a trap: untaught
        marked = add_comment(status=P, comment=SPAMMY + " ancora", author="Bot 2")
        moderator = db.session.scalar(sa.select(Moderator))
        apply_action(marked, Action.SPAM, moderator)  # taught spam already
        db.session.commit()
        assert totals() == (1, 0)
        tokens = set(bayes_store.comment_tokens(caught))
    token = queue_token(logged_in, "?status=spam")
    logged_in.post("/moderation/spam/empty", data={"csrf_token": token})
    with app.app_context():
        assert comments_in_db() == []
        assert totals() == (2, 0), "each counted once as spam, none twice"
        counted = {
            row.token: row.spam_count
            for row in db.session.scalars(sa.select(SpamToken).where(SpamToken.token.in_(tokens)))
        }
        assert counted["pillole"] == 2


def test_emptying_the_trash_teaches_nothing(logged_in, app):
    with app.app_context():
        add_comment(status=T, comment=SPAMMY)
    logged_in.post(
        "/moderation/trash/empty", data={"csrf_token": queue_token(logged_in, "?status=trash")}
    )
    with app.app_context():
        assert comments_in_db() == []
        assert totals() == (0, 0)


def test_replies_to_an_emptied_comment_move_up_and_stay_shown(logged_in, app, client):
    with app.app_context():
        spam = add_comment(status=A, comment="poi segnato come spam")
        reply = add_comment(status=A, parent=spam, comment="una risposta che resta")
        apply_action(spam, Action.SPAM, db.session.scalar(sa.select(Moderator)))
        db.session.commit()
        reply_id = reply.id
    logged_in.post(
        "/moderation/spam/empty", data={"csrf_token": queue_token(logged_in, "?status=spam")}
    )
    with app.app_context():
        reply = db.session.get(Comment, reply_id)
        assert (reply.parent_id, reply.thread_id) == (None, reply_id)
        assert reply.article.approved_comment_count == 1
    page = soup(app.test_client().get(ARTICLE_URL))
    assert "una risposta che resta" in text_of(page.find("li", id=f"comment-{reply_id}"))


def age_status(comment_id: int, days: int) -> None:
    db.session.get(Comment, comment_id).status_changed_at = utcnow() - timedelta(days=days)
    db.session.commit()


def test_purge_deletes_spam_and_trash_that_entered_it_long_ago(app, runner):
    assert app.config["EMPTY_TRASH_DAYS"] == 30
    with app.app_context():
        for status in (P, A, S, T):
            old = add_comment(status=status, comment=f"vecchio {status}", age=timedelta(days=90))
            age_status(old.id, 31)
        # Written long ago, but only just sent to the trash: it stays.
        recent = add_comment(status=A, comment="cestinato oggi", age=timedelta(days=400))
        apply_action(recent, Action.TRASH, db.session.scalar(sa.select(Moderator)))
        db.session.commit()
        add_comment(status=S, comment="spam di ieri", age=timedelta(days=1))
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Commenti nello spam e nel cestino da più di 30 giorni eliminati: 2" in result.output
    with app.app_context():
        assert sorted(body for body, _ in statuses()) == sorted(
            ["vecchio pending", "vecchio approved", "cestinato oggi", "spam di ieri"]
        )
        assert totals() == (0, 0), "nobody decided: nothing is taught"


def test_purge_keeps_spam_and_trash_when_the_days_are_zero(app_config):
    from tests.helpers import fresh_blog

    with fresh_blog(app_config, EMPTY_TRASH_DAYS=0) as app:
        with app.app_context():
            comment_id = add_comment(status=S).id
            age_status(comment_id, 1000)
        result = app.test_cli_runner().invoke(args=["purge"])
        assert result.exit_code == 0
        assert "spam e nel cestino" not in result.output
        with app.app_context():
            assert db.session.get(Comment, comment_id) is not None


def test_a_comment_keeps_the_time_it_entered_its_status(logged_in, app):
    with app.app_context():
        comment = add_comment(status=P, age=timedelta(days=10))
        comment_id = comment.id
        assert comment.status_changed_at > comment.created_at + timedelta(days=9)
        age_status(comment_id, 5)
    token = queue_token(logged_in)
    logged_in.post(f"/moderation/comments/{comment_id}/spam", data={"csrf_token": token})
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.status_changed_at > utcnow() - timedelta(minutes=1)
        assert comment.spam_trained is SpamLabel.SPAM

"""The learning filter in the blog: taught by moderators, shared, scoring new comments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from blog import create_app
from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent, SpamLabel, SpamToken
from blog.moderation.workflow import LESSONS, Action, apply_action
from blog.privacy.personal_data import erase
from blog.spam import bayes, bayes_store
from blog.spam.bayes_store import TOTALS
from tests.helpers import Commenter, add_comment, comments_in_db, queue_token, soup, text_of

P, A, S, T = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
)
SPAMMY = "Compra pillole economiche casinò online bonus gratis"
HAMMY = "Ottima notizia per gli stabilimenti di Cassino e Pomigliano"


def counts() -> dict[str, tuple[int, int]]:
    """Every row of the token table, totals included."""
    return {
        token: (spam, ham)
        for token, spam, ham in db.session.execute(
            sa.select(SpamToken.token, SpamToken.spam_count, SpamToken.ham_count)
        )
    }


def act(client, comment_id: int, action: str, tab: str = "pending"):
    token = queue_token(client, f"?status={tab}")
    response = client.post(
        f"/moderation/comments/{comment_id}/{action}", data={"csrf_token": token}
    )
    assert response.status_code == 303
    return response


# Training from decisions, through the queue


@pytest.mark.parametrize(
    ("start", "action", "tab", "label"),
    [
        (P, "spam", "pending", SpamLabel.SPAM),
        (A, "spam", "approved", SpamLabel.SPAM),
        (P, "approve", "pending", SpamLabel.HAM),
        (S, "not_spam", "spam", SpamLabel.HAM),
    ],
)
def test_each_decision_teaches_the_filter(logged_in, app, start, action, tab, label):
    with app.app_context():
        comment = add_comment(status=start, comment=SPAMMY, author="Bot", email="x@spam.example")
        comment_id, comment_tokens = comment.id, bayes_store.comment_tokens(comment)
    act(logged_in, comment_id, action, tab)
    with app.app_context():
        learned = counts()
        one = (1, 0) if label is SpamLabel.SPAM else (0, 1)
        assert learned[TOTALS] == one
        assert {token: learned[token] for token in comment_tokens} == dict.fromkeys(
            comment_tokens, one
        )
        assert "pillole" in comment_tokens and "email:spam.example" in comment_tokens
        assert db.session.get(Comment, comment_id).spam_trained is label


def test_deleting_from_spam_teaches_spam(logged_in, app):
    with app.app_context():
        # Sent to Spam by a trap, never decided on: deleting it is the decision.
        comment_id = add_comment(status=S, comment=SPAMMY).id
    act(logged_in, comment_id, "delete", "spam")
    with app.app_context():
        assert db.session.get(Comment, comment_id) is None
        assert counts()[TOTALS] == (1, 0)
        assert counts()["pillole"] == (1, 0)


@pytest.mark.parametrize(
    ("start", "action", "tab"),
    [(P, "trash", "pending"), (A, "trash", "approved"), (A, "unapprove", "approved")],
)
def test_decisions_that_say_nothing_about_spam_teach_nothing(logged_in, app, start, action, tab):
    with app.app_context():
        comment_id = add_comment(status=start, comment=SPAMMY).id
    act(logged_in, comment_id, action, tab)
    with app.app_context():
        assert counts() == {}


def test_strangers_comments_teach_nothing(app, reader):
    """Only moderators train it: nobody can poison the filter by posting."""
    for number in range(5):
        reader.post(comment=f"{HAMMY} numero{number}", author=f"Lettore {number}")
    with app.app_context():
        assert len(comments_in_db()) == 5
        assert all(comment.spam_score is not None for comment in comments_in_db())
        assert counts() == {}


def test_the_lessons_cover_the_decisions_the_issue_names():
    assert set(LESSONS.values()) == {SpamLabel.SPAM, SpamLabel.HAM}
    assert {action for action, _ in LESSONS} == {
        Action.APPROVE,
        Action.NOT_SPAM,
        Action.SPAM,
        Action.DELETE,
    }


def test_spam_then_not_spam_then_approve_counts_once_as_ham(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P, comment=SPAMMY).id
    act(logged_in, comment_id, "spam")
    act(logged_in, comment_id, "not_spam", "spam")
    act(logged_in, comment_id, "approve")
    with app.app_context():
        learned = counts()
        assert learned[TOTALS] == (0, 1)
        assert learned["pillole"] == (0, 1)
    act(logged_in, comment_id, "spam", "approved")
    with app.app_context():
        learned = counts()
        assert learned[TOTALS] == (1, 0)
        assert learned["pillole"] == (1, 0)


def test_bulk_actions_teach_each_comment(logged_in, app):
    with app.app_context():
        ids = [add_comment(status=P, comment=f"{SPAMMY} numero{n}").id for n in range(3)]
    token = queue_token(logged_in)
    logged_in.post(
        "/moderation/bulk",
        data={"csrf_token": token, "action": "spam", "comment_ids": [str(i) for i in ids]},
    )
    with app.app_context():
        learned = counts()
        assert learned[TOTALS] == (3, 0)
        assert learned["pillole"] == (3, 0)
        assert learned["numero1"] == (1, 0)


def test_a_reply_that_approves_teaches_ham_and_the_reply_teaches_nothing(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P, comment=HAMMY).id
    token = queue_token(logged_in)
    logged_in.post(
        f"/moderation/comments/{comment_id}/reply",
        data={"csrf_token": token, "comment": "Grazie, risposta del moderatore"},
    )
    with app.app_context():
        learned = counts()
        assert learned[TOTALS] == (0, 1)
        assert "stabilimenti" in learned and "risposta" not in learned


def test_an_edit_moves_what_was_learned_to_the_new_text(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P, comment="vecchio testo pubblicitario").id
    act(logged_in, comment_id, "spam")
    page = soup(logged_in.get(f"/moderation/comments/{comment_id}/edit"))
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    logged_in.post(
        f"/moderation/comments/{comment_id}/edit",
        data={"csrf_token": token, "comment": "nuovo testo", "author": "Mario Rossi", "url": ""},
    )
    with app.app_context():
        learned = counts()
        assert "pubblicitario" not in learned and "vecchio" not in learned
        assert learned["nuovo"] == (1, 0)
        assert learned[TOTALS] == (1, 0)
    act(logged_in, comment_id, "not_spam", "spam")
    with app.app_context():
        learned = counts()
        assert learned["nuovo"] == (0, 1)
        assert learned[TOTALS] == (0, 1)


def test_privacy_erasure_takes_the_persons_comments_out_of_the_filter(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P, comment=HAMMY, email="via@example.it").id
        other_id = add_comment(status=P, comment="altro commento", email="resta@example.it").id
    act(logged_in, comment_id, "approve")
    act(logged_in, other_id, "approve")
    with app.app_context():
        assert "email:example.it" in counts()
        erase("via@example.it")
        db.session.commit()
        learned = counts()
        assert learned[TOTALS] == (0, 1)
        assert "stabilimenti" not in learned
        assert learned["email:example.it"] == (0, 1)
        assert db.session.get(Comment, comment_id).spam_trained is None


def test_a_decision_already_trained_elsewhere_is_not_counted_twice(app):
    """Two moderators at once: the second finds the comment trained and adds nothing."""
    with app.app_context():
        comment_id = add_comment(status=P, comment=SPAMMY).id
        db.session.rollback()  # SQLite: no read left open across the other's write
        with db.engine.begin() as other:  # another worker trains it
            other.execute(
                sa.update(Comment).where(Comment.id == comment_id).values(spam_trained="spam")
            )
        comment = db.session.get_one(Comment, comment_id)
        # …after this session read it untrained.
        set_committed_value(comment, "spam_trained", None)
        assert bayes_store.learn(comment, SpamLabel.SPAM) is False
        db.session.commit()
        assert counts() == {}
        assert comment.spam_trained is SpamLabel.SPAM


def test_counts_never_go_below_zero(app):
    with app.app_context():
        comment = add_comment(status=P, comment=SPAMMY)
        apply_action(comment, Action.SPAM)
        db.session.commit()
        bayes_store.reset()  # forgotten, then the comment is told to be spam again
        comment.spam_trained = SpamLabel.SPAM
        apply_action(comment, Action.NOT_SPAM)
        db.session.commit()
        assert all(spam >= 0 and ham >= 0 for spam, ham in counts().values())
        assert counts()["pillole"] == (0, 1)


# Scoring new comments


@pytest.fixture
def reader(app) -> Commenter:
    """A reader in a browser of their own (the moderator's client is signed in)."""
    return Commenter(app.test_client())


def train_through_the_queue(client, app, spam: int, ham: int) -> None:
    """Moderators decide on ``spam`` + ``ham`` comments, one by one."""
    with app.app_context():
        spam_ids = [
            add_comment(status=P, comment=f"{SPAMMY} offerta{n}", author=f"Bot {n}").id
            for n in range(spam)
        ]
        ham_ids = [
            add_comment(status=P, comment=f"{HAMMY} lettore{n}", author=f"Lettore {n}").id
            for n in range(ham)
        ]
    for comment_id in spam_ids:
        act(client, comment_id, "spam")
    for comment_id in ham_ids:
        act(client, comment_id, "approve")


@pytest.fixture
def app_config(app_config):
    # A small minimum, so that a test trains it through the queue in seconds.
    return {**app_config, "SPAM_MIN_TRAINING": 3, "COMMENT_MODERATION": "none"}


def test_before_the_minimum_training_the_filter_only_scores(logged_in, app, reader):
    train_through_the_queue(logged_in, app, spam=2, ham=5)
    reader.post(comment=SPAMMY + " ancora", author="Bot 9")
    with app.app_context():
        newest = comments_in_db()[-1]
        assert newest.spam_score is not None and newest.spam_score > 0.99
        assert newest.status == A  # COMMENT_MODERATION = none, and the filter does not act
        assert [e.action for e in newest.events] == []


def test_after_the_minimum_training_spam_goes_to_spam_with_its_reason(logged_in, app, reader):
    train_through_the_queue(logged_in, app, spam=3, ham=3)
    reader.post(comment=SPAMMY + " ancora", author="Bot 9")
    reader.post(comment=HAMMY + " davvero", author="Lettrice")
    with app.app_context():
        spam, ham = comments_in_db()[-2:]
        assert spam.status == S
        assert spam.spam_score >= 0.99
        (event,) = spam.events
        assert event.action == "filter" and event.moderator_id is None
        assert event.note.startswith("filtro che impara: punteggio 0,99") or event.note.startswith(
            "filtro che impara: punteggio 1,000"
        )
        named = event.note.split(" (", 1)[1].rstrip(")").split(", ")
        assert len(named) == 3 and set(named) <= set(bayes_store.comment_tokens(spam))
        assert ham.status == A
        assert ham.spam_score < 0.1
        assert ham.events == []


def test_a_doubtful_score_holds_the_comment_whatever_the_policy(app_config, app):
    with app.app_context():
        bayes_store.train([bayes.Message(SPAMMY)] * 5, SpamLabel.SPAM)
        bayes_store.train([bayes.Message(HAMMY)] * 5, SpamLabel.HAM)
        db.session.commit()
    # Spam words and ham words alike score about 0.5: held once the threshold is below.
    with second_app(app_config, SPAM_SCORE_HOLD=0.4) as other:
        Commenter(other.test_client()).post(comment="pillole economiche stabilimenti Cassino")
        with other.app_context():
            newest = comments_in_db()[-1]
            assert 0.4 <= newest.spam_score < 0.99
            assert newest.status == P
            assert "filtro che impara" in newest.events[0].note


@contextmanager
def second_app(app_config, **settings) -> Iterator:
    """Another app, as another worker or host would run, on the same database."""
    other = create_app({**app_config, **settings})
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_two_app_instances_share_one_filter(logged_in, app, app_config):
    with second_app(app_config) as other:
        Commenter(other.test_client()).post(comment=SPAMMY + " prima", author="Bot A")
        with other.app_context():
            assert comments_in_db()[-1].status == A  # nothing learned yet
        train_through_the_queue(logged_in, app, spam=3, ham=3)  # taught on the first
        Commenter(other.test_client()).post(comment=SPAMMY + " dopo", author="Bot B")
        with other.app_context():
            newest = comments_in_db()[-1]
            assert newest.status == S
            assert newest.spam_score >= 0.99


def test_scoring_reads_its_own_tokens_in_one_query(app):
    with app.app_context():
        bayes_store.train([bayes.Message(SPAMMY)], SpamLabel.SPAM)
        db.session.commit()
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            if statement != "BEGIN":  # SQLite's, for the read
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = bayes_store.score(
                bayes.Message("pillole nuove " + SPAMMY),
                bayes.FilterSettings.from_config(app.config),
            )
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == 1
        assert "IN" in statements[0]
        assert result.spam_messages == 1 and result.ham_messages == 0
        assert {token for token, _ in result.clues} >= {"pillole", "casinò"}


def test_a_moderators_comment_gets_no_score(logged_in, app, commenter):
    commenter.post(comment=SPAMMY)
    with app.app_context():
        newest = comments_in_db()[-1]
        assert newest.moderator_id is not None
        assert newest.spam_score is None


# The queue shows it


def test_the_queue_shows_the_score_and_the_words_that_weighed_most(logged_in, app, reader):
    train_through_the_queue(logged_in, app, spam=1, ham=1)
    reader.post(comment=SPAMMY + " ultima", author="Bot 9")
    with app.app_context():
        newest = comments_in_db()[-1]
        newest_id = newest.id
        words = [token for token, _ in newest.spam_words]
    page = soup(logged_in.get("/moderation/?status=approved"))
    entry = page.find("li", id=f"entry-{newest_id}")
    meta = {text_of(dt): dt.find_next_sibling("dd") for dt in entry.select(".entry-meta dt")}
    shown = text_of(meta["Punteggio spam"])
    assert shown.startswith("0,9") or shown.startswith("1,00")
    assert "pesano di più" in shown
    assert [text_of(word) for word in meta["Punteggio spam"].select(".spam-word")] == words
    assert len(words) == 5
    assert "pillole" in words or "compra" in words


def test_a_comment_without_a_score_shows_none(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P).id
    entry = soup(logged_in.get("/moderation/")).find("li", id=f"entry-{comment_id}")
    assert "Punteggio spam" not in text_of(entry)


def test_moderation_events_are_untouched_by_training(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P, comment=SPAMMY).id
    act(logged_in, comment_id, "spam")
    with app.app_context():
        actions = db.session.scalars(
            sa.select(ModerationEvent.action).where(ModerationEvent.comment_id == comment_id)
        ).all()
        assert actions == ["spam"]

"""The moderation state machine, the policy for new comments, and counts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, ModerationEvent
from blog.moderation.workflow import (
    Action,
    Policy,
    TransitionError,
    allowed_actions,
    apply_action,
    initial_status,
    status_counts,
)
from tests.helpers import add_comment, add_moderator

P, A, S, T = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
)
GONE = None

#: (action, from status) -> resulting status, or TransitionError.
TABLE = {
    (Action.APPROVE, P): A,
    (Action.APPROVE, A): TransitionError,
    (Action.APPROVE, S): TransitionError,
    (Action.APPROVE, T): TransitionError,
    (Action.UNAPPROVE, P): TransitionError,
    (Action.UNAPPROVE, A): P,
    (Action.UNAPPROVE, S): TransitionError,
    (Action.UNAPPROVE, T): TransitionError,
    (Action.SPAM, P): S,
    (Action.SPAM, A): S,
    (Action.SPAM, S): TransitionError,
    (Action.SPAM, T): TransitionError,
    (Action.NOT_SPAM, P): TransitionError,
    (Action.NOT_SPAM, A): TransitionError,
    (Action.NOT_SPAM, S): P,
    (Action.NOT_SPAM, T): TransitionError,
    (Action.TRASH, P): T,
    (Action.TRASH, A): T,
    (Action.TRASH, S): TransitionError,
    (Action.TRASH, T): TransitionError,
    (Action.RESTORE, P): TransitionError,
    (Action.RESTORE, A): TransitionError,
    (Action.RESTORE, S): TransitionError,
    (Action.RESTORE, T): P,
    (Action.DELETE, P): TransitionError,
    (Action.DELETE, A): TransitionError,
    (Action.DELETE, S): GONE,
    (Action.DELETE, T): GONE,
}


def test_table_covers_every_action_and_status():
    assert set(TABLE) == {(action, status) for action in Action for status in CommentStatus}


@pytest.mark.parametrize(("action", "start"), list(TABLE), ids=lambda v: str(v))
def test_transition(app, action, start):
    expected = TABLE[(action, start)]
    with app.app_context():
        moderator = add_moderator()
        comment = add_comment(status=start)
        comment_id = comment.id
        if expected is TransitionError:
            with pytest.raises(TransitionError):
                apply_action(comment, action, moderator)
            db.session.rollback()
            assert db.session.get(Comment, comment_id).status == start
            assert action not in allowed_actions(start)
            return
        assert action in allowed_actions(start)
        apply_action(comment, action, moderator)
        db.session.commit()
        stored = db.session.get(Comment, comment_id)
        if expected is GONE:
            assert stored is None
            return
        assert stored.status == expected
        (event,) = stored.events
        assert (event.action, event.from_status, event.to_status) == (
            action.value,
            start.value,
            expected.value,
        )
        assert event.moderator_id == moderator.id and event.created_at is not None


@pytest.mark.parametrize("before", [P, A])
def test_restore_returns_to_the_status_before_trash(app, before):
    with app.app_context():
        comment = add_comment(status=before)
        apply_action(comment, Action.TRASH)
        apply_action(comment, Action.RESTORE)
        db.session.commit()
        assert comment.status == before


def test_approved_count_follows_every_change(app):
    with app.app_context():
        article = db.session.scalar(sa.select(Article))
        first = add_comment(status=P)
        second = add_comment(status=P, comment="altro")
        version = article.comment_version
        apply_action(first, Action.APPROVE)
        apply_action(second, Action.APPROVE)
        assert article.approved_comment_count == 2
        apply_action(first, Action.SPAM)
        assert article.approved_comment_count == 1
        apply_action(second, Action.TRASH)
        assert article.approved_comment_count == 0
        apply_action(second, Action.RESTORE)
        assert article.approved_comment_count == 1
        assert article.comment_version > version


def test_deleting_a_comment_moves_its_replies_up_a_level(app):
    with app.app_context():
        root = add_comment()
        middle = add_comment(parent=root)
        leaf = add_comment(parent=middle)
        sibling = add_comment(parent=middle)
        apply_action(middle, Action.TRASH)
        apply_action(middle, Action.DELETE)
        db.session.commit()
        assert db.session.get(Comment, middle.id) is None
        assert db.session.get(Comment, leaf.id).parent_id == root.id
        assert db.session.get(Comment, sibling.id).parent_id == root.id
        assert (
            db.session.scalar(
                sa.select(sa.func.count(ModerationEvent.id)).where(
                    ModerationEvent.comment_id == middle.id
                )
            )
            == 0
        )


def test_deleting_a_top_level_comment_makes_its_replies_top_level(app):
    with app.app_context():
        root = add_comment()
        reply = add_comment(parent=root)
        apply_action(root, Action.TRASH)
        apply_action(root, Action.DELETE)
        db.session.commit()
        assert db.session.get(Comment, reply.id).parent_id is None


def test_status_counts(app):
    with app.app_context():
        for status, number in ((P, 3), (A, 2), (S, 1)):
            for index in range(number):
                add_comment(status=status, comment=f"{status} {index}")
        assert status_counts() == {P: 3, A: 2, S: 1, T: 0}


POLICY_TABLE = [
    (Policy.ALL, False, False, P),
    (Policy.ALL, True, False, P),
    (Policy.ALL, False, True, A),
    (Policy.FIRST_TIME, False, False, P),
    (Policy.FIRST_TIME, True, False, A),
    (Policy.FIRST_TIME, False, True, A),
    (Policy.NONE, False, False, A),
    (Policy.NONE, False, True, A),
]


@pytest.mark.parametrize(("policy", "known", "by_moderator", "expected"), POLICY_TABLE)
def test_initial_status_by_policy(app, policy, known, by_moderator, expected):
    with app.app_context():
        if known:
            add_comment(author="Mario Rossi", email="mario@example.it")
        add_comment(status=P, author="Mario Rossi", email="altro@example.it")
        status = initial_status(
            policy, author="Mario Rossi", email="mario@example.it", by_moderator=by_moderator
        )
        assert status == expected


def test_first_time_needs_the_same_name_and_email(app):
    with app.app_context():
        add_comment(author="Mario Rossi", email="mario@example.it")
        assert initial_status("first_time", author="Mario", email="mario@example.it") == P
        assert initial_status("first_time", author="Mario Rossi", email="m@example.it") == P


def test_every_event_of_the_audit_trail_has_an_italian_label():
    from blog import messages
    from blog.moderation.workflow import Event

    assert set(Event) <= set(messages.EVENT_LABELS)
    assert all(label and label != str(event) for event, label in messages.EVENT_LABELS.items())

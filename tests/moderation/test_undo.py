"""Annulla: after an action, the queue offers to put the comments back as they were."""

from __future__ import annotations

import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent, Moderator, SpamLabel, SpamToken
from blog.moderation.workflow import Action, apply_action
from blog.spam.bayes_store import TOTALS
from tests.helpers import add_comment, add_moderator, queue_token, soup, text_of

P, A, S, T = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
)


def act(client, comment_id: int, action: str, tab: str = "pending"):
    token = queue_token(client, f"?status={tab}")
    here = f"/moderation/?status={tab}"
    return client.post(
        f"/moderation/comments/{comment_id}/{action}", data={"csrf_token": token, "next": here}
    )


def undo_form(page):
    form = page.find("form", id="undo-form")
    assert form is not None, "no Annulla on the page"
    return form, {field["name"]: field["value"] for field in form.find_all("input")}


def press_undo(client, page):
    form, data = undo_form(page)
    response = client.post(form["action"], data=data)
    assert response.status_code == 303
    return soup(client.get(response.headers["Location"]))


def totals() -> tuple[int, int]:
    row = db.session.get(SpamToken, TOTALS)
    return (row.spam_count, row.ham_count) if row else (0, 0)


def test_annulla_puts_an_approved_comment_back_and_forgets_the_lesson(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P).id
    response = act(logged_in, comment_id, "approve")
    page = soup(logged_in.get(response.headers["Location"]))
    flashes = page.find(class_="flashes")
    assert text_of(flashes) == "1 commento approvato. Annulla"
    form, _ = undo_form(page)
    assert form["method"] == "post" and form.find("input", attrs={"name": "csrf_token"})
    with app.app_context():
        assert totals() == (0, 1)

    after = press_undo(logged_in, page)
    assert "Annullato: 1 commento è tornato com'era." in text_of(after.find(class_="flashes"))
    assert after.find("form", id="undo-form") is None, "an undo is not undone"
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.status == P
        assert comment.spam_trained is None and totals() == (0, 0)
        assert comment.article.approved_comment_count == 0
        assert [(e.action, e.from_status, e.to_status) for e in comment.events] == [
            ("approve", "pending", "approved"),
            ("undo", "approved", "pending"),
        ]
    history = text_of(after.find("li", id=f"entry-{comment_id}").select_one(".entry-history"))
    assert "Annullato da Anna la moderatrice" in history


def test_annulla_takes_spam_back_to_approved_and_the_lesson_to_ham(logged_in, app):
    """No action leads from Spam to approved: undo has a path of its own."""
    with app.app_context():
        comment_id = add_comment(status=P).id
    act(logged_in, comment_id, "approve")
    response = act(logged_in, comment_id, "spam", tab="approved")
    page = soup(logged_in.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.get(Comment, comment_id).spam_trained is SpamLabel.SPAM
        assert totals() == (1, 0)
    press_undo(logged_in, page)
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.status == A
        assert comment.spam_trained is SpamLabel.HAM and totals() == (0, 1)
        assert comment.article.approved_comment_count == 1


def test_annulla_is_refused_once_the_comment_changed_again(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P).id
        other = add_moderator("bruno", display_name="Bruno")
        other_id = other.id
    response = act(logged_in, comment_id, "approve")
    page = soup(logged_in.get(response.headers["Location"]))
    with app.app_context():
        apply_action(
            db.session.get(Comment, comment_id), Action.TRASH, db.session.get(Moderator, other_id)
        )
        db.session.commit()
    after = press_undo(logged_in, page)
    assert text_of(after.find(class_="flashes")) == (
        "Non annullato: 1 commento è cambiato nel frattempo."
    )
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.status == T
        assert [e.action for e in comment.events] == ["approve", "trash"]


def test_annulla_after_a_bulk_action_puts_back_what_it_can(logged_in, app):
    with app.app_context():
        ids = [add_comment(status=P, comment=f"c{n}").id for n in range(3)]
    response = logged_in.post(
        "/moderation/bulk",
        data={
            "csrf_token": queue_token(logged_in),
            "action": "approve",
            "comment_ids": [str(i) for i in ids],
            "next": "/moderation/?status=pending",
        },
    )
    page = soup(logged_in.get(response.headers["Location"]))
    assert text_of(page.find(class_="flashes")) == "3 commenti approvati. Annulla"
    changed = act(logged_in, ids[0], "unapprove", tab="approved")  # changed since
    logged_in.get(changed.headers["Location"])
    after = press_undo(logged_in, page)
    assert [text_of(p) for p in after.select(".flashes .flash")] == [
        "Annullato: 2 commenti sono tornati com'erano.",
        "Non annullato: 1 commento è cambiato nel frattempo.",
    ]
    with app.app_context():
        assert [db.session.get(Comment, i).status for i in ids] == [P, P, P]
        # The first went back by its own unapproval, not by the undo.
        assert [e.action for e in db.session.get(Comment, ids[0]).events] == [
            "approve",
            "unapprove",
        ]


def test_nobody_undoes_another_moderators_action(app, client, auth):
    with app.app_context():
        add_moderator()
        bruno = add_moderator("bruno", display_name="Bruno")
        comment = add_comment(status=P)
        apply_action(comment, Action.SPAM, bruno)
        db.session.commit()
        comment_id = comment.id
        event_id = db.session.scalar(sa.select(ModerationEvent.id))
    auth.login()
    response = client.post(
        "/moderation/undo",
        data={"csrf_token": queue_token(client), "events": str(event_id), "next": ""},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == S


def test_annulla_is_offered_once_and_never_for_a_deletion(logged_in, app):
    with app.app_context():
        kept = add_comment(status=P).id
        gone = add_comment(status=T, comment="via per sempre").id
    act(logged_in, kept, "approve")
    assert soup(logged_in.get("/moderation/")).find("form", id="undo-form") is not None
    assert soup(logged_in.get("/moderation/")).find("form", id="undo-form") is None
    response = act(logged_in, gone, "delete", tab="trash")
    assert soup(logged_in.get(response.headers["Location"])).find("form", id="undo-form") is None


def test_undo_wants_a_post_with_a_token(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P).id
    act(logged_in, comment_id, "approve")
    with app.app_context():
        event_id = db.session.scalar(sa.select(ModerationEvent.id))
    assert logged_in.get(f"/moderation/undo?events={event_id}").status_code == 405
    assert logged_in.post("/moderation/undo", data={"events": str(event_id)}).status_code == 400
    bad = logged_in.post(
        "/moderation/undo", data={"csrf_token": queue_token(logged_in), "events": "1;2"}
    )
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == A

"""Staff who comment are staff: the form knows them, the comment says so, and
a signed-in moderator moderates from the article page, which nobody else is
ever given."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus, Moderator
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    add_comment,
    comments_in_db,
    form_fields,
    soup,
    text_of,
)


def set_account(app, **fields) -> None:
    with app.app_context():
        moderator = db.session.scalar(sa.select(Moderator))
        for name, value in fields.items():
            setattr(moderator, name, value)
        db.session.commit()


def test_a_moderators_form_says_who_they_are_instead_of_asking(logged_in):
    page = soup(logged_in.get(ARTICLE_URL))
    form = page.find("form", id="commentform")
    for name in ("author", "email", "url", "wp-comment-cookies-consent"):
        assert form.find(attrs={"name": name}) is None, name
    assert text_of(form.find(class_="logged-in-as")) == "Connesso come Anna la moderatrice. Esci?"
    # "Esci?" logs out: a POST with the session's token, from a form of its own.
    button = form.find(class_="logged-in-as").find("button")
    logout = page.find("form", id=button["form"])
    assert logout["action"] == "/moderation/logout" and logout["method"] == "post"
    assert logout.find("input", attrs={"name": "csrf_token"})["value"]


def test_a_readers_form_still_asks(client):
    form = soup(client.get(ARTICLE_URL)).find("form", id="commentform")
    assert form.find(class_="logged-in-as") is None
    assert {"author", "email", "url"} <= {field.get("name") for field in form.find_all("input")}


def staff_post(client, **fields: str):
    """A moderator's comment as their form sends it: the text and the hidden fields."""
    data = form_fields(soup(client.get(ARTICLE_URL)))
    data.update(fields)
    return client.post(POST_URL, data=data)


def test_the_comment_takes_name_email_and_site_from_the_account(app, logged_in):
    set_account(app, email="anna@example.it", url="https://anna.example/")
    response = staff_post(
        logged_in, comment="Grazie a tutti.", author="Impostore", email="finto@example.it"
    )
    assert response.status_code == 303
    with app.app_context():
        (comment,) = comments_in_db()
        assert (comment.author, comment.email, comment.url, comment.status) == (
            "Anna la moderatrice",
            "anna@example.it",
            "https://anna.example/",
            CommentStatus.APPROVED,
        )
        assert comment.moderator_id is not None


def test_a_moderator_with_no_email_comments_all_the_same(app, logged_in):
    response = staff_post(logged_in, comment="Senza email.")
    assert response.status_code == 303
    with app.app_context():
        (comment,) = comments_in_db()
        assert (comment.author, comment.email) == ("Anna la moderatrice", "")


def test_a_moderators_comment_still_needs_its_text_and_token(app, logged_in):
    response = staff_post(logged_in, comment="")
    assert response.status_code == 422
    assert "Scrivi il testo del commento." in text_of(soup(response).find(id="form-notice"))
    response = staff_post(logged_in, comment="Testo", csrf_token="falso")
    assert response.status_code == 400
    with app.app_context():
        assert comments_in_db() == []


def test_a_staff_comment_carries_a_badge_for_every_reader(app, logged_in):
    staff_post(logged_in, comment="Risponde la redazione.")
    with app.app_context():
        reader_comment = add_comment(comment="Un lettore").id
        (staff_comment,) = [c.id for c in comments_in_db() if c.moderator_id]
    page = soup(app.test_client().get(ARTICLE_URL))
    badge = page.find("li", id=f"comment-{staff_comment}").find(class_="badge-staff")
    assert text_of(badge) == "Redazione"
    assert page.find("li", id=f"comment-{reader_comment}").find(class_="badge-staff") is None


def staff_actions(page, comment_id: int):
    return page.find("li", id=f"comment-{comment_id}").find(class_="staff-actions")


def test_a_moderator_edits_and_moderates_from_the_article_page(app, logged_in):
    with app.app_context():
        comment_id = add_comment(comment="Da togliere").id
    page = soup(logged_in.get(ARTICLE_URL))
    actions = staff_actions(page, comment_id)
    edit = actions.find("a", string="Modifica")
    assert edit["href"].startswith(f"/moderation/comments/{comment_id}/edit?next=")
    forms = {form["action"]: form for form in actions.find_all("form")}
    assert set(forms) == {
        f"/moderation/comments/{comment_id}/{action}" for action in ("unapprove", "spam", "trash")
    }
    trash = forms[f"/moderation/comments/{comment_id}/trash"]
    assert text_of(trash.find("button")) == "Cestina"
    data = {field["name"]: field["value"] for field in trash.find_all("input")}
    assert data["csrf_token"]
    response = logged_in.post(trash["action"], data=data)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(ARTICLE_URL)
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == CommentStatus.TRASH
    back = soup(logged_in.get(response.headers["Location"]))
    assert "1 commento spostato nel cestino." in text_of(back.find(class_="flashes"))
    # "Annulla" beside the message, and back to the article.
    undo = back.find("form", id="undo-form")
    data = {field["name"]: field["value"] for field in undo.find_all("input")}
    assert data["next"] == f"{ARTICLE_URL}#comments"
    undone = logged_in.post(undo["action"], data=data)
    assert undone.status_code == 303 and undone.headers["Location"] == f"{ARTICLE_URL}#comments"
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == CommentStatus.APPROVED
    assert staff_actions(soup(logged_in.get(ARTICLE_URL)), comment_id) is not None
    # Without the token nothing happens.
    with app.app_context():
        other = add_comment(comment="Resta").id
    refused = logged_in.post(f"/moderation/comments/{other}/spam", data={"next": ARTICLE_URL})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(Comment, other).status == CommentStatus.APPROVED


def test_the_edit_link_comes_back_to_the_comment(app, logged_in):
    with app.app_context():
        comment_id = add_comment(comment="Da correggere").id
    edit = staff_actions(soup(logged_in.get(ARTICLE_URL)), comment_id).find("a", string="Modifica")
    page = soup(logged_in.get(edit["href"]))
    data = form_fields(page, "edit-form")
    data["comment"] = "Corretto"
    response = logged_in.post(edit["href"].split("?")[0], data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#comment-{comment_id}")
    assert response.headers["Location"].startswith(ARTICLE_URL)


@pytest.mark.parametrize("moderator_first", [True, False])
def test_a_moderators_page_is_never_anybody_elses(app, logged_in, moderator_first):
    """Personal to the moderator: no shared cache keeps it (the page server,
    the comment-page cache, nginx and browsers by its headers)."""
    with app.app_context():
        comment_id = add_comment(comment="Un commento").id
    reader = app.test_client()
    if not moderator_first:
        reader.get(ARTICLE_URL)
        reader.get(ARTICLE_URL)  # now kept by the page server
    theirs = logged_in.get(ARTICLE_URL)
    assert theirs.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in theirs.headers
    assert staff_actions(soup(theirs), comment_id) is not None
    for _ in range(2):  # rendered, then from the page server's memory
        shared = reader.get(ARTICLE_URL)
        assert shared.headers["Cache-Control"].startswith("public")
        page = soup(shared)
        assert staff_actions(page, comment_id) is None
        assert page.find(class_="logged-in-as") is None
        assert "csrf_token" not in shared.get_data(as_text=True)
        assert "Anna la moderatrice" not in text_of(page)

"""Fixing or withdrawing one's own comment: from the browser that wrote it, and only there."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from blog.comments.own import written_stamp
from blog.comments.sanitize import comment_to_html
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, ModerationEvent, WebhookDelivery, utcnow
from blog.moderation.workflow import Action, apply_action
from blog.spam.rules import EDIT_FORM_TIME_SALT, FORM_TIME_SALT
from tests.helpers import (
    ARTICLE_URL,
    SLUG,
    Commenter,
    add_moderator,
    form_fields,
    fresh_blog,
    soup,
    text_of,
)
from tests.support.mail_server import SmtpServer, body_of

FIRST = "Il primo testo, con un refuso: Pomiglaino."
FIXED = "Il testo corretto: Pomigliano. Vedi https://esempio.it/ <script>x()</script>"


def edit_url(comment_id: int) -> str:
    return f"/{SLUG}/modifica/{comment_id}"


def withdraw_url(comment_id: int) -> str:
    return f"/{SLUG}/ritira/{comment_id}"


def post_own(app, client, **fields) -> int:
    """Post a comment from ``client``'s browser; return its id."""
    response = Commenter(client).post(**{"comment": FIRST, **fields})
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Comment.id)))


def stored(app, comment_id: int) -> Comment | None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        if comment is not None:
            db.session.expunge(comment)
        return comment


def events(app, comment_id: int) -> list[tuple[str, str | None, str | None, str | None]]:
    with app.app_context():
        return [
            (event.action, event.from_status, event.to_status, event.note)
            for event in db.session.scalars(
                sa.select(ModerationEvent)
                .where(ModerationEvent.comment_id == comment_id)
                .order_by(ModerationEvent.id)
            )
        ]


def save(client, comment_id: int, text: str):
    page = soup(client.get(edit_url(comment_id)))
    data = form_fields(page, "edit-own-form")
    data["comment"] = text
    return client.post(edit_url(comment_id), data=data)


def approve(app, comment_id: int, minutes_ago: float = 0) -> None:
    with app.app_context():
        comment = db.session.get_one(Comment, comment_id)
        apply_action(comment, Action.APPROVE)
        db.session.commit()
        comment.approved_at = utcnow() - timedelta(minutes=minutes_ago)
        db.session.commit()


def own_link(page, comment_id: int):
    return page.find("li", id=f"comment-{comment_id}").find(class_="comment-own-actions")


# While it waits


def test_the_author_fixes_a_waiting_comment(app, client):
    comment_id = post_own(app, client)
    page = soup(client.get(ARTICLE_URL + "?cpage=1"))
    link = own_link(page, comment_id).find("a")
    assert text_of(link) == "Modifica o ritira il tuo commento"
    assert link["href"] == edit_url(comment_id)
    form_page = soup(client.get(link["href"]))
    assert text_of(form_page.find("h1")) == "Modifica il tuo commento"
    assert form_fields(form_page, "edit-own-form")["comment"].strip() == FIRST
    response = save(client, comment_id, FIXED)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{ARTICLE_URL}?cpage=1#comment-{comment_id}"
    comment = stored(app, comment_id)
    assert comment.body == FIXED
    assert comment.body_html == comment_to_html(FIXED)
    assert "<script" not in comment.body_html
    assert comment.status == CommentStatus.PENDING
    assert comment.edited_at is not None
    assert events(app, comment_id) == [("self_edit", "pending", "pending", None)]
    page = soup(client.get(response.headers["Location"]))
    assert "Modifica salvata." in text_of(page.find(class_="flashes"))
    item = page.find("li", id=f"comment-{comment_id}")
    assert "Pomigliano." in text_of(item) and "Pomiglaino" not in text_of(item)
    assert item.find(class_="comment-edited") is None, "only an approved comment says so"


def test_the_author_withdraws_a_waiting_comment(app, client):
    comment_id = post_own(app, client)
    page = soup(client.get(edit_url(comment_id)))
    data = form_fields(page, "withdraw-own-form")
    response = client.post(withdraw_url(comment_id), data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{ARTICLE_URL}#comments"
    assert stored(app, comment_id).status == CommentStatus.TRASH
    assert events(app, comment_id) == [("withdraw", "pending", "trash", None)]
    page = soup(client.get(ARTICLE_URL))
    assert "Commento ritirato" in text_of(page.find(class_="flashes"))
    assert page.find("li", id=f"comment-{comment_id}") is None
    # Forgotten by its browser: nothing more to do with it.
    assert client.get(edit_url(comment_id)).status_code == 404


def test_moderators_read_the_authors_changes_in_the_history(app, client, auth, moderator):
    comment_id = post_own(app, client)
    save(client, comment_id, FIXED)
    approve(app, comment_id)
    auth.login()
    queue = soup(client.get("/moderation/?status=approved"))
    history = text_of(queue.find(id=f"entry-{comment_id}"))
    assert "Modificato dall'autore" in history
    lines = [text_of(li) for li in queue.select(f"#entry-{comment_id} .entry-history li")]
    edited = next(line for line in lines if line.startswith("Modificato dall'autore"))
    # The author is the actor: no "da sistema" after it.
    assert edited.startswith("Modificato dall'autore il "), edited
    assert "sistema" not in history


def test_a_comment_in_spam_stays_there_whatever_its_author_writes(app, client):
    app.config["COMMENT_DISALLOWED_KEYS"] = ["casinò"]
    comment_id = post_own(app, client, comment="Venite al casinò")
    assert stored(app, comment_id).status == CommentStatus.SPAM
    page = soup(client.get(ARTICLE_URL + "?cpage=1"))
    assert own_link(page, comment_id) is not None, "shown as waiting, like any other"
    assert save(client, comment_id, "Un commento innocuo").status_code == 303
    assert stored(app, comment_id).status == CommentStatus.SPAM


# After approval


def test_an_approved_comment_can_be_fixed_for_a_while_and_says_so(app, client):
    app.config["COMMENT_MODERATION"] = "none"
    comment_id = post_own(app, client)
    assert stored(app, comment_id).status == CommentStatus.APPROVED
    page = soup(client.get(ARTICLE_URL))
    assert own_link(page, comment_id) is not None
    stranger = app.test_client()
    before = stranger.get(ARTICLE_URL)
    assert own_link(soup(before), comment_id) is None
    assert save(client, comment_id, "Testo corretto dopo l'approvazione.").status_code == 303
    comment = stored(app, comment_id)
    assert comment.status == CommentStatus.APPROVED
    assert events(app, comment_id) == [("self_edit", "approved", "approved", None)]
    after = stranger.get(ARTICLE_URL, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["Cache-Control"].startswith("public")
    item = soup(after).find("li", id=f"comment-{comment_id}")
    assert text_of(item.find(class_="comment-edited")) == "(modificato)"
    assert "Testo corretto dopo l'approvazione." in text_of(item)
    assert own_link(soup(after), comment_id) is None


def test_an_edit_the_screening_holds_goes_back_to_pending(app, client):
    app.config["COMMENT_MODERATION"] = "none"
    comment_id = post_own(app, client)
    with app.app_context():
        assert db.session.scalar(sa.select(Article.approved_comment_count)) == 1
    spammy = "Offerta: https://uno.example/ e https://due.example/"
    response = save(client, comment_id, spammy)
    assert response.status_code == 303
    assert stored(app, comment_id).status == CommentStatus.PENDING
    assert events(app, comment_id) == [("self_edit", "approved", "pending", "2 link")]
    with app.app_context():
        assert db.session.scalar(sa.select(Article.approved_comment_count)) == 0
    page = soup(client.get(response.headers["Location"]))
    assert "di nuovo in attesa di moderazione" in text_of(page.find(class_="flashes"))
    assert page.find("li", id=f"comment-{comment_id}").find(class_="comment-awaiting-moderation")
    assert soup(app.test_client().get(ARTICLE_URL)).find("li", id=f"comment-{comment_id}") is None


def test_an_approved_comment_can_be_withdrawn_within_the_window(app, client):
    app.config["COMMENT_MODERATION"] = "none"
    comment_id = post_own(app, client)
    data = form_fields(soup(client.get(edit_url(comment_id))), "withdraw-own-form")
    assert client.post(withdraw_url(comment_id), data=data).status_code == 303
    assert stored(app, comment_id).status == CommentStatus.TRASH
    with app.app_context():
        assert db.session.scalar(sa.select(Article.approved_comment_count)) == 0
    assert soup(app.test_client().get(ARTICLE_URL)).find("li", id=f"comment-{comment_id}") is None


def test_the_window_starts_at_approval(app, client):
    comment_id = post_own(app, client)
    written = utcnow() - timedelta(days=2)
    with app.app_context():
        db.session.get_one(Comment, comment_id).created_at = written
        db.session.commit()
    with client.session_transaction() as session:  # as if written two days ago
        session["my_comments"] = [[comment_id, written_stamp(written)]]
    approve(app, comment_id, minutes_ago=14)
    assert client.get(edit_url(comment_id)).status_code == 200
    assert save(client, comment_id, "Ancora in tempo.").status_code == 303


@pytest.mark.parametrize("minutes_ago", [16, 60 * 24])
def test_after_the_window_nothing_can_be_changed(app, client, minutes_ago):
    comment_id = post_own(app, client)
    approve(app, comment_id, minutes_ago=minutes_ago)
    for response in (
        client.get(edit_url(comment_id)),
        client.post(edit_url(comment_id), data={"comment": "Troppo tardi"}),
        client.post(withdraw_url(comment_id)),
    ):
        assert response.status_code == 403
        assert "per 15 minuti dopo l'approvazione" in text_of(soup(response))
    comment = stored(app, comment_id)
    assert (comment.body, comment.status) == (FIRST, CommentStatus.APPROVED)
    assert events(app, comment_id) == [("approve", "pending", "approved", None)]


def test_a_settled_comment_is_forgotten_and_the_page_is_shared_again(app, client):
    comment_id = post_own(app, client)
    assert client.get(ARTICLE_URL).headers["Cache-Control"] == "private, no-store"
    approve(app, comment_id, minutes_ago=30)
    settled = client.get(ARTICLE_URL)
    assert own_link(soup(settled), comment_id) is None
    # The session had nothing else: its cookie goes, and the next page is everyone's.
    assert "session=;" in settled.headers.get("Set-Cookie", "")
    again = client.get(ARTICLE_URL)
    assert again.headers["Cache-Control"].startswith("public")


def test_edit_minutes_is_configurable(app, client):
    app.config["COMMENT_EDIT_MINUTES"] = 60
    comment_id = post_own(app, client)
    approve(app, comment_id, minutes_ago=45)
    assert client.get(edit_url(comment_id)).status_code == 200


# Nobody else, whatever they send


def test_another_browser_can_do_nothing(app, client):
    comment_id = post_own(app, client)
    stranger = app.test_client()
    Commenter(stranger).post(comment="Un commento mio", author="Altro", email="altro@example.it")
    page = soup(stranger.get(ARTICLE_URL + "?cpage=1"))
    assert page.find(id=f"comment-{comment_id}") is None
    for response in (
        stranger.get(edit_url(comment_id)),
        stranger.post(edit_url(comment_id), data={"comment": "Dirottato"}),
        stranger.post(withdraw_url(comment_id)),
    ):
        assert response.status_code == 404
        assert "Pagina non trovata" in text_of(soup(response))
    comment = stored(app, comment_id)
    assert (comment.body, comment.status) == (FIRST, CommentStatus.PENDING)
    assert events(app, comment_id) == []


def test_a_forged_session_cookie_is_worth_nothing(app, client):
    comment_id = post_own(app, client)
    forger = app.test_client()
    forger.set_cookie("session", f'{{"my_comments":[[{comment_id},"x"]]}}')
    assert forger.get(edit_url(comment_id)).status_code == 404
    assert forger.post(withdraw_url(comment_id)).status_code == 404
    assert stored(app, comment_id).status == CommentStatus.PENDING


def test_an_id_given_again_to_another_comment_is_not_the_authors(app, client):
    """SQLite gives a deleted comment's id to the next one: the browser
    remembers when its comment was written too."""
    comment_id = post_own(app, client)
    with app.app_context():
        # Another comment under the same id: written at another moment.
        db.session.get_one(Comment, comment_id).created_at = utcnow() - timedelta(seconds=5)
        db.session.commit()
    assert client.get(edit_url(comment_id)).status_code == 404
    assert client.post(withdraw_url(comment_id)).status_code == 404
    # Nor is it shown to that browser as its own waiting comment.
    assert soup(client.get(ARTICLE_URL + "?cpage=1")).find(id=f"comment-{comment_id}") is None


def test_the_authors_other_comments_and_other_articles_are_not_reachable(app, client):
    comment_id = post_own(app, client)
    assert client.get(f"/altro-articolo/modifica/{comment_id}").status_code == 404
    assert client.get(f"/{SLUG}/modifica/{comment_id + 1}").status_code == 404
    assert client.get(f"/{SLUG}/modifica/99999999999").status_code == 404


@pytest.mark.parametrize("status", [CommentStatus.TRASH, None])
def test_a_comment_trashed_or_deleted_by_a_moderator_is_gone(app, client, status):
    comment_id = post_own(app, client)
    with app.app_context():
        comment = db.session.get_one(Comment, comment_id)
        apply_action(comment, Action.TRASH)
        if status is None:
            apply_action(comment, Action.DELETE)
        db.session.commit()
    assert client.get(edit_url(comment_id)).status_code == 404
    assert client.post(withdraw_url(comment_id)).status_code == 404


def test_an_edit_from_another_site_is_refused(app, client):
    comment_id = post_own(app, client)
    response = client.post(
        edit_url(comment_id), data={"comment": "Da fuori"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert stored(app, comment_id).body == FIRST


def test_an_empty_edit_is_refused_in_italian_and_changes_nothing(app, client):
    comment_id = post_own(app, client)
    response = save(client, comment_id, "   ")
    assert response.status_code == 422
    page = soup(response)
    assert "Scrivi il testo del commento." in text_of(page.find(id="comment-error"))
    assert stored(app, comment_id).body == FIRST


def test_a_moderators_edit_form_carries_a_token(app, client, auth):
    add_moderator_and_login(app, auth)
    comment_id = post_own(app, client)
    page = soup(client.get(edit_url(comment_id)))
    assert page.find("form", id="edit-own-form").find("input", attrs={"name": "csrf_token"})
    refused = client.post(edit_url(comment_id), data={"comment": "Senza token"})
    assert refused.status_code == 422
    assert "il tuo testo è ancora qui" in text_of(soup(refused))
    assert stored(app, comment_id).body == FIRST
    assert save(client, comment_id, "Con il token").status_code == 303
    assert stored(app, comment_id).body == "Con il token"


def add_moderator_and_login(app, auth) -> None:
    with app.app_context():
        add_moderator()
    assert auth.login().status_code == 303


# An edit is news: moderators read it before readers do


PHISHING = "Accedi qui per il rimborso: https://banca-sicura.example/login"


def signed_ago(app, salt: str, value: int, seconds: int) -> str:
    """A genuine form time (the comment form's or an edit form's), signed ``seconds`` ago."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt, signer=PastSigner).dumps(
        value
    )


def article_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Article.id))


@pytest.mark.parametrize("policy", ["all", "first_time"])
def test_an_edit_of_an_approved_comment_waits_where_readers_wait(app, client, policy):
    """It stayed published, marked only "(modificato)": a harmless comment,
    approved, became a phishing link."""
    app.config["COMMENT_MODERATION"] = policy
    comment_id = post_own(app, client)
    assert stored(app, comment_id).status == CommentStatus.PENDING, "a first comment waits"
    approve(app, comment_id)
    response = save(client, comment_id, PHISHING)
    assert response.status_code == 303
    comment = stored(app, comment_id)
    assert (comment.status, comment.body) == (CommentStatus.PENDING, PHISHING)
    assert events(app, comment_id)[-1] == ("self_edit", "approved", "pending", None)
    with app.app_context():
        assert db.session.scalar(sa.select(Article.approved_comment_count)) == 0
    assert "banca-sicura" not in app.test_client().get(ARTICLE_URL).get_data(as_text=True)
    # Its author sees it in place, waiting, as a new comment is shown to them.
    page = soup(client.get(response.headers["Location"]))
    assert "di nuovo in attesa di moderazione" in text_of(page.find(class_="flashes"))
    item = page.find("li", id=f"comment-{comment_id}")
    assert "banca-sicura" in text_of(item)
    assert "in attesa di moderazione" in text_of(item.find(class_="comment-awaiting-moderation"))


def test_under_no_moderation_an_edit_is_screened_and_stays(app, client):
    app.config["COMMENT_MODERATION"] = "none"
    comment_id = post_own(app, client)
    assert save(client, comment_id, "Un'aggiunta innocua.").status_code == 303
    assert stored(app, comment_id).status == CommentStatus.APPROVED


LINK = re.compile(r"(Approva|Spam|Cestina): (http://\S+)")


def mailed_links(message) -> dict[str, str]:
    return {label: urlsplit(url).path for label, url in LINK.findall(body_of(message))}


@pytest.fixture
def smtp():
    with SmtpServer() as inbox:
        yield inbox


@pytest.fixture
def mailing_blog(app_config, smtp):
    """A blog whose moderator Anna hears of every comment at once, with a webhook."""
    settings = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "WEBHOOK_URLS": ["http://127.0.0.1:9/hook"],
        "WEBHOOK_SECRET": "segreto",
    }
    with fresh_blog(app_config, **settings) as app:
        with app.app_context():
            add_moderator(email="anna@example.it")
        yield app


def test_an_edit_reaches_moderators_as_a_new_comment_does(mailing_blog, smtp):
    app, client = mailing_blog, mailing_blog.test_client()
    comment_id = post_own(app, client)
    assert "Commento in attesa" in smtp.wait_for(1)[0]["Subject"]
    approve(app, comment_id)
    save(client, comment_id, PHISHING)
    edited = smtp.wait_for(2)[1]
    assert edited["To"] == "anna@example.it"
    assert "Commento modificato, in attesa" in edited["Subject"]
    body = body_of(edited)
    assert "ha cambiato il testo" in body and "banca-sicura.example/login" in body
    assert set(mailed_links(edited)) == {"Approva", "Spam", "Cestina"}
    with app.app_context():
        hooks = db.session.scalars(
            sa.select(WebhookDelivery).where(WebhookDelivery.event == "comment.edited")
        ).all()
    assert len(hooks) == 1
    sent = json.loads(hooks[0].body)
    assert (sent["comment"]["id"], sent["comment"]["status"]) == (comment_id, "pending")
    assert sent["previous_status"] == "approved"


def test_a_link_mailed_for_the_old_text_no_longer_acts(mailing_blog, smtp):
    """Anna was mailed the harmless text; its "Approva" must not publish another."""
    app, client = mailing_blog, mailing_blog.test_client()
    comment_id = post_own(app, client)
    old_links = mailed_links(smtp.wait_for(1)[0])
    save(client, comment_id, PHISHING)
    new_links = mailed_links(smtp.wait_for(2)[1])
    browser = app.test_client()
    page = browser.get(old_links["Approva"])
    assert page.status_code == 409
    assert soup(page).find(id="confirm-form") is None
    assert stored(app, comment_id).status == CommentStatus.PENDING
    page = browser.get(new_links["Approva"])
    assert PHISHING in text_of(soup(page))
    browser.post(new_links["Approva"], data=form_fields(soup(page), "confirm-form"))
    assert stored(app, comment_id).status == CommentStatus.APPROVED


def test_the_time_trap_measures_the_edit_form_not_the_comment(app, client):
    """An edit sent 4 s after opening its form, of a comment a second old,
    went to Spam: the trap measured the comment's age."""
    app.config.update(COMMENT_MODERATION="none", COMMENT_MIN_SECONDS=3)
    form_time = signed_ago(app, FORM_TIME_SALT, article_id(app), 30)
    comment_id = post_own(app, client, form_time=form_time)
    assert stored(app, comment_id).status == CommentStatus.APPROVED
    data = form_fields(soup(client.get(edit_url(comment_id))), "edit-own-form")
    data.update(comment="Corretto con calma.")
    data["form_time"] = signed_ago(app, EDIT_FORM_TIME_SALT, comment_id, 4)
    assert client.post(edit_url(comment_id), data=data).status_code == 303
    assert stored(app, comment_id).status == CommentStatus.APPROVED
    # Sent as soon as the form opened: the trap's rule, said as it is.
    assert save(client, comment_id, "Di corsa.").status_code == 303
    assert stored(app, comment_id).status == CommentStatus.SPAM
    assert events(app, comment_id)[-1] == (
        "self_edit",
        "approved",
        "spam",
        "inviato meno di 3 s dopo l'apertura del modulo",
    )


@pytest.mark.parametrize(
    "form_time",
    [
        lambda app, comment_id: "manomesso",
        lambda app, comment_id: "",
        lambda app, comment_id: signed_ago(app, FORM_TIME_SALT, comment_id, 30),
        lambda app, comment_id: signed_ago(app, EDIT_FORM_TIME_SALT, comment_id + 1, 30),
        lambda app, comment_id: signed_ago(app, EDIT_FORM_TIME_SALT, comment_id, 3 * 60 * 60),
    ],
    ids=["forged", "missing", "the comment form's", "another comment's", "too old"],
)
def test_an_edit_without_its_forms_signed_time_changes_nothing(app, client, form_time):
    comment_id = post_own(app, client)
    data = form_fields(soup(client.get(edit_url(comment_id))), "edit-own-form")
    data.update(comment="Testo nuovo", form_time=form_time(app, comment_id))
    response = client.post(edit_url(comment_id), data=data)
    assert response.status_code == 400
    page = soup(response)
    assert "più di due ore" in text_of(page.find(id="form-notice"))
    assert form_fields(page, "edit-own-form")["comment"].strip() == "Testo nuovo"
    assert stored(app, comment_id).body == FIRST
    assert events(app, comment_id) == []
    # The page offers a fresh time: sent again, the edit is saved.
    assert (
        client.post(edit_url(comment_id), data=form_fields(page, "edit-own-form")).status_code
        == 303
    )
    assert stored(app, comment_id).body == "Testo nuovo"

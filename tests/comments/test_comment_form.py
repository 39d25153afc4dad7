"""Leaving a comment: the form, validation, storage and the pending preview."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from babel.support import Translations

from blog.extensions import db
from blog.models import Article, CommentStatus
from blog.moderation.workflow import Action, apply_action
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    VALID_COMMENT,
    add_comment,
    comments_in_db,
    soup,
    text_of,
)


def test_form_has_wordpress_fields_and_italian_wording(client):
    page = soup(client.get(ARTICLE_URL))
    respond = page.find("section", id="respond")
    assert text_of(respond.find("h2")).startswith("Lascia un commento")
    cancel = respond.find(id="cancel-comment-reply-link")
    assert cancel.has_attr("hidden")
    notes = text_of(respond.find(class_="comment-notes"))
    assert notes == (
        "Il tuo indirizzo email non sarà pubblicato. I campi obbligatori sono contrassegnati *"
    )
    form = respond.find("form", id="commentform")
    assert form["method"] == "post"
    labels = {label["for"]: text_of(label) for label in form.find_all("label")}
    assert labels["comment"] == "Commento *"
    assert labels["author"] == "Nome *"
    assert labels["email"] == "Email *"
    assert labels["url"] == "Sito web"
    assert labels["wp-comment-cookies-consent"] == (
        "Salva il mio nome, email e sito web in questo browser per la prossima volta che commento."
    )
    assert form.find("textarea", attrs={"name": "comment"})
    for name in ("author", "email", "url"):
        assert form.find("input", attrs={"name": name})
    consent = form.find("input", attrs={"name": "wp-comment-cookies-consent"})
    assert consent["type"] == "checkbox" and not consent.has_attr("checked")
    parent = form.find("input", attrs={"name": "comment_parent"})
    assert parent["type"] == "hidden" and parent["value"] == "0"
    # A reader's form carries no token (the cross-origin check protects it).
    assert form.find("input", attrs={"name": "csrf_token"}) is None
    assert text_of(form.find("button", type="submit")) == "Invia commento"


def test_valid_comment_is_stored_pending_and_redirects_to_it(client, commenter, app):
    response = commenter.post(url="https://mario.example/blog")
    assert response.status_code == 303
    with app.app_context():
        (comment,) = comments_in_db()
        assert comment.status == CommentStatus.PENDING
        assert comment.author == VALID_COMMENT["author"]
        assert comment.email == VALID_COMMENT["email"]
        assert comment.url == "https://mario.example/blog"
        assert comment.body == VALID_COMMENT["comment"]
        assert comment.body_html == f"<p>{VALID_COMMENT['comment']}</p>"
        assert comment.parent_id is None
        assert comment.ip_address == "127.0.0.1"
        assert comment.user_agent.startswith("Werkzeug")
        # Under COMMENT_DEFAULT_PAGE=newest a link names its page (blog/core/links.py).
        assert response.headers["Location"] == f"{ARTICLE_URL}?cpage=1#comment-{comment.id}"
        article = db.session.scalar(sa.select(Article))
        assert article.approved_comment_count == 0


def test_pending_comment_is_shown_only_to_its_author(client, commenter, app):
    commenter.post(comment="Il mio primo commento")
    with app.app_context():
        (comment,) = comments_in_db()
    page = soup(client.get(ARTICLE_URL))
    item = page.find("li", id=f"comment-{comment.id}")
    assert item is not None
    assert "Il mio primo commento" in text_of(item)
    assert "Il tuo commento è in attesa di moderazione." in text_of(item)
    assert text_of(page.find(id="comments-title")) == "Nessun commento"

    stranger = app.test_client()
    other_page = soup(stranger.get(ARTICLE_URL))
    assert other_page.find("li", id=f"comment-{comment.id}") is None
    assert "Il mio primo commento" not in text_of(other_page)


def test_approved_comment_is_seen_by_everyone(client, commenter, app):
    commenter.post(comment="Commento approvato")
    with app.app_context():
        (comment,) = comments_in_db()
        apply_action(comment, Action.APPROVE)
        db.session.commit()
        comment_id = comment.id
    for reader in (client, app.test_client()):
        page = soup(reader.get(ARTICLE_URL))
        item = page.find("li", id=f"comment-{comment_id}")
        assert "Commento approvato" in text_of(item)
        assert "in attesa di moderazione" not in text_of(item)
        assert text_of(page.find(id="comments-title")) == "1 commento"


def test_pending_reply_of_author_sits_under_its_parent(client, commenter, app):
    with app.app_context():
        parent = add_comment(author="Giulia")
        parent_id = parent.id
    commenter.post(f"?replytocom={parent_id}", comment="La mia risposta")
    with app.app_context():
        reply = comments_in_db()[-1]
        assert reply.parent_id == parent_id and reply.status == CommentStatus.PENDING
    page = soup(client.get(ARTICLE_URL))
    nested = page.select_one(f"li#comment-{parent_id} > ol.children > li#comment-{reply.id}")
    assert nested is not None
    assert "in attesa di moderazione" in text_of(nested)


LONG = {"author": 245, "email": 100, "url": 200, "comment": 65525}


def _too_long(field: str) -> str:
    if field == "email":
        return "a" * (LONG["email"] - len("@example.it") + 1) + "@example.it"
    if field == "url":
        return "https://example.it/" + "a" * (LONG["url"] - len("https://example.it/") + 1)
    return "a" * (LONG[field] + 1)


def _longest(field: str) -> str:
    if field == "email":
        return "a" * (LONG["email"] - len("@example.it")) + "@example.it"
    if field == "url":
        return "https://example.it/" + "a" * (LONG["url"] - len("https://example.it/"))
    return "a" * LONG[field]


INVALID = [
    ("comment", "", "Scrivi il testo del commento."),
    ("comment", "   \n\t  ", "Scrivi il testo del commento."),
    ("author", "", "Inserisci il tuo nome."),
    ("author", "    ", "Inserisci il tuo nome."),
    ("author", "\u200b\u200d\u2060", "Inserisci il tuo nome."),
    ("email", "", "Inserisci il tuo indirizzo email."),
    ("email", "mario", "Inserisci un indirizzo email valido."),
    ("email", "mario@", "Inserisci un indirizzo email valido."),
    ("email", "mario rossi@example.it", "Inserisci un indirizzo email valido."),
    ("url", "javascript:alert(1)", "Inserisci un indirizzo web valido"),
    ("url", "ftp://example.it/", "Inserisci un indirizzo web valido"),
    ("url", "data:text/html,x", "Inserisci un indirizzo web valido"),
    ("url", "http://", "Inserisci un indirizzo web valido"),
    ("url", "http://exa mple.it", "Inserisci un indirizzo web valido"),
    ("url", "http://[nope]/", "Inserisci un indirizzo web valido"),
    ("url", "http://[::1", "Inserisci un indirizzo web valido"),
    ("comment", "Ciao \ufffe mondo", "caratteri Unicode non validi"),
    ("comment", "Ciao \ufdd0", "caratteri Unicode non validi"),
    ("comment", "Ciao \U0010ffff", "caratteri Unicode non validi"),
    ("author", "Mario\uffff", "caratteri Unicode non validi"),
    ("url", "https://example.it/\U0001fffe", "caratteri Unicode non validi"),
    *[(field, _too_long(field), f"al massimo {LONG[field]} caratteri") for field in LONG],
]


@pytest.mark.parametrize(("field", "value", "message"), INVALID)
def test_invalid_field_is_explained_next_to_it_and_nothing_is_stored(
    commenter, app, field, value, message
):
    typed = {**VALID_COMMENT, "url": "https://mario.example/", field: value}
    response = commenter.post(**typed)
    assert response.status_code == 422
    page = soup(response)
    error = page.find(id=f"{field}-error")
    assert error is not None and message in text_of(error)
    control = page.find(id=field)
    assert control["aria-invalid"] == "true"
    assert f"{field}-error" in control["aria-describedby"]
    summary = page.find(id="form-notice")
    assert "Il commento non è stato inviato" in text_of(summary)
    for other, other_value in typed.items():
        if other == field or len(other_value) > 300:
            continue
        shown = page.find(id=other)
        kept = shown.get_text() if shown.name == "textarea" else shown["value"]
        assert kept.strip() == other_value.strip()
    with app.app_context():
        assert comments_in_db() == []


@pytest.mark.parametrize("field", sorted(LONG))
def test_longest_allowed_values_are_accepted(commenter, app, field):
    response = commenter.post(**{field: _longest(field)})
    assert response.status_code == 303
    with app.app_context():
        (comment,) = comments_in_db()
        stored = {"comment": comment.body}.get(field, getattr(comment, field, None))
        assert stored == _longest(field)


def test_url_without_scheme_is_read_as_http(commenter, app):
    assert commenter.post(url="www.example.it").status_code == 303
    with app.app_context():
        assert comments_in_db()[0].url == "http://www.example.it"


def test_typed_text_survives_an_error_exactly(commenter):
    text = "Riga uno\n\nRiga <b>due</b> & tre “virgolette”"
    page = soup(commenter.post(comment=text, email="sbagliata"))
    assert page.find("textarea", id="comment").get_text().strip() == text


@pytest.mark.parametrize(
    ("make_parent", "raw"),
    [
        ("pending", None),
        ("spam", None),
        ("other_article", None),
        (None, "999999"),
        (None, "abc"),
        (None, "-1"),
    ],
)
def test_reply_must_answer_an_approved_comment_of_the_same_article(
    commenter, app, make_parent, raw
):
    with app.app_context():
        if make_parent == "other_article":
            from datetime import datetime

            other = Article(
                slug="altro", title="Altro", body_html="<p>x</p>", published_at=datetime(2021, 1, 1)
            )
            db.session.add(other)
            db.session.commit()
            parent = add_comment()
            parent.article = other
            db.session.commit()
            raw = str(parent.id)
        elif make_parent:
            raw = str(add_comment(status=CommentStatus(make_parent)).id)
        before = len(comments_in_db())
    response = commenter.post(comment_parent=raw)
    assert response.status_code == 422
    assert "Il commento a cui vuoi rispondere non esiste o non è ancora approvato." in text_of(
        soup(response)
    )
    with app.app_context():
        assert len(comments_in_db()) == before


def test_reply_to_approved_comment_is_stored_with_its_parent(commenter, app):
    with app.app_context():
        parent_id = add_comment().id
    assert commenter.post(comment_parent=str(parent_id), comment="Una risposta").status_code == 303
    with app.app_context():
        assert comments_in_db()[-1].parent_id == parent_id


def test_replytocom_puts_the_form_in_reply_mode(client, app):
    with app.app_context():
        parent_id = add_comment(author="Giulia Bianchi").id
    page = soup(client.get(f"{ARTICLE_URL}?replytocom={parent_id}"))
    respond = page.find("section", id="respond")
    assert text_of(respond.find(class_="reply-title-text")) == "Rispondi a Giulia Bianchi"
    cancel = respond.find(id="cancel-comment-reply-link")
    assert not cancel.has_attr("hidden")
    assert text_of(cancel) == "Annulla risposta"
    assert cancel["href"] == f"{ARTICLE_URL}#respond"
    assert respond.find("input", attrs={"name": "comment_parent"})["value"] == str(parent_id)
    link = page.select_one(f"#comment-{parent_id} a.comment-reply-link")
    assert link["href"] == f"{ARTICLE_URL}?replytocom={parent_id}#respond"
    assert text_of(link) == "Rispondi"


@pytest.mark.parametrize("query", ["?replytocom=999", "?replytocom=abc", "?replytocom=0"])
def test_bad_replytocom_falls_back_to_a_new_comment(client, query):
    respond = soup(client.get(ARTICLE_URL + query)).find("section", id="respond")
    assert text_of(respond.find(class_="reply-title-text")) == "Lascia un commento"
    assert respond.find("input", attrs={"name": "comment_parent"})["value"] == "0"


def test_pending_comment_cannot_be_replied_to_by_url(client, app):
    with app.app_context():
        pending_id = add_comment(status=CommentStatus.PENDING).id
    respond = soup(client.get(f"{ARTICLE_URL}?replytocom={pending_id}")).find(id="respond")
    assert respond.find("input", attrs={"name": "comment_parent"})["value"] == "0"


def test_closed_article_refuses_comments(client, commenter, app):
    form = commenter.open_form()
    with app.app_context():
        db.session.scalar(sa.select(Article)).comments_open = False
        db.session.commit()
    response = client.post(POST_URL, data={**form, **VALID_COMMENT})
    assert response.status_code == 403
    assert "I commenti sono chiusi." in text_of(soup(response))
    with app.app_context():
        assert comments_in_db() == []
    page = soup(client.get(ARTICLE_URL))
    assert page.find("form", id="commentform") is None
    assert "I commenti sono chiusi." in text_of(page.find(id="respond"))


def test_remember_me_sets_cookies_that_prefill_the_form(client, commenter):
    commenter.post(**{"wp-comment-cookies-consent": "y", "url": "https://mario.example/"})
    assert client.get_cookie("comment_author").decoded_value == "Mario Rossi"
    assert client.get_cookie("comment_author_email").decoded_value == VALID_COMMENT["email"]
    cookie = client.get_cookie("comment_author")
    assert cookie.http_only and cookie.same_site == "Lax"
    fields = commenter.open_form()
    assert fields["author"] == "Mario Rossi"
    assert fields["email"] == VALID_COMMENT["email"]
    assert fields["url"] == "https://mario.example/"
    assert fields["wp-comment-cookies-consent"] == "y"
    assert fields["comment"].strip() == ""


def test_without_consent_no_cookie_is_kept(client, commenter):
    commenter.post()
    assert client.get_cookie("comment_author") is None
    fields = commenter.open_form()
    assert fields["author"] == "" and fields["email"] == ""


def test_unticking_consent_forgets_the_commenter(client, commenter):
    commenter.post(**{"wp-comment-cookies-consent": "y"})
    assert client.get_cookie("comment_author") is not None
    commenter.post(comment="Un altro commento")
    assert client.get_cookie("comment_author") is None
    assert commenter.open_form()["author"] == ""


def test_a_noncharacter_is_refused_and_the_text_kept(commenter, app):
    typed = "Un commento con \ufffe dentro."
    response = commenter.post(comment=typed)
    assert response.status_code == 422
    page = soup(response)
    assert "caratteri Unicode non validi (come U+FFFE)" in text_of(page.find(id="comment-error"))
    assert page.find(id="comment").get_text().strip() == typed
    with app.app_context():
        assert comments_in_db() == []


def test_wtforms_own_catalog_is_read_once_a_process(commenter, monkeypatch):
    """Not once a request: every comment POST builds the form, and reading
    WTForms' catalog from disk cost more than building it."""
    assert commenter.post(comment="Il primo").status_code == 303
    catalogs = []
    load = Translations.load.__func__

    def counting_load(cls, *args, **kwargs):
        catalogs.append(kwargs.get("domain"))
        return load(cls, *args, **kwargs)

    monkeypatch.setattr(Translations, "load", classmethod(counting_load))
    assert commenter.post(comment="Il secondo").status_code == 303
    assert "wtforms" not in catalogs

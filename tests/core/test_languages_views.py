"""A site in English: what the Python code says (forms, flashes, feeds, error
pages) speaks English, and none of today's Italian sentences slips through.

The templates around them are translated on their own; these tests look only
at the words the code hands them.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus
from tests.helpers import (
    POST_URL,
    SLUG,
    Commenter,
    add_comment,
    queue_token,
    soup,
    text_of,
)

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: Today's Italian of the sentences these pages take from the Python code.
ITALIAN = [
    # The comment form: labels and validation
    "Salva il mio nome, email e sito web in questo browser",
    "Avvisami quando il mio commento viene approvato",
    "Non compilare questo campo",
    "La tua email",
    "Scrivi il testo del commento.",
    "Questo campo può contenere al massimo",
    "Inserisci un indirizzo email valido.",
    "Inserisci un indirizzo web valido",
    "Il commento a cui vuoi rispondere non esiste",
    "Il commento non è stato inviato",
    # Logging in
    "Accedi per continuare.",
    "Nome utente",
    "Nome utente o password non validi.",
    "qui trovi i commenti da moderare",
    # The queue and the moderators' pages
    "Tutti gli articoli",
    "Azioni di gruppo",
    "Cerca per testo, autore, email o IP",
    "commento approvato",
    "Quali commenti aspettano un moderatore",
    "Punteggio da cui un nuovo commento",
    "Decisioni di ciascun tipo",
    "Parole che trattengono un commento in attesa",
    "Parole che mandano un commento nello spam",
    "Scarica i dati",
    "Confermo: l'operazione non si può annullare",
    "Commenti anonimizzati per",
    "Nome mostrato",
    "Email per le notifiche",
    "Quali commenti ricevere per email",
    "Solo quelli in attesa di moderazione",
    "Riepilogo ogni ora",
    "Riepilogo giornaliero",
    "0,99",
    # Feeds and error pages
    "Commenti –",
    "Commenti a:",
    " su «",
    "In risposta a",
    "Pagina non trovata",
    "La pagina che cerchi non esiste",
    "Richiesta rifiutata",
]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "SITE_LANGUAGE": "en"}


def no_italian(text: str) -> None:
    found = [sentence for sentence in ITALIAN if sentence in text]
    assert found == []


def test_a_refused_comment_is_refused_in_english(client):
    response = Commenter(client).post(
        comment="",
        author="A" * 246,
        email="not an address",
        url="ftp://example.com/",
        comment_parent="999999",
    )
    assert response.status_code == 422
    form = soup(response)
    labels = {label["for"]: text_of(label) for label in form.find_all("label") if label.get("for")}
    assert (labels["url"], labels["author"]) == ("Website", "Name *")
    page = text_of(form)
    for sentence in (
        "Your comment was not sent: please correct the fields marked.",
        "Please type your comment text.",
        "This field can hold at most 245 characters.",
        "Please enter a valid email address.",
        "Please enter a valid web address starting with http:// or https://.",
        "The comment you want to reply to does not exist or is not approved yet.",
        "Name",
        "Website",
        "Comment",
        "Save my name, email, and website in this browser for the next time I comment.",
        "Notify me when my comment is approved and when someone replies",
        "Leave this field empty",
        "Your email",
    ):
        assert sentence in page
    no_italian(page)


def test_logging_in_speaks_english(client, auth, moderator):
    asked = client.get("/moderation/", follow_redirects=True)
    assert "Log in to continue." in text_of(soup(asked))
    refused = auth.login(password="not the password")
    assert refused.status_code == 422
    page = text_of(soup(refused))
    for sentence in ("Invalid username or password.", "Username"):
        assert sentence in page
    no_italian(text_of(soup(asked)) + page)
    welcome = client.get(auth.login().headers["Location"])
    assert "Hello, Anna la moderatrice: here are the comments to moderate." in text_of(
        soup(welcome)
    )


def test_the_queue_and_the_moderators_pages_speak_english(app, logged_in):
    with app.app_context():
        pending = add_comment(CommentStatus.PENDING, email="lettrice@example.org").id
    token = queue_token(logged_in)
    done = logged_in.post(
        f"/moderation/comments/{pending}/approve",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    queue = soup(done)
    assert "1 comment approved." in text_of(queue.find(class_="flashes"))
    approved = soup(logged_in.get("/moderation/?status=approved"))
    options = {option.get_text() for option in approved.find_all("option")}
    assert {"All articles", "Bulk actions"} <= options
    queue_search = approved.find("input", attrs={"name": "q", "id": lambda i: i != "search-q"})
    assert queue_search["placeholder"] == ("Search by text, author, email or IP")
    pages = [str(queue), str(approved)]
    settings = soup(logged_in.get("/moderation/settings"))
    assert settings.find("input", attrs={"name": "spam_score"})["value"] == "0.99"
    assert "Which comments wait for a moderator" in text_of(settings)
    assert "Words that send a comment to spam" in text_of(settings)
    profile = text_of(soup(logged_in.get("/moderation/profile")))
    assert "An hourly digest" in profile and "Email for notifications" in profile
    privacy = soup(logged_in.get("/moderation/privacy?email=lettrice@example.org"))
    choices = {text_of(label) for label in privacy.select("#privacy-form label")}
    assert {"Download the data", "Anonymise", "Delete"} <= choices
    data = {
        "csrf_token": token,
        "email": "lettrice@example.org",
        "action": "anonymise",
        "confirm": "y",
    }
    erased = logged_in.post("/moderation/privacy", data=data, follow_redirects=True)
    assert "Comments anonymised for lettrice@example.org: 1." in text_of(soup(erased))
    with app.app_context():
        assert db.session.get_one(Comment, pending).author == "Anonymous"
    pages += [str(settings), profile, text_of(privacy), text_of(soup(erased))]
    no_italian(" ".join(pages))


def test_the_comment_feeds_speak_the_site_language(app, client):
    with app.app_context():
        first = add_comment(CommentStatus.APPROVED, author="Mario Rossi")
        add_comment(CommentStatus.APPROVED, parent=first, author="Lucia Bianchi")
        title = db.session.scalar(sa.select(Article.title).where(Article.slug == SLUG))
    every = client.get("/comments/feed/")
    one = client.get(f"/{SLUG}/feed/")
    for response, feed_title in (
        (every, f"Comments – {app.config['SITE_NAME']}"),
        (one, f"Comments on: {title}"),
    ):
        feed = ElementTree.fromstring(response.data)
        assert feed.get(XML_LANG) == "en"
        assert feed.findtext(f"{ATOM}title") == feed_title
        entries = {entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")}
        assert entries == {f"Mario Rossi on “{title}”", f"Lucia Bianchi on “{title}”"}
        assert "In reply to" in response.get_data(as_text=True)
        no_italian(response.get_data(as_text=True))


def test_error_pages_speak_english(client):
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    page = text_of(soup(missing))
    assert "Page not found" in page
    assert "The page you are looking for does not exist or has moved." in page
    refused = client.post(POST_URL, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert "Request refused: the form was sent from another site." in text_of(soup(refused))
    no_italian(page + text_of(soup(refused)))

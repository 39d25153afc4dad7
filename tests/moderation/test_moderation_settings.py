"""The moderation policy and the learning filter's thresholds, set on the settings page."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus, SiteSetting
from tests.helpers import Commenter, add_comment, form_fields, soup, text_of

SETTINGS = "/moderation/settings"
VALID = {"moderation": "none", "spam_score": "0,95", "hold_score": "0.8", "min_training": "10"}


def settings_form(client) -> dict[str, str]:
    page = soup(client.get(SETTINGS))
    fields = form_fields(page, "moderation-form")
    checked = page.select_one('#moderation-form input[name="moderation"][checked]')
    fields["moderation"] = checked["value"] if checked else ""
    return fields


def save(client, **changes: str):
    return client.post(SETTINGS + "/moderazione", data={**settings_form(client), **changes})


def saved() -> dict[str, object]:
    return {
        key: json.loads(value)
        for key, value in db.session.execute(sa.select(SiteSetting.key, SiteSetting.value))
    }


def newest() -> Comment:
    return db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()))


def test_the_page_shows_what_is_in_force(logged_in):
    fields = settings_form(logged_in)
    assert {key: fields[key] for key in VALID} == {
        "moderation": "all",
        "spam_score": "0,99",
        "hold_score": "0,9",
        "min_training": "20",
    }
    page = soup(logged_in.get(SETTINGS))
    labels = [text_of(label) for label in page.select("#moderation-form .choice label")]
    assert labels[0] == "Tutti" and labels[2].startswith("Nessuno")


def test_saving_stores_the_settings_and_shows_them(logged_in, app):
    response = save(logged_in, **VALID)
    assert response.status_code == 303
    assert response.headers["Location"] == SETTINGS + "#moderation-title"
    page = soup(logged_in.get(SETTINGS))
    assert "Impostazioni di moderazione salvate." in text_of(page.find(class_="flashes"))
    fields = settings_form(logged_in)
    assert {key: fields[key] for key in VALID} == {
        "moderation": "none",
        "spam_score": "0,95",
        "hold_score": "0,8",
        "min_training": "10",
    }
    with app.app_context():
        assert saved() == {
            "COMMENT_MODERATION": "none",
            "SPAM_SCORE_SPAM": 0.95,
            "SPAM_SCORE_HOLD": 0.8,
            "SPAM_MIN_TRAINING": 10,
        }


@pytest.mark.parametrize(
    ("policy", "returning", "expected"),
    [
        ("all", True, CommentStatus.PENDING),
        ("first_time", False, CommentStatus.PENDING),
        ("first_time", True, CommentStatus.APPROVED),
        ("none", False, CommentStatus.APPROVED),
    ],
)
def test_the_saved_policy_decides_where_a_new_comment_goes(
    logged_in, app, policy, returning, expected
):
    assert save(logged_in, moderation=policy).status_code == 303
    if returning:
        with app.app_context():
            add_comment(status=CommentStatus.APPROVED, comment="Un commento di prima")
    reader = Commenter(app.test_client())
    assert reader.post(comment="Il mio nuovo commento").status_code == 303
    with app.app_context():
        assert newest().status == expected


def test_the_saved_thresholds_decide_too(logged_in, app):
    # Policy "none" would publish it; a filter allowed to act at once, with a
    # hold threshold every unknown text reaches (0,5), holds it instead.
    save(logged_in, moderation="none", min_training="0", hold_score="0,5", spam_score="1")
    Commenter(app.test_client()).post(comment="Parole che il filtro non ha mai visto")
    with app.app_context():
        comment = newest()
        assert comment.status == CommentStatus.PENDING
        assert comment.spam_score == pytest.approx(0.5)
        assert "filtro che impara" in comment.events[0].note
    save(logged_in, hold_score="0,9")
    Commenter(app.test_client()).post(comment="Un altro commento mai visto prima")
    with app.app_context():
        assert newest().status == CommentStatus.APPROVED


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"spam_score": "tanto"}, "spam_score", "Scrivi un numero, come 0,95."),
        ({"spam_score": ""}, "spam_score", "Scrivi un numero, come 0,95."),
        ({"spam_score": "NaN"}, "spam_score", "Scrivi un numero, come 0,95."),
        ({"spam_score": "1e309"}, "spam_score", "Scrivi un numero, come 0,95."),
        ({"spam_score": "2"}, "spam_score", "Scrivi un numero tra 0,5 e 1."),
        ({"hold_score": "0,3"}, "hold_score", "Scrivi un numero tra 0,5 e 1."),
        (
            {"spam_score": "0,9", "hold_score": "0,95"},
            "hold_score",
            "La soglia per trattenere non può superare quella per lo spam.",
        ),
        ({"min_training": "1,5"}, "min_training", "Scrivi un numero intero, come 20."),
        ({"min_training": "-1"}, "min_training", "Scrivi un numero intero tra 0 e 100.000."),
        ({"min_training": "99999999999999999999"}, "min_training", "tra 0 e 100.000"),
        ({"moderation": "tutti"}, "moderation", "Scegli una delle opzioni."),
        ({"moderation": ""}, "moderation", "Scegli una delle opzioni."),
    ],
)
def test_invalid_values_are_refused_in_italian(logged_in, app, changes, field, error):
    response = save(logged_in, **changes)
    assert response.status_code == 422
    page = soup(response)
    notice = page.find(id="form-notice")
    assert "Le impostazioni non sono state salvate" in text_of(notice)
    assert error in text_of(notice)
    assert "Not a valid" not in response.get_data(as_text=True)
    if field != "moderation":
        assert page.find("input", id=field)["aria-invalid"] == "true"
        assert page.find("input", id=field)["value"] == changes[field]
    with app.app_context():
        assert saved() == {}


def test_saving_needs_the_token(logged_in, app):
    response = logged_in.post(SETTINGS + "/moderazione", data=VALID)
    assert response.status_code == 400
    with app.app_context():
        assert saved() == {}


def test_the_word_lists_form_still_saves_alone(logged_in, app):
    page = soup(logged_in.get(SETTINGS))
    data = form_fields(page, "wordlists-form")
    data["disallowed_keys"] = "viagra\n203.0.113.0/24"
    assert logged_in.post(SETTINGS, data=data).status_code == 303
    with app.app_context():
        assert saved() == {
            "COMMENT_MODERATION_KEYS": [],
            "COMMENT_DISALLOWED_KEYS": ["203.0.113.0/24", "viagra"],
        }


def test_blocked_sites_are_edited_beside_the_word_lists(logged_in, app):
    page = soup(logged_in.get(SETTINGS))
    data = form_fields(page, "hosts-form")
    data["blocked_hosts"] = "Spam.Example.COM.\nbücher.de\n\nspam.example.com"
    response = logged_in.post(SETTINGS + "/siti-bloccati", data=data)
    assert response.status_code == 303
    page = soup(logged_in.get(response.headers["Location"]))
    assert "Siti bloccati salvati." in text_of(page.find(class_="flashes"))
    assert page.find("textarea", id="blocked_hosts").get_text().split() == [
        "spam.example.com",
        "xn--bcher-kva.de",
    ]
    with app.app_context():
        assert saved() == {"COMMENT_BLOCKED_HOSTS": ["spam.example.com", "xn--bcher-kva.de"]}


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("co.uk", "«co.uk» non si può bloccare: è un suffisso pubblico"),
        ("github.io", "«github.io» non si può bloccare: è un suffisso pubblico"),
        ("mozilla", "«mozilla» non si può bloccare: il nome di un sito ha almeno un punto"),
        ("www.mozilla", "«www.mozilla» non si può bloccare: non finisce con un dominio"),
        ("203.0.113.9", "«203.0.113.9» non si può bloccare come sito: è un indirizzo IP"),
        ("http://spam.example.com/", "«http://spam.example.com/» non è il nome di un sito."),
    ],
)
def test_a_blocked_site_nobody_owns_is_refused_and_nothing_is_saved(logged_in, app, line, error):
    page = soup(logged_in.get(SETTINGS))
    data = form_fields(page, "hosts-form")
    data["blocked_hosts"] = f"spam.example.com\n{line}"
    response = logged_in.post(SETTINGS + "/siti-bloccati", data=data)
    assert response.status_code == 422
    page = soup(response)
    field = page.find("textarea", id="blocked_hosts")
    assert field["aria-invalid"] == "true"
    assert error in text_of(page.find(id="blocked_hosts-error"))
    assert field.get_text().strip() == f"spam.example.com\n{line}"
    with app.app_context():
        assert saved() == {}

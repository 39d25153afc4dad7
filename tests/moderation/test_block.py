"""Blocca: a comment's email, address block or site joins the disallowed words."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent, SiteSetting, SpamToken
from blog.spam.bayes import TOTALS
from tests.helpers import Commenter, add_comment, soup, text_of

P, A, S = CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.SPAM


def pending(author: str, email: str, address: str, url: str = "", status=P, **fields) -> int:
    comment = add_comment(
        status=status, author=author, email=email, url=url, ip_address=address, **fields
    )
    # As the comment form stores it (blog/core/addresses.py).
    from blog.core.addresses import address_block

    comment.ip_block = address_block(address, 32, 64)
    db.session.commit()
    return comment.id


def disallowed() -> list[str]:
    setting = db.session.get(SiteSetting, "COMMENT_DISALLOWED_KEYS")
    return json.loads(setting.value) if setting else []


def block_form(client, comment_id: int):
    page = soup(client.get("/moderation/"))
    form = page.select_one(f"#entry-{comment_id} details.entry-block form")
    return form, {i["name"]: i["value"] for i in form.find_all("input") if i["type"] == "hidden"}


def choose(client, comment_id: int, choice: str):
    form, data = block_form(client, comment_id)
    radio = next(r for r in form.select('input[type="radio"]') if r["value"] == choice)
    data[radio["name"]] = choice
    return client.post(form["action"], data=data)


@pytest.mark.parametrize(
    ("choice", "word", "moved", "stays"),
    [
        ("email", "bot@spam.example", ["Bot", "Bot con altro nome"], ["Vicino", "Lontano"]),
        ("ip", "203.0.113.9/32", ["Bot", "Vicino"], ["Bot con altro nome", "Lontano"]),
        ("host", "pillole.example", ["Bot", "Lontano"], ["Bot con altro nome", "Vicino"]),
    ],
)
def test_blocca_adds_the_choice_and_moves_what_now_matches(
    logged_in, app, choice, word, moved, stays
):
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "203.0.113.9", "https://www.pillole.example/")
        pending("Bot con altro nome", "bot@spam.example", "198.51.100.1")
        pending("Vicino", "vicino@example.it", "203.0.113.9")
        # Another site's page linking the same host: its text mentions it.
        pending(
            "Lontano",
            "lontano@example.it",
            "198.51.100.2",
            comment="Guardate https://pillole.example/offerta",
        )
        # Past moderation: Blocca moves only what waits.
        approved = pending("Già approvato", "bot@spam.example", "203.0.113.9", status=A)
        # 203.0.113.91 starts like 203.0.113.9 but is another address.
        pending("Indirizzo simile", "simile@example.it", "203.0.113.91")
    response = choose(logged_in, target, choice)
    assert response.status_code == 303
    flashes = text_of(soup(logged_in.get(response.headers["Location"])).find(class_="flashes"))
    count = len(moved)
    moved_text = f"{count} commenti in attesa spostati in Spam."
    assert flashes == f"«{word}» aggiunto alle parole vietate. {moved_text} Annulla"
    with app.app_context():
        assert disallowed() == [word]
        status = {c.author: c.status for c in db.session.scalars(sa.select(Comment))}
        assert {author: status[author] for author in moved} == dict.fromkeys(moved, S)
        assert {author: status[author] for author in stays} == dict.fromkeys(stays, P)
        assert status["Indirizzo simile"] == P
        assert db.session.get(Comment, approved).status == A
        events = db.session.scalars(sa.select(ModerationEvent)).all()
        assert len(events) == count
        assert {(e.action, e.from_status, e.to_status) for e in events} == {
            ("block", "pending", "spam")
        }
        assert all(e.moderator_id is not None for e in events)
        assert {e.note for e in events} == {f"parola vietata «{word}»"}
        assert db.session.get(SpamToken, TOTALS) is None, "blocking teaches the filter nothing"


def test_the_next_comment_from_a_blocked_sender_goes_to_spam(logged_in, app, client):
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "127.0.0.1")
    choose(logged_in, target, "ip")
    reader = Commenter(app.test_client())
    assert reader.post(author="Bot di nuovo", email="altro@example.it").status_code == 303
    with app.app_context():
        newest = db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()))
        assert newest.status == S
        assert "parola vietata «127.0.0.1/32»" in newest.events[0].note


def test_an_ipv6_block_covers_its_64(logged_in, app):
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "2001:db8:1:2::1")
        pending("Stesso /64", "altro@example.it", "2001:db8:1:2:aaaa::7")
        pending("Altro /64", "terzo@example.it", "2001:db8:1:3::1")
    response = choose(logged_in, target, "ip")
    flashes = text_of(soup(logged_in.get(response.headers["Location"])).find(class_="flashes"))
    assert flashes == (
        "«2001:db8:1:2::/64» aggiunto alle parole vietate. 2 commenti in attesa spostati in Spam."
        " Annulla"
    )
    with app.app_context():
        status = {c.author: c.status for c in db.session.scalars(sa.select(Comment))}
        assert status == {"Bot": S, "Stesso /64": S, "Altro /64": P}


def test_one_comment_moved_and_none_moved_read_well(logged_in, app):
    with app.app_context():
        target = pending("Bot", "solo@spam.example", "203.0.113.5")
        approved = pending("Approvato", "approvato@example.it", "203.0.113.6", status=A)
    response = choose(logged_in, target, "email")
    assert text_of(soup(logged_in.get(response.headers["Location"])).find(class_="flashes")) == (
        "«solo@spam.example» aggiunto alle parole vietate. 1 commento in attesa spostato in Spam."
        " Annulla"
    )
    page = soup(logged_in.get("/moderation/?status=approved"))
    form = page.select_one(f"#entry-{approved} details.entry-block form")
    data = {i["name"]: i["value"] for i in form.find_all("input") if i["type"] == "hidden"}
    data[f"block-{approved}-target"] = "email"
    response = logged_in.post(form["action"], data=data)
    assert text_of(soup(logged_in.get(response.headers["Location"])).find(class_="flashes")) == (
        "«approvato@example.it» aggiunto alle parole vietate. "
        "Nessun commento in attesa da spostare. Annulla"
    )
    with app.app_context():
        assert disallowed() == ["approvato@example.it", "solo@spam.example"]


def test_the_form_offers_only_what_the_comment_has(logged_in, app):
    with app.app_context():
        full = pending("Completo", "c@example.it", "203.0.113.1", "https://sito.example/")
        bare = add_comment(status=P, author="Senza sito", url="", ip_address=None).id
    page = soup(logged_in.get("/moderation/"))

    def offered(comment_id):
        form = page.select_one(f"#entry-{comment_id} details.entry-block form")
        return [text_of(label) for label in form.select(".choice label")]

    assert offered(full) == [
        "l'email c@example.it",
        "gli indirizzi IP 203.0.113.1/32",
        "il sito sito.example",
    ]
    assert offered(bare) == ["l'email mario.rossi@example.it"]


@pytest.mark.parametrize("choice", ["", "host", "tutto"])
def test_a_choice_the_comment_lacks_blocks_nothing(logged_in, app, choice):
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "203.0.113.9")  # no site
    _, data = block_form(logged_in, target)
    data[f"block-{target}-target"] = choice
    response = logged_in.post(f"/moderation/comments/{target}/block", data=data)
    assert response.status_code == 303
    assert "Scegli che cosa bloccare." in text_of(
        soup(logged_in.get(response.headers["Location"])).find(class_="flashes")
    )
    with app.app_context():
        assert disallowed() == []
        assert db.session.get(Comment, target).status == P


def press_undo(client, location: str):
    page = soup(client.get(location))
    form = page.find("form", id="undo-form")
    assert form is not None, "no Annulla after Blocca"
    data = {field["name"]: field["value"] for field in form.find_all("input")}
    response = client.post(form["action"], data=data)
    assert response.status_code == 303
    return text_of(soup(client.get(response.headers["Location"])).find(class_="flashes"))


def test_annulla_takes_a_block_back(logged_in, app):
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "203.0.113.9")
        same = pending("Bot di nuovo", "bot@spam.example", "198.51.100.1")
        other = pending("Altro", "altro@example.it", "198.51.100.2")
    response = choose(logged_in, target, "email")
    said = press_undo(logged_in, response.headers["Location"])
    assert said == (
        "«bot@spam.example» tolto dalle parole vietate. "
        "Annullato: 2 commenti sono tornati com'erano."
    )
    with app.app_context():
        assert disallowed() == []
        status = {c.id: c.status for c in db.session.scalars(sa.select(Comment))}
        assert status == {target: P, same: P, other: P}
        events = [
            (e.action, e.from_status, e.to_status) for e in db.session.get(Comment, same).events
        ]
        assert events == [("block", "pending", "spam"), ("undo", "spam", "pending")]
    # The next comment from that address is no longer sent to Spam.
    assert Commenter(app.test_client()).post(email="bot@spam.example").status_code == 303
    with app.app_context():
        newest = db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()))
        assert newest.status == P


def test_annulla_takes_back_a_block_that_moved_nothing(logged_in, app):
    with app.app_context():
        kept = add_comment(status=P, comment="Resta").id
        approved = pending("Approvato", "approvato@example.it", "203.0.113.6", status=A)
    page = soup(logged_in.get("/moderation/?status=approved"))
    form = page.select_one(f"#entry-{approved} details.entry-block form")
    data = {i["name"]: i["value"] for i in form.find_all("input") if i["type"] == "hidden"}
    data[f"block-{approved}-target"] = "email"
    response = logged_in.post(form["action"], data=data)
    said = press_undo(logged_in, response.headers["Location"])
    assert said == "«approvato@example.it» tolto dalle parole vietate."
    with app.app_context():
        assert disallowed() == []
        assert db.session.get(Comment, kept).status == P


def test_annulla_leaves_a_word_put_back_by_hand_alone(logged_in, app):
    """Only a word still on the list is taken off; the rest of the list stays."""
    from blog.spam.rules import save_word_list

    with app.app_context():
        save_word_list("COMMENT_DISALLOWED_KEYS", ["viagra"])
        db.session.commit()
        target = pending("Bot", "bot@spam.example", "203.0.113.9")
    response = choose(logged_in, target, "email")
    press_undo(logged_in, response.headers["Location"])
    with app.app_context():
        assert disallowed() == ["viagra"]

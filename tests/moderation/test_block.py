"""Blocca: a comment's email or address block joins the disallowed words, its
site the blocked sites; a page says first what the block would move; Annulla
takes it all back; what a block moved teaches the learning filter nothing."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent, SiteSetting, SpamToken
from blog.spam.bayes_store import TOTALS
from tests.helpers import Commenter, add_comment, queue_token, soup, text_of

P, A, S = CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.SPAM

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


def pending(author: str, email: str, address: str, url: str = "", status=P, **fields) -> int:
    comment = add_comment(
        status=status, author=author, email=email, url=url, ip_address=address, **fields
    )
    # As the comment form stores it (blog/core/addresses.py).
    from blog.core.addresses import address_block

    comment.ip_block = address_block(address, 32, 64)
    db.session.commit()
    return comment.id


def setting(key: str) -> list[str]:
    row = db.session.get(SiteSetting, key)
    return json.loads(row.value) if row else []


def disallowed() -> list[str]:
    return setting("COMMENT_DISALLOWED_KEYS")


def blocked_hosts() -> list[str]:
    return setting("COMMENT_BLOCKED_HOSTS")


def statuses() -> dict[str, CommentStatus]:
    return {c.author: c.status for c in db.session.scalars(sa.select(Comment))}


def block_form(client, comment_id: int, tab: str = "pending"):
    page = soup(client.get(f"/moderation/?status={tab}"))
    return page.select_one(f"#entry-{comment_id} details.entry-block form")


def ask(client, comment_id: int, choice: str, tab: str = "pending"):
    """Tick ``choice`` in the queue's "Blocca" and send it: the page that asks first."""
    form = block_form(client, comment_id, tab)
    assert form["method"] == "get"
    params = {i["name"]: i["value"] for i in form.find_all("input") if i["type"] == "hidden"}
    radio = next(r for r in form.select('input[type="radio"]') if r["value"] == choice)
    params[radio["name"]] = choice
    return client.get(form["action"], query_string=params)


def hidden_fields(form) -> dict[str, str]:
    return {i["name"]: i["value"] for i in form.find_all("input") if i["type"] == "hidden"}


def confirm(client, asked):
    """Press "Blocca" on the page that asked."""
    assert asked.status_code == 200
    form = soup(asked).find("form", id="confirm-form")
    assert form["method"] == "post"
    return client.post(form["action"], data=hidden_fields(form))


def choose(client, comment_id: int, choice: str, tab: str = "pending"):
    return confirm(client, ask(client, comment_id, choice, tab))


def flashes_after(client, response) -> str:
    return text_of(soup(client.get(response.headers["Location"])).find(class_="flashes"))


@pytest.mark.parametrize(
    ("choice", "word", "moved", "stays"),
    [
        ("email", "bot@spam.example", ["Bot", "Bot con altro nome"], ["Vicino", "Lontano"]),
        ("ip", "203.0.113.9/32", ["Bot", "Vicino"], ["Bot con altro nome", "Lontano"]),
        ("host", "pillole.example.com", ["Bot", "Lontano"], ["Bot con altro nome", "Vicino"]),
    ],
)
def test_blocca_adds_the_choice_and_moves_what_now_matches(
    logged_in, app, choice, word, moved, stays
):
    with app.app_context():
        target = pending(
            "Bot", "bot@spam.example", "203.0.113.9", "https://www.pillole.example.com/"
        )
        pending("Bot con altro nome", "bot@spam.example", "198.51.100.1")
        pending("Vicino", "vicino@example.it", "203.0.113.9")
        # Another site's page linking the same host: its text mentions it.
        pending(
            "Lontano",
            "lontano@example.it",
            "198.51.100.2",
            comment="Guardate https://pillole.example.com/offerta",
        )
        # Past moderation: Blocca moves only what waits.
        approved = pending("Già approvato", "bot@spam.example", "203.0.113.9", status=A)
        # 203.0.113.91 starts like 203.0.113.9 but is another address.
        pending("Indirizzo simile", "simile@example.it", "203.0.113.91")
    response = choose(logged_in, target, choice)
    assert response.status_code == 303
    flashes = flashes_after(logged_in, response)
    count = len(moved)
    moved_text = f"{count} commenti in attesa spostati in Spam. Annulla"
    listed, note = (
        ("ai siti bloccati", f"sito bloccato «{word}»")
        if choice == "host"
        else ("alle parole vietate", f"parola vietata «{word}»")
    )
    assert flashes == f"«{word}» aggiunto {listed}. {moved_text}"
    with app.app_context():
        assert (blocked_hosts() if choice == "host" else disallowed()) == [word]
        assert (disallowed() if choice == "host" else blocked_hosts()) == []
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
        assert {e.note for e in events} == {note}
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
    assert flashes_after(logged_in, response) == (
        "«2001:db8:1:2::/64» aggiunto alle parole vietate. "
        "2 commenti in attesa spostati in Spam. Annulla"
    )
    with app.app_context():
        status = {c.author: c.status for c in db.session.scalars(sa.select(Comment))}
        assert status == {"Bot": S, "Stesso /64": S, "Altro /64": P}


def test_one_comment_moved_and_none_moved_read_well(logged_in, app):
    with app.app_context():
        target = pending("Bot", "solo@spam.example", "203.0.113.5")
        approved = pending("Approvato", "approvato@example.it", "203.0.113.6", status=A)
    response = choose(logged_in, target, "email")
    assert flashes_after(logged_in, response) == (
        "«solo@spam.example» aggiunto alle parole vietate. "
        "1 commento in attesa spostato in Spam. Annulla"
    )
    response = choose(logged_in, approved, "email", tab="approved")
    assert flashes_after(logged_in, response) == (
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


@pytest.mark.parametrize("choice", ["", "host", "domain", "tutto"])
def test_a_choice_the_comment_lacks_blocks_nothing(logged_in, app, choice):
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "203.0.113.9")  # no site
    data = hidden_fields(soup(ask(logged_in, target, "email")).find("form", id="confirm-form"))
    data[f"block-{target}-target"] = choice
    response = logged_in.post(f"/moderation/comments/{target}/block", data=data)
    assert response.status_code == 303
    assert "Scegli che cosa bloccare." in flashes_after(logged_in, response)
    # Asking about it is refused the same way.
    response = logged_in.get(
        f"/moderation/comments/{target}/block", query_string={f"block-{target}-target": choice}
    )
    assert response.status_code == 303
    assert "Scegli che cosa bloccare." in flashes_after(logged_in, response)
    with app.app_context():
        assert disallowed() == [] and blocked_hosts() == []
        assert db.session.get(Comment, target).status == P


# A site is a host, matched by the comment's site and links only


def test_a_site_named_after_a_browser_is_refused_and_moves_nothing(logged_in, app):
    """The attack: a spam comment whose site is ``http://www.mozilla``; blocking
    "mozilla" as a word sent every Firefox and Chrome comment to Spam."""
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "203.0.113.9", "http://www.mozilla")
        pending("Giulia", "giulia@example.it", "198.51.100.1", user_agent=FIREFOX)
        pending("Marco", "marco@example.it", "198.51.100.2", user_agent=CHROME)
    form = block_form(logged_in, target)
    labels = [text_of(label) for label in form.select(".choice label")]
    assert labels[-1] == "il sito www.mozilla"

    asked = ask(logged_in, target, "host")
    assert asked.status_code == 422
    page = soup(asked)
    assert text_of(page.find(role="alert")) == (
        "«www.mozilla» non si può bloccare: non finisce con un dominio di primo livello "
        "conosciuto (come .com o .it)."
    )
    assert page.find("form", id="confirm-form") is None
    # Sent anyway, the POST refuses it the same way.
    token = queue_token(logged_in)
    response = logged_in.post(
        f"/moderation/comments/{target}/block",
        data={f"block-{target}-csrf_token": token, f"block-{target}-target": "host"},
    )
    assert response.status_code == 303
    assert "«www.mozilla» non si può bloccare" in flashes_after(logged_in, response)
    with app.app_context():
        assert blocked_hosts() == [] and disallowed() == []
        assert statuses() == {"Bot": P, "Giulia": P, "Marco": P}
    # The next Firefox comment is published as before.
    firefox = app.test_client()
    firefox.environ_base["HTTP_USER_AGENT"] = FIREFOX
    assert Commenter(firefox).post(author="Nuova", email="nuova@example.it").status_code == 303
    with app.app_context():
        assert statuses()["Nuova"] == P


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://co.uk/", "«co.uk» non si può bloccare: è un suffisso pubblico"),
        ("https://github.io/", "«github.io» non si può bloccare: è un suffisso pubblico"),
        ("http://www.github.io/", "«www.github.io»"),
        ("http://localhost:8000/", "«localhost» non si può bloccare: il nome di un sito ha"),
        ("http://203.0.113.5/", "«203.0.113.5» non si può bloccare come sito: è un indirizzo IP"),
        ("http://[2001:db8::1]/", "«2001:db8::1» non si può bloccare come sito"),
    ],
)
def test_what_nobody_owns_cannot_be_blocked(logged_in, app, url, reason):
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "203.0.113.9", url)
        pending("Altro", "altro@example.it", "198.51.100.1", url)
    asked = ask(logged_in, target, "host")
    if url == "http://www.github.io/":
        # www.github.io is one owner's site under github.io: it can be blocked.
        assert asked.status_code == 200
        return
    assert asked.status_code == 422
    assert reason in text_of(soup(asked).find(role="alert"))
    with app.app_context():
        assert blocked_hosts() == []
        assert statuses() == {"Bot": P, "Altro": P}


def test_a_blocked_host_matches_its_site_and_links_and_nothing_else(logged_in, app):
    with app.app_context():
        target = pending("Bot", "bot@a.example", "203.0.113.9", "http://spam.example.com")
        pending("Sito", "sito@example.it", "198.51.100.1", "https://SPAM.example.com/pagina")
        pending(
            "Link",
            "link@example.it",
            "198.51.100.2",
            comment="Guardate https://a.spam.example.com/x",
        )
        pending("Sito vicino", "vicino@example.it", "198.51.100.3", "http://notspam.example.com")
        pending("Dominio", "dominio@example.it", "198.51.100.4", "http://example.com")
        pending(
            "Browser",
            "browser@example.it",
            "198.51.100.5",
            user_agent=f"{FIREFOX} spam.example.com",
        )
        pending("spam.example.com", "nome@spam.example.com", "198.51.100.6")
    response = choose(logged_in, target, "host")
    assert flashes_after(logged_in, response) == (
        "«spam.example.com» aggiunto ai siti bloccati. "
        "3 commenti in attesa spostati in Spam. Annulla"
    )
    with app.app_context():
        assert blocked_hosts() == ["spam.example.com"]
        assert disallowed() == []
        assert statuses() == {
            "Bot": S,
            "Sito": S,
            "Link": S,
            "Sito vicino": P,
            "Dominio": P,
            "Browser": P,
            "spam.example.com": P,
        }
    # New comments: a link to a subdomain goes to Spam; the host in the
    # browser string, the name or the email does not.
    for author, fields, agent in [
        ("Nuovo link", {"comment": "Offerta su http://www.spam.example.com/"}, FIREFOX),
        ("Nuovo browser", {}, f"{CHROME} spam.example.com"),
        ("spam.example.com nel nome", {"email": "x@spam.example.com"}, FIREFOX),
    ]:
        reader = app.test_client()
        reader.environ_base["HTTP_USER_AGENT"] = agent
        email = fields.pop("email", f"{len(author)}@example.it")
        Commenter(reader).post(author=author, email=email, **fields)
    with app.app_context():
        now = statuses()
        assert now["Nuovo link"] == S
        assert now["Nuovo browser"] == P
        assert now["spam.example.com nel nome"] == P
        newest = db.session.scalar(sa.select(Comment).where(Comment.author == "Nuovo link"))
        assert "sito bloccato «spam.example.com»" in newest.events[0].note


def test_a_site_offers_its_registrable_domain_as_a_second_choice(logged_in, app):
    with app.app_context():
        target = pending("Bot", "bot@a.example", "203.0.113.9", "http://www.shop.example.co.uk/")
        pending("Altro negozio", "b@example.it", "198.51.100.1", "http://other.example.co.uk")
        single = pending("Solo", "c@example.it", "198.51.100.2", "http://www.example.co.uk/")
    form = block_form(logged_in, target)
    assert [text_of(label) for label in form.select(".choice label")][-2:] == [
        "il sito shop.example.co.uk",
        "tutti i siti del dominio example.co.uk",
    ]
    # Where they are the same, one choice.
    form = block_form(logged_in, single)
    assert [text_of(label) for label in form.select(".choice label")][-1] == (
        "il sito example.co.uk"
    )
    response = choose(logged_in, target, "domain")
    assert flashes_after(logged_in, response).startswith(
        "«example.co.uk» aggiunto ai siti bloccati. 3 commenti in attesa spostati in Spam."
    )


def test_the_page_says_how_many_before_anything_moves(logged_in, app):
    with app.app_context():
        target = pending("Bot", "bot@a.example", "203.0.113.9", "http://spam.example.com")
        pending("Complice", "c@example.it", "198.51.100.1", "https://spam.example.com/")
        pending("Innocente", "i@example.it", "198.51.100.2", user_agent=FIREFOX)
        pending("Già spam", "s@example.it", "198.51.100.3", "http://spam.example.com", status=S)
    asked = ask(logged_in, target, "host")
    assert asked.status_code == 200
    page = soup(asked)
    assert text_of(page.find("h1")) == "Bloccare il sito spam.example.com?"
    assert text_of(page.find(id="block-count")) == (
        "2 commenti in attesa corrispondono: andranno in Spam. "
        "Anche i prossimi commenti che corrispondono andranno in Spam."
    )
    assert [text_of(item.find("strong")) for item in page.select(".block-matches li")] == [
        "Bot",
        "Complice",
    ]
    with app.app_context():  # looking changed nothing
        assert blocked_hosts() == []
        assert db.session.scalar(sa.select(sa.func.count(ModerationEvent.id))) == 0
        assert statuses() == {"Bot": P, "Complice": P, "Innocente": P, "Già spam": S}
    response = confirm(logged_in, asked)
    assert "2 commenti in attesa spostati in Spam." in flashes_after(logged_in, response)


# Email and address blocks look at the email and the address only


def test_an_email_block_matches_that_email_whole_and_nothing_else(logged_in, app):
    with app.app_context():
        target = pending("Bot", "o@posta.example.it", "203.0.113.9")
        pending("Maiuscole", "O@Posta.Example.it", "198.51.100.1")
        pending("Mario", "mario@posta.example.it", "198.51.100.2")
        pending(
            "Browser", "b@example.it", "198.51.100.3", user_agent=f"{FIREFOX} o@posta.example.it"
        )
        pending("Testo", "t@example.it", "198.51.100.4", comment="Scrivete a o@posta.example.it")
    response = choose(logged_in, target, "email")
    assert "2 commenti in attesa spostati in Spam." in flashes_after(logged_in, response)
    with app.app_context():
        assert disallowed() == ["o@posta.example.it"]
        assert statuses() == {"Bot": S, "Maiuscole": S, "Mario": P, "Browser": P, "Testo": P}


def test_an_address_block_never_matches_the_browser_string(logged_in, app):
    with app.app_context():
        target = pending("Bot", "bot@spam.example", "203.0.113.9")
        pending("Browser", "b@example.it", "198.51.100.3", user_agent=f"{FIREFOX} 203.0.113.9/32")
    choose(logged_in, target, "ip")
    with app.app_context():
        assert statuses() == {"Bot": S, "Browser": P}

"""Spam and abuse defenses: each one's status code, message and what is stored."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from blog import create_app
from blog.articles.seed import seed_articles
from blog.extensions import db
from blog.models import Article, CommentStatus, ModerationEvent
from blog.spam.rules import FORM_TIME_SALT
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    VALID_COMMENT,
    Commenter,
    add_comment,
    add_moderator,
    comments_in_db,
    form_fields,
    soup,
    text_of,
)

#: The defenses as shipped: nothing switched off.
DEFAULT_DEFENSES = {
    "RATELIMIT_ENABLED": True,
    "COMMENT_FLOOD_SECONDS": 15,
    "COMMENT_MIN_SECONDS": 3,
}


@pytest.fixture
def make_app(app_config):
    """Build an app with the given settings on a fresh database."""
    made = []

    def make(**settings):
        app = create_app({**app_config, **settings})
        with app.app_context():
            db.drop_all()
            db.create_all()
            seed_articles()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


def signed_seconds_ago(app, seconds: int, article_id: int = 1) -> str:
    """A genuine form timestamp, as if the page had been served ``seconds`` ago."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=FORM_TIME_SALT, signer=PastSigner
    )
    return serializer.dumps(article_id)


class Reader(Commenter):
    """A reader who takes a human amount of time to write."""

    def __init__(self, app, client=None, seconds: int = 30, ip: str = "198.51.100.1"):
        super().__init__(client or app.test_client())
        self.app = app
        self.seconds = seconds
        self.client.environ_base["REMOTE_ADDR"] = ip

    def post(self, query: str = "", **fields):
        fields.setdefault("form_time", signed_seconds_ago(self.app, self.seconds))
        return super().post(query, **fields)


def stored(app) -> list:
    with app.app_context():
        return [(c.author, c.email, c.status, c.body) for c in comments_in_db()]


# Flood control


def test_flood_refuses_a_second_comment_from_the_same_ip(make_app):
    app = make_app(**DEFAULT_DEFENSES)
    reader = Reader(app)
    assert reader.post(comment="Primo").status_code == 303
    response = reader.post(comment="Secondo", email="altra@example.it", author="Altro")
    assert response.status_code == 429
    page = soup(response)
    assert "Stai commentando troppo velocemente. Rallenta." in text_of(page.find(id="form-notice"))
    assert page.find("textarea", id="comment").get_text().strip() == "Secondo"
    assert [row[3] for row in stored(app)] == ["Primo"]


def test_flood_refuses_the_same_email_from_another_ip(make_app):
    app = make_app(**DEFAULT_DEFENSES)
    assert Reader(app, ip="198.51.100.1").post(comment="Primo").status_code == 303
    response = Reader(app, ip="198.51.100.2").post(comment="Secondo")
    assert response.status_code == 429
    assert len(stored(app)) == 1


def test_flood_lets_others_and_later_comments_through(make_app):
    app = make_app(**DEFAULT_DEFENSES)
    assert Reader(app, ip="198.51.100.1").post(comment="Primo").status_code == 303
    other = Reader(app, ip="198.51.100.2")
    assert other.post(comment="Altro", email="altro@example.it").status_code == 303
    with app.app_context():
        for comment in comments_in_db():
            comment.created_at -= timedelta(seconds=16)
        db.session.commit()
    assert Reader(app, ip="198.51.100.1").post(comment="Dopo 16 s").status_code == 303
    assert len(stored(app)) == 3


def test_flood_window_is_configurable(make_app):
    app = make_app(**{**DEFAULT_DEFENSES, "COMMENT_FLOOD_SECONDS": 0})
    reader = Reader(app)
    assert reader.post(comment="Uno").status_code == 303
    assert reader.post(comment="Due").status_code == 303


def test_moderators_are_not_flood_limited(make_app):
    from tests.helpers import AuthActions, add_moderator

    app = make_app(**{**DEFAULT_DEFENSES, "RATELIMIT_ENABLED": False})
    with app.app_context():
        add_moderator()
    client = app.test_client()
    assert AuthActions(client).login().status_code == 303
    reader = Reader(app, client=client)
    assert reader.post(comment="Uno").status_code == 303
    assert reader.post(comment="Due").status_code == 303


# Rate limits


def test_comment_rate_limit_per_ip_keeps_the_text(make_app):
    app = make_app(**{**DEFAULT_DEFENSES, "COMMENT_FLOOD_SECONDS": 0})
    reader = Reader(app)
    for number in range(5):
        assert reader.post(comment=f"Commento {number}").status_code == 303
    response = reader.post(comment="Il sesto")
    assert response.status_code == 429
    page = soup(response)
    assert "troppi commenti" in text_of(page.find(id="form-notice"))
    assert page.find("textarea", id="comment").get_text().strip() == "Il sesto"
    assert len(stored(app)) == 5
    assert Reader(app, ip="198.51.100.9").post(comment="Altro IP").status_code == 303


def test_comment_rate_limit_is_configurable(make_app):
    app = make_app(
        **{**DEFAULT_DEFENSES, "COMMENT_FLOOD_SECONDS": 0, "COMMENT_RATE_LIMIT": "2 per minute"}
    )
    reader = Reader(app)
    assert [reader.post(comment=f"c{n}").status_code for n in range(3)] == [303, 303, 429]


def test_rate_limits_can_be_switched_off(make_app):
    app = make_app(**{**DEFAULT_DEFENSES, "COMMENT_FLOOD_SECONDS": 0, "RATELIMIT_ENABLED": False})
    reader = Reader(app)
    assert {reader.post(comment=f"c{n}").status_code for n in range(8)} == {303}


def _login_attempt(client, username: str, password: str = "password sbagliata"):
    page = soup(client.get("/moderation/login"))
    data = form_fields(page, "loginform")
    data.update(username=username, password=password)
    return client.post("/moderation/login", data=data)


def _client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def slept(monkeypatch):
    """The login's slowdowns, recorded instead of slept."""
    delays = []
    monkeypatch.setattr("blog.accounts.auth.sleep", delays.append, raising=False)
    return delays


def test_login_rate_limit_per_ip(make_app):
    app = make_app(**DEFAULT_DEFENSES)
    client = app.test_client()
    codes = [_login_attempt(client, f"utente{n}").status_code for n in range(6)]
    assert codes == [422] * 5 + [429]
    response = _login_attempt(client, "altro")
    assert "Troppe richieste" in text_of(soup(response))


def test_login_rate_limit_per_address_and_username(make_app):
    app = make_app(
        **DEFAULT_DEFENSES,
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_USERNAME_RATE_LIMIT="3 per hour",
    )
    client = _client_at(app, "203.0.113.1")
    codes = [_login_attempt(client, "Anna").status_code for _ in range(4)]
    assert codes == [422] * 3 + [429]
    assert _login_attempt(client, "altro").status_code == 422
    assert _login_attempt(_client_at(app, "203.0.113.2"), "anna").status_code == 422


def test_guessing_from_many_addresses_does_not_lock_the_moderator_out(make_app, slept):
    from tests.helpers import MODERATOR_PASSWORD

    app = make_app(**DEFAULT_DEFENSES)
    with app.app_context():
        add_moderator()
    codes = [
        _login_attempt(_client_at(app, f"203.0.113.{n + 1}"), "anna").status_code for n in range(5)
    ]
    assert codes == [422] * 5
    assert slept == []
    response = _login_attempt(_client_at(app, "203.0.113.6"), "anna", MODERATOR_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/"
    assert slept == [1]


def test_login_slowdown_is_bounded_and_configurable(make_app, slept):
    app = make_app(**DEFAULT_DEFENSES, LOGIN_SLOWDOWN_AFTER="2 per hour", LOGIN_SLOWDOWN_SECONDS=2)
    codes = [
        _login_attempt(_client_at(app, f"203.0.113.{n + 1}"), "anna").status_code for n in range(6)
    ]
    assert codes == [422] * 6
    assert slept == [2, 2, 2, 2]


def test_unknown_and_known_users_are_throttled_alike(make_app, slept):
    app = make_app(**DEFAULT_DEFENSES)
    with app.app_context():
        add_moderator()

    def attempts(username: str, network: int):
        answers = []
        for number in range(7):
            response = _login_attempt(_client_at(app, f"203.0.{network}.{number + 1}"), username)
            page = soup(response)
            for field in page.find_all("input", attrs={"name": ["csrf_token", "username"]}):
                field["value"] = ""
            answers.append((response.status_code, str(page.find("main")), len(slept)))
        return answers

    known = attempts("anna", 113)
    slept.clear()
    unknown = attempts("nessuno", 114)
    assert known == unknown
    assert [code for code, _, _ in known] == [422] * 7
    assert [count for _, _, count in known] == [0, 0, 0, 0, 0, 1, 2]


# Duplicates


@pytest.mark.parametrize(
    ("author", "email", "body"),
    [
        ("Mario Rossi", "mario.rossi@example.it", "Testo ripetuto"),
        ("Mario Rossi", "mario.rossi@example.it", "  Testo ripetuto  "),
        ("Mario Rossi", "mario.rossi@example.it", "Caffe\u0300 ripetuto"),
    ],
    ids=["identical", "padded", "NFC"],
)
def test_duplicate_is_refused(make_app, author, email, body):
    app = make_app()
    first_body = "Caff\u00e8 ripetuto" if "Caffe" in body else "Testo ripetuto"
    with app.app_context():
        add_comment(status=CommentStatus.PENDING, comment=first_body)
    response = Reader(app).post(author=author, email=email, comment=body)
    assert response.status_code == 409
    assert "Commento duplicato: sembra che tu l'abbia già scritto!" in text_of(soup(response))
    assert len(stored(app)) == 1


@pytest.mark.parametrize(
    ("author", "email", "query"),
    [
        ("Altro nome", "mario.rossi@example.it", ""),
        ("Mario Rossi", "diversa@example.it", ""),
        ("Mario Rossi", "mario.rossi@example.it", "?replytocom=1"),
    ],
    ids=["same email, other name", "same name, other email", "same text, other parent"],
)
def test_only_the_same_person_in_the_same_place_is_a_duplicate(make_app, author, email, query):
    """WordPress's rule: same article, parent, name and email, and text."""
    app = make_app()
    with app.app_context():
        add_comment(comment="Grazie!")
    response = Reader(app).post(query, author=author, email=email, comment="Grazie!")
    assert response.status_code == 303
    assert [row[3] for row in stored(app)] == ["Grazie!", "Grazie!"]


def test_a_double_click_hears_duplicate_not_too_fast(make_app):
    """The duplicate check comes before flood control."""
    app = make_app(**DEFAULT_DEFENSES)
    reader = Reader(app)
    form = reader.open_form()
    data = {**form, **VALID_COMMENT, "form_time": signed_seconds_ago(app, 30)}
    first = reader.client.post(POST_URL, data=data)
    second = reader.client.post(POST_URL, data=data)
    assert (first.status_code, second.status_code) == (303, 409)
    assert "Commento duplicato" in text_of(soup(second))
    assert "troppo velocemente" not in text_of(soup(second))
    # Another text in the same seconds is still a flood.
    third = reader.client.post(POST_URL, data={**data, "comment": "Un altro testo"})
    assert third.status_code == 429
    assert "Stai commentando troppo velocemente. Rallenta." in text_of(soup(third))
    assert len(stored(app)) == 1


def test_same_text_from_someone_else_or_after_trash_is_fine(make_app):
    app = make_app()
    with app.app_context():
        add_comment(comment="Testo comune")
        add_comment(status=CommentStatus.TRASH, comment="Cestinato", author="Bea", email="b@e.it")
    other = Reader(app).post(author="Altra", email="altra@example.it", comment="Testo comune")
    assert other.status_code == 303
    again = Reader(app, ip="198.51.100.5").post(author="Bea", email="b@e.it", comment="Cestinato")
    assert again.status_code == 303


# Honeypot


def test_honeypot_is_hidden_from_people(client):
    page = soup(client.get(ARTICLE_URL))
    field = page.find("input", attrs={"name": "homepage"})
    assert field["autocomplete"] == "off" and field["tabindex"] == "-1"
    wrapper = field.find_parent("p")
    assert wrapper["aria-hidden"] == "true"
    assert "comment-form-homepage" in wrapper["class"]
    css = client.get("/static/css/site.css").get_data(as_text=True)
    assert ".comment-form-homepage { position: absolute; left: -10000px" in css


def test_filled_honeypot_sends_the_comment_to_spam(make_app):
    app = make_app()
    reader = Reader(app)
    response = reader.post(homepage="http://spam.example/")
    assert response.status_code == 303
    ((_, _, status, _),) = stored(app)
    assert status == CommentStatus.SPAM
    own = soup(reader.client.get(ARTICLE_URL))
    assert "Il tuo commento è in attesa di moderazione." in text_of(own)
    with app.app_context():
        (event,) = db.session.scalars(sa.select(ModerationEvent)).all()
        assert event.action == "filter" and "trappola" in event.note and event.moderator is None


# Time trap


def test_fast_submission_goes_to_spam_with_the_defaults(make_app):
    app = make_app(**{**DEFAULT_DEFENSES, "RATELIMIT_ENABLED": False})
    response = Commenter(app.test_client()).post()  # form fetched and sent at once
    assert response.status_code == 303
    assert stored(app)[0][2] == CommentStatus.SPAM


def test_the_time_traps_reason_says_what_the_rule_is(make_app):
    """It said "inviato dopo 3 s" of a comment sent after 2.6 s."""
    app = make_app(**{**DEFAULT_DEFENSES, "RATELIMIT_ENABLED": False})
    Commenter(app.test_client()).post()
    with app.app_context():
        (event,) = db.session.scalars(sa.select(ModerationEvent)).all()
        assert event.note == "inviato meno di 3 s dopo l'apertura del modulo"


def test_human_speed_submission_is_not_spam(make_app):
    app = make_app(**DEFAULT_DEFENSES)
    assert Reader(app, seconds=4).post().status_code == 303
    assert stored(app)[0][2] == CommentStatus.PENDING


def test_minimum_time_is_configurable(make_app):
    app = make_app(**{**DEFAULT_DEFENSES, "COMMENT_MIN_SECONDS": 60})
    Reader(app, seconds=30).post()
    assert stored(app)[0][2] == CommentStatus.SPAM


@pytest.mark.parametrize(
    "token",
    [
        lambda app: "manomesso",
        lambda app: signed_seconds_ago(app, 30)[:-2] + "xx",
        lambda app: signed_seconds_ago(app, 2 * 60 * 60 + 5),
        lambda app: signed_seconds_ago(app, 30, article_id=999),
        lambda app: "",
        lambda app: None,
    ],
    ids=["garbage", "tampered", "older than 2 hours", "other article", "empty", "missing"],
)
def test_bad_form_timestamp_rerenders_and_stores_nothing(make_app, token):
    app = make_app()
    response = Reader(app).post(form_time=token(app), comment="Il mio testo")
    assert response.status_code == 400
    page = soup(response)
    assert "più di due ore" in text_of(page.find(id="form-notice"))
    assert page.find("textarea", id="comment").get_text().strip() == "Il mio testo"
    assert page.find("input", attrs={"name": "form_time"})["value"]
    assert stored(app) == []


# Links


@pytest.mark.parametrize(
    ("body", "max_links", "expected"),
    [
        ("Un link: https://uno.example/", 2, CommentStatus.APPROVED),
        ("https://uno.example/ e https://due.example/", 2, CommentStatus.PENDING),
        ('<a href="https://uno.example/">a</a> www.due.shop', 2, CommentStatus.PENDING),
        ("https://uno.example/ e https://due.example/", 3, CommentStatus.APPROVED),
        ("https://uno.example/", 1, CommentStatus.PENDING),
    ],
)
def test_many_links_wait_whatever_the_policy(make_app, body, max_links, expected):
    app = make_app(COMMENT_MODERATION="none", COMMENT_MAX_LINKS=max_links)
    assert Reader(app).post(comment=body).status_code == 303
    assert stored(app)[0][2] == expected


# Word lists

FIELDS = {
    "author": {"author": "Compra Viagra"},
    "email": {"email": "viagra@example.it"},
    "url": {"url": "https://viagra.example/"},
    "comment": {"comment": "Offerta VIAGRA qui"},
    "ip": {},
    "user agent": {},
}


def _post_with(app, field: str, keyword_ip: bool = False):
    reader = Reader(app, ip="203.0.113.66" if field == "ip" else "198.51.100.1")
    if field == "user agent":
        reader.client.environ_base["HTTP_USER_AGENT"] = "ViagraBot/1.0"
    return reader.post(**FIELDS[field])


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("COMMENT_MODERATION_KEYS", CommentStatus.PENDING),
        ("COMMENT_DISALLOWED_KEYS", CommentStatus.SPAM),
    ],
)
def test_word_lists_match_every_field(make_app, field, setting, expected):
    keyword = "203.0.113.66" if field == "ip" else "viagra"
    app = make_app(COMMENT_MODERATION="none", **{setting: [keyword]})
    assert _post_with(app, field).status_code == 303
    assert stored(app)[0][2] == expected


def test_without_word_lists_the_same_comment_is_approved(make_app):
    app = make_app(COMMENT_MODERATION="none")
    _post_with(app, "comment")
    assert stored(app)[0][2] == CommentStatus.APPROVED


def test_disallowed_beats_moderation_keys(make_app):
    app = make_app(COMMENT_MODERATION_KEYS=["offerta"], COMMENT_DISALLOWED_KEYS=["viagra"])
    Reader(app).post(comment="Offerta viagra")
    assert stored(app)[0][2] == CommentStatus.SPAM


def test_moderators_word_lists_override_the_config(make_app):
    from tests.helpers import AuthActions, add_moderator

    app = make_app(COMMENT_MODERATION="none", COMMENT_DISALLOWED_KEYS=["vecchia"])
    with app.app_context():
        add_moderator()
    moderator = app.test_client()
    AuthActions(moderator).login()
    page = soup(moderator.get("/moderation/settings"))
    assert page.find("textarea", id="disallowed_keys").get_text().strip() == "vecchia"
    data = form_fields(page, "wordlists-form")
    data.update(moderation_keys="trattieni\n", disallowed_keys="Casinò\nbitcoin\n")
    response = moderator.post("/moderation/settings", data=data)
    assert response.status_code == 303
    assert "Elenchi di parole salvati." in text_of(soup(moderator.get("/moderation/settings")))
    Reader(app, ip="198.51.100.1").post(comment="Parola vecchia", email="a@e.it")
    Reader(app, ip="198.51.100.2").post(comment="Gioca al CASINÒ", email="b@e.it")
    Reader(app, ip="198.51.100.3").post(comment="Trattieni questo", email="c@e.it")
    assert [row[2] for row in stored(app)] == [
        CommentStatus.APPROVED,
        CommentStatus.SPAM,
        CommentStatus.PENDING,
    ]


# Closing


def test_comments_close_after_the_configured_days(make_app):
    app = make_app(COMMENT_CLOSE_AFTER_DAYS=30)  # the seed article is from 2021
    client = app.test_client()
    page = soup(client.get(ARTICLE_URL))
    assert page.find("form", id="commentform") is None
    assert "I commenti sono chiusi." in text_of(page.find(id="respond"))
    response = client.post(POST_URL, data={**VALID_COMMENT})
    assert response.status_code == 403
    assert stored(app) == []


def test_recent_article_stays_open(make_app):
    app = make_app(COMMENT_CLOSE_AFTER_DAYS=30)
    with app.app_context():
        from blog.models import utcnow

        db.session.scalar(sa.select(Article)).published_at = utcnow() - timedelta(days=29)
        db.session.commit()
    assert Reader(app).post().status_code == 303


def test_moderator_closes_and_reopens_an_article(make_app):
    from tests.helpers import AuthActions, add_moderator

    app = make_app()
    with app.app_context():
        add_moderator()
        article_id = db.session.scalar(sa.select(Article.id))
    moderator = app.test_client()
    AuthActions(moderator).login()
    token = form_fields(soup(moderator.get("/moderation/settings")), "wordlists-form")["csrf_token"]
    url = f"/moderation/articles/{article_id}/comments/"
    reader = Reader(app)
    form = reader.open_form()
    assert moderator.post(url + "close", data={"csrf_token": token}).status_code == 303
    response = reader.client.post(POST_URL, data={**form, **VALID_COMMENT})
    assert response.status_code == 403
    assert "I commenti sono chiusi." in text_of(soup(reader.client.get(ARTICLE_URL)))
    assert stored(app) == []
    moderator.post(url + "open", data={"csrf_token": token})
    assert Reader(app).post().status_code == 303


# Client IP


def test_forwarded_for_is_ignored_by_default(make_app):
    app = make_app()
    reader = Reader(app, ip="127.0.0.1")
    reader.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.50"
    reader.post()
    with app.app_context():
        assert comments_in_db()[0].ip_address == "127.0.0.1"


def test_proxy_fix_trusts_the_configured_number_of_proxies(make_app):
    app = make_app(PROXY_FIX_X_FOR=1)
    reader = Reader(app, ip="127.0.0.1")
    reader.client.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.7, 203.0.113.50"
    reader.post()
    with app.app_context():
        assert comments_in_db()[0].ip_address == "203.0.113.50"


# Address blocks: one IPv6 user holds a whole /64


@pytest.mark.parametrize(
    ("address", "prefix_v4", "prefix_v6", "expected"),
    [
        ("198.51.100.7", 32, 64, "198.51.100.7/32"),
        ("198.51.100.7", 24, 64, "198.51.100.0/24"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 32, 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", 32, 48, "2001:db8:1::/48"),
        ("2001:DB8:1:2::1", 32, 128, "2001:db8:1:2::1/128"),
        ("::ffff:198.51.100.7", 32, 64, "198.51.100.7/32"),
        ("fe80::1%eth0", 32, 64, "fe80::/64"),
        ("", 32, 64, None),
        (None, 32, 64, None),
        ("unknown", 32, 64, None),
        ("198.51.100.300", 32, 64, None),
    ],
)
def test_address_block(address, prefix_v4, prefix_v6, expected):
    from blog.core.addresses import address_block

    assert address_block(address, prefix_v4, prefix_v6) == expected


def test_flood_counts_an_ipv6_64_as_one_address(make_app):
    app = make_app(**DEFAULT_DEFENSES)
    assert Reader(app, ip="2001:db8:1:2::1").post(comment="Primo").status_code == 303
    neighbour = Reader(app, ip="2001:db8:1:2:ffff::9")
    response = neighbour.post(comment="Secondo", email="altra@example.it", author="Altro")
    assert response.status_code == 429
    other_network = Reader(app, ip="2001:db8:1:3::1")
    assert other_network.post(comment="Terzo", email="terzo@example.it").status_code == 303
    assert [row[3] for row in stored(app)] == ["Primo", "Terzo"]
    with app.app_context():
        assert [c.ip_block for c in comments_in_db()] == ["2001:db8:1:2::/64", "2001:db8:1:3::/64"]


def test_flood_block_size_is_configurable(make_app):
    app = make_app(**DEFAULT_DEFENSES, IP_BLOCK_PREFIX_V6=128)
    assert Reader(app, ip="2001:db8:1:2::1").post(comment="Primo").status_code == 303
    neighbour = Reader(app, ip="2001:db8:1:2::2")
    assert neighbour.post(comment="Secondo", email="altra@example.it").status_code == 303


def test_comment_rate_limit_counts_an_ipv6_64_as_one_address(make_app):
    app = make_app(**{**DEFAULT_DEFENSES, "COMMENT_FLOOD_SECONDS": 0})
    codes = [
        Reader(app, ip=f"2001:db8:1:2::{number + 1:x}").post(comment=f"c{number}").status_code
        for number in range(6)
    ]
    assert codes == [303] * 5 + [429]
    assert Reader(app, ip="2001:db8:1:3::1").post(comment="Altra rete").status_code == 303
    assert Reader(app, ip="198.51.100.9").post(comment="IPv4").status_code == 303


def test_login_rate_limit_counts_an_ipv6_64_as_one_address(make_app):
    app = make_app(**DEFAULT_DEFENSES)
    codes = []
    for number in range(6):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"2001:db8:1:2::{number + 1:x}"
        codes.append(_login_attempt(client, f"utente{number}").status_code)
    assert codes == [422] * 5 + [429]


@pytest.mark.parametrize("address", ["unknown", "", "2001:db8::zz", "x" * 80])
def test_a_malformed_client_address_is_no_error(make_app, address):
    app = make_app(**DEFAULT_DEFENSES)
    reader = Reader(app, ip=address)
    assert reader.post(comment="Primo").status_code == 303
    response = reader.post(comment="Secondo", email="altra@example.it", author="Altro")
    assert response.status_code == 303
    with app.app_context():
        assert {c.ip_block for c in comments_in_db()} == {None}


# Input hygiene


@pytest.mark.parametrize("field", ["comment", "author", "email", "url"])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_refused(make_app, field, char):
    app = make_app()
    value = {"email": "a@example.it", "url": "https://e.it/"}.get(field, "testo")
    response = Reader(app).post(**{field: value[:1] + char + value[1:]})
    assert response.status_code == 422
    assert "caratteri di controllo non ammessi" in text_of(soup(response).find(id=f"{field}-error"))
    assert stored(app) == []


def test_newlines_and_tabs_are_text(make_app):
    app = make_app()
    assert Reader(app).post(comment="riga\tuno\r\nriga due").status_code == 303
    assert stored(app)[0][3] == "riga\tuno\r\nriga due"


def test_length_limits_count_after_nfc(make_app):
    app = make_app()
    decomposed = "e\u0301" * 245  # 490 code points, 245 once composed
    assert Reader(app).post(author=decomposed).status_code == 303
    assert stored(app)[0][0] == "\u00e9" * 245


def test_text_is_normalised_in_pieces_as_it_would_be_at_once():
    """The filters normalise a piece at a time, to stop at their limit; the
    pieces join where normalisation joins nothing (a space, a line break)."""
    import unicodedata

    from blog.spam.rules import NORMALISED_LIMIT, normalise

    text = "caffe\u0300 \ufb01ne\u2026 \uff21\u0301\n\u1100\u1161\u11a8 " * 3000
    assert len(text) > 8 * 4096
    assert normalise(text) == unicodedata.normalize("NFKC", text)[:NORMALISED_LIMIT]
    one_word = "e\u0301" * 5000
    assert normalise(one_word) == "\u00e9" * 5000
    assert normalise("\ufdfa" * 100, limit=20) == unicodedata.normalize("NFKC", "\ufdfa" * 2)[:20]


def test_the_duplicate_check_follows_an_edited_text(app, client):
    """The digest the check looks texts up by follows every change of the body."""
    from blog.models import Comment, body_digest
    from blog.moderation.workflow import edit_comment

    with app.app_context():
        moderator = add_moderator()
        comment = add_comment(comment="Prima versione")
        edit_comment(
            comment, body="Versione corretta", author=comment.author, url="", moderator=moderator
        )
        db.session.commit()
        stored = db.session.get(Comment, comment.id)
        assert stored.body_digest == body_digest("Versione corretta")
    response = Commenter(client).post(comment="Versione corretta")
    assert response.status_code == 409
    response = Commenter(client).post(comment="Prima versione")
    assert response.status_code == 303

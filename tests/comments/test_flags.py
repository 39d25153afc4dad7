"""Segnala: readers report approved comments; at the threshold a comment waits again."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import (
    Comment,
    CommentFlag,
    CommentStatus,
    DigestEntry,
    ModerationEvent,
    Moderator,
)
from blog.moderation.workflow import (
    Action,
    Event,
    apply_action,
    record_event,
    reports_may_unpublish,
)
from tests.helpers import ARTICLE_URL, SLUG, add_comment, add_moderator, fresh_blog, soup, text_of
from tests.support.mail_server import SmtpServer, body_of

#: Four readers: four IPv4 /24s, as reports count them.
READERS = ["198.51.100.1", "203.0.113.2", "192.0.2.3", "198.18.0.4"]
#: Three more, for a second wave.
OTHERS = ["198.18.1.5", "198.18.2.6", "198.18.3.7"]


def flag_url(comment_id: int, slug: str = SLUG) -> str:
    return f"/{slug}/segnala/{comment_id}"


def report(client, comment_id: int, address: str, **kwargs):
    return client.post(flag_url(comment_id), environ_base={"REMOTE_ADDR": address}, **kwargs)


@pytest.fixture
def approved(app) -> int:
    with app.app_context():
        return add_comment(CommentStatus.APPROVED, comment="Un commento da segnalare").id


def test_every_approved_comment_has_a_segnala_form_without_token(client, app, approved):
    with app.app_context():
        add_comment(CommentStatus.PENDING, comment="In attesa")
    page = soup(client.get(ARTICLE_URL))
    boxes = page.select("details.comment-flag")
    forms = [box.find("form") for box in boxes]
    assert [form["action"] for form in forms] == [flag_url(approved)]
    assert text_of(boxes[0].find("summary")) == "Segnala"
    form = forms[0]
    assert form["method"] == "post"
    # No token: the same for every reader. One field, the optional reason.
    (field,) = form.find_all("input")
    assert (field["name"], field["type"], field["maxlength"]) == ("reason", "text", "200")
    assert not field.has_attr("required")
    assert text_of(form.find("label", attrs={"for": field["id"]})) == "Perché? (facoltativo)"
    assert text_of(form.find("button")) == "Invia la segnalazione"


def test_the_threshold_sends_the_comment_back_to_pending_with_its_reason(client, app, approved):
    assert app.config["COMMENT_FLAG_THRESHOLD"] == 3
    for address in READERS[:2]:
        response = report(client, approved, address)
        assert response.status_code == 200
        assert "I moderatori rileggeranno il commento." in text_of(soup(response))
    with app.app_context():
        comment = db.session.get(Comment, approved)
        assert (comment.status, comment.flag_count) == (CommentStatus.APPROVED, 2)
    assert "Un commento da segnalare" in text_of(soup(app.test_client().get(ARTICLE_URL)))

    assert report(client, approved, READERS[2]).status_code == 200
    with app.app_context():
        comment = db.session.get(Comment, approved)
        assert (comment.status, comment.flag_count) == (CommentStatus.PENDING, 3)
        assert comment.article.approved_comment_count == 0
        event = db.session.scalar(sa.select(ModerationEvent))
        assert (event.action, event.from_status, event.to_status, event.moderator_id) == (
            "flag",
            "approved",
            "pending",
            None,
        )
        assert event.note == "3 segnalazioni dei lettori"
    assert "Un commento da segnalare" not in text_of(soup(app.test_client().get(ARTICLE_URL)))


def test_one_report_is_a_report_in_the_history(app_config):
    with fresh_blog(app_config, COMMENT_FLAG_THRESHOLD=1) as app:
        with app.app_context():
            comment_id = add_comment(CommentStatus.APPROVED).id
        assert report(app.test_client(), comment_id, READERS[0]).status_code == 200
        with app.app_context():
            event = db.session.scalar(sa.select(ModerationEvent))
            assert (event.action, event.note) == ("flag", "1 segnalazione dei lettori")


def test_one_report_per_reader_and_nothing_of_theirs_is_stored(client, app, approved):
    first = report(client, approved, "203.0.113.77")
    again = report(client, approved, "203.0.113.77")
    assert "Avevi già segnalato questo commento" in text_of(soup(again))
    # One IPv6 reader holds a /64: its other addresses are the same reader.
    report(client, approved, "2001:db8:1:2::1")
    report(client, approved, "2001:db8:1:2:ffff::9")
    assert first.status_code == again.status_code == 200
    with app.app_context():
        assert db.session.get(Comment, approved).flag_count == 2
        rows = db.session.execute(sa.select(CommentFlag.digest, CommentFlag.comment_id)).all()
        assert len(rows) == 2 and {row.comment_id for row in rows} == {approved}
        for digest, _ in rows:
            assert len(digest) == 64 and "203.0.113" not in digest and "2001" not in digest
    for response in (first, again):
        assert "Set-Cookie" not in response.headers


def test_the_same_reader_reporting_two_comments_leaves_unlinkable_digests(app):
    from blog.comments.flags import reporter_digest

    one = reporter_digest("chiave", "203.0.113.7/32", 1)
    assert one == reporter_digest("chiave", "203.0.113.7/32", 1)
    assert one != reporter_digest("chiave", "203.0.113.7/32", 2)
    assert one != reporter_digest("altra chiave", "203.0.113.7/32", 1)


def test_the_digest_of_a_stored_report_never_changes():
    """Stored reports are known by this digest: a new one would count a reader twice."""
    from blog.comments.flags import reporter_digest

    assert reporter_digest("chiave", "203.0.113.7/32", 1) == (
        "51cc90ccb7d739372c820d700fb2d14ed320434815578f14c7b39f1526288cc3"
    )


def test_a_report_costs_two_small_writes(client, app, approved):
    statements: list[str] = []

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        words = statement.split()
        if words[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            table = (words[1] if words[0].upper() == "UPDATE" else words[2]).strip('"')
            statements.append(f"{words[0].upper()} {table}")

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before_execute)
    try:
        report(client, approved, READERS[0])
        report(client, approved, READERS[0])
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_execute)
    assert statements == ["INSERT comment_flag", "UPDATE comment", "INSERT comment_flag"]


@pytest.mark.parametrize("status", [CommentStatus.PENDING, CommentStatus.SPAM])
def test_only_approved_comments_can_be_reported(client, app, status):
    with app.app_context():
        comment_id = add_comment(status).id
    assert report(client, comment_id, READERS[0]).status_code == 404
    assert report(client, 999999, READERS[0]).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CommentFlag.digest))) == 0


def test_a_comment_is_reported_only_under_its_own_article(client, app, approved):
    response = client.post(flag_url(approved, "un-altro-articolo"))
    assert response.status_code == 404


def test_a_report_from_another_site_is_refused(client, app, approved):
    response = client.post(
        flag_url(approved),
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "inviato da un altro sito" in text_of(soup(response))
    with app.app_context():
        assert db.session.get(Comment, approved).flag_count == 0


def test_reports_are_throttled_per_address_block(app_config):
    limits = {"RATELIMIT_ENABLED": True, "COMMENT_FLAG_RATE_LIMIT": "2 per hour"}
    with fresh_blog(app_config, **limits) as app:
        client = app.test_client()
        with app.app_context():
            ids = [
                add_comment(CommentStatus.APPROVED, comment=f"Commento {n}").id for n in range(3)
            ]
        codes = [
            report(client, comment_id, "2001:db8:5:6::1").status_code for comment_id in ids[:2]
        ]
        refused = report(client, ids[2], "2001:db8:5:6::abcd")
        assert codes == [200, 200]
        assert refused.status_code == 429
        assert "Troppe richieste" in text_of(soup(refused))
        assert report(client, ids[2], "2001:db8:5:7::1").status_code == 200, "another /64"
        with app.app_context():
            assert db.session.get(Comment, ids[2]).flag_count == 1


def test_the_article_page_stays_the_same_for_every_anonymous_reader(app, approved):
    first = app.test_client().get(ARTICLE_URL)
    second = app.test_client().get(ARTICLE_URL)
    assert first.get_data() == second.get_data()
    assert "comment-flag" in first.get_data(as_text=True)
    for page in (first, second):
        assert page.headers["Cache-Control"].startswith("public")
        assert "Set-Cookie" not in page.headers
    reader = app.test_client()
    reader.post(flag_url(approved))
    after = reader.get(ARTICLE_URL)
    assert after.headers["Cache-Control"].startswith("public"), "reporting sets no cookie"
    assert reader.get_cookie("session") is None


def test_moderators_see_the_reports_and_an_approval_answers_them(app, logged_in, approved):
    for address in READERS[:2]:
        report(app.test_client(), approved, address)
    entry = soup(logged_in.get("/moderation/?status=approved")).find(id=f"entry-{approved}")
    assert "2 segnalazioni" in text_of(entry.select_one(".entry-badges"))
    report(app.test_client(), approved, READERS[2])
    entry = soup(logged_in.get("/moderation/")).find(id=f"entry-{approved}")
    assert "3 segnalazioni" in text_of(entry.select_one(".entry-badges"))
    history = text_of(entry.select_one(".entry-history"))
    assert "Segnalato dai lettori" in history and "3 segnalazioni dei lettori" in history
    token = entry.find("input", attrs={"name": "csrf_token"})["value"]
    logged_in.post(f"/moderation/comments/{approved}/approve", data={"csrf_token": token})
    with app.app_context():
        comment = db.session.get(Comment, approved)
        assert (comment.status, comment.flag_count) == (CommentStatus.APPROVED, 0)
    # The same readers have had their say; three new ones are needed again.
    report(app.test_client(), approved, READERS[0])
    report(app.test_client(), approved, READERS[3])
    with app.app_context():
        assert db.session.get(Comment, approved).flag_count == 1


# A report never undoes a moderator's decision


def approved_by_a_moderator(app, text: str = "Un commento approvato da Anna") -> int:
    """A comment that waited, then a moderator approved it."""
    with app.app_context():
        anna = db.session.scalar(sa.select(Moderator)) or add_moderator()
        comment = add_comment(CommentStatus.PENDING, comment=text)
        apply_action(comment, Action.APPROVE, anna)
        db.session.commit()
        return comment.id


def status_and_count(app, comment_id: int) -> tuple[CommentStatus, int]:
    with app.app_context():
        comment = db.session.get_one(Comment, comment_id)
        return comment.status, comment.flag_count


def test_reports_never_unpublish_what_a_moderator_approved(client, app):
    comment_id = approved_by_a_moderator(app)
    for address in READERS[:3]:
        assert report(client, comment_id, address).status_code == 200
    assert status_and_count(app, comment_id) == (CommentStatus.APPROVED, 3)
    assert "approvato da Anna" in text_of(soup(app.test_client().get(ARTICLE_URL)))
    with app.app_context():
        assert [event.action for event in db.session.get_one(Comment, comment_id).events] == [
            "approve"
        ]


def test_unread_text_goes_back_to_pending_once_then_an_approval_makes_it_immune(app, logged_in):
    """Three strangers hid a comment; the moderator approved it again; three
    others hid it again. Now only text no moderator has read goes back, once."""
    with app.app_context():
        comment_id = add_comment(comment="Pubblicato dalla politica").id  # no moderator read it
    for address in READERS[:3]:
        report(app.test_client(), comment_id, address)
    assert status_and_count(app, comment_id) == (CommentStatus.PENDING, 3)
    entry = soup(logged_in.get("/moderation/")).find(id=f"entry-{comment_id}")
    token = entry.find("input", attrs={"name": "csrf_token"})["value"]
    logged_in.post(f"/moderation/comments/{comment_id}/approve", data={"csrf_token": token})
    assert status_and_count(app, comment_id) == (CommentStatus.APPROVED, 0)
    for address in OTHERS:
        report(app.test_client(), comment_id, address)
    assert status_and_count(app, comment_id) == (CommentStatus.APPROVED, 3)
    assert "Pubblicato dalla politica" in text_of(soup(app.test_client().get(ARTICLE_URL)))


@pytest.mark.parametrize(
    ("history", "may"),
    [
        ([], True),
        ([("approve", "anna")], False),
        ([("keep", "anna")], False),
        ([("edit", "anna")], False),
        ([("approve", None)], True),
        ([("approve", "anna"), ("self_edit", None)], True),
        ([("approve", "anna"), ("self_edit", None), ("approve", "anna")], False),
        ([("flag", None)], False),
        ([("flag", None), ("self_edit", None)], True),
    ],
    ids=[
        "published by the policy",
        "approved by a moderator",
        "kept by a moderator",
        "edited by a moderator",
        "approved by nobody",
        "changed by its author since",
        "approved again since",
        "sent back once already",
        "changed by its author after that",
    ],
)
def test_which_comments_reports_may_send_back(app, history, may):
    with app.app_context():
        anna = add_moderator()
        comment = add_comment(comment="Un testo")
        for action, who in history:
            record_event(
                comment,
                Event(action),
                anna if who else None,
                CommentStatus.APPROVED,
                CommentStatus.PENDING if action == "flag" else CommentStatus.APPROVED,
            )
        db.session.commit()
        assert reports_may_unpublish(comment) is may


def test_a_moderators_own_comment_is_never_sent_back(app):
    with app.app_context():
        comment = add_comment(comment="Scritto da Anna")
        comment.moderator_id = add_moderator().id
        db.session.commit()
        assert reports_may_unpublish(comment) is False


def test_reporters_are_counted_by_ipv4_24_and_ipv6_48(client, app, approved):
    """One customer with an IPv6 /48 had thousands of "readers"."""
    for address in ("198.51.100.1", "198.51.100.254", "2001:db8:1:1::1", "2001:db8:1:ffff::9"):
        report(client, approved, address)
    assert status_and_count(app, approved) == (CommentStatus.APPROVED, 2)
    already = report(client, approved, "2001:db8:1:abcd:1::1")
    assert "Avevi già segnalato questo commento" in text_of(soup(already))
    report(client, approved, "2001:db8:2::1")  # another /48
    assert status_and_count(app, approved) == (CommentStatus.PENDING, 3)


def test_reporters_blocks_follow_wider_configured_ones(app):
    from blog.core.addresses import wide_block

    assert wide_block("198.51.100.7") == "198.51.100.0/24"
    assert wide_block("2001:db8:1:2::1") == "2001:db8:1::/48"
    assert wide_block("198.51.100.7", prefix_v4=16, prefix_v6=32) == "198.51.0.0/16"
    assert wide_block("2001:db8:1:2::1", prefix_v4=16, prefix_v6=32) == "2001:db8::/32"
    assert wide_block("::ffff:198.51.100.7") == "198.51.100.0/24"
    assert wide_block("nessuno") is None


# Reasons, and the "Segnalati" view


HOSTILE_REASON = '<script>alert(1)</script> link "falso" & ingannevole'


def test_a_reason_is_kept_and_shown_escaped_in_the_reported_view(client, app, logged_in):
    comment_id = approved_by_a_moderator(app)
    report(client, comment_id, READERS[0], data={"reason": "  " + HOSTILE_REASON + "  "})
    report(client, comment_id, READERS[1])  # no reason: counted all the same
    again = report(client, comment_id, READERS[0], data={"reason": "Un secondo motivo"})
    assert "Avevi già segnalato" in text_of(soup(again))
    response = logged_in.get("/moderation/?status=reported")
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    page = soup(response)
    assert text_of(page.find("h1")) == "Moderazione dei commenti"
    current = page.select_one(".queue-tabs [aria-current]")
    assert text_of(current) == "Segnalati"
    entry = page.find(id=f"entry-{comment_id}")
    assert "2 segnalazioni" in text_of(entry.select_one(".entry-badges"))
    reasons = [text_of(item) for item in entry.select(".entry-reports li")]
    assert len(reasons) == 1 and HOSTILE_REASON in reasons[0]
    assert "Un secondo motivo" not in text_of(page)
    history = text_of(entry.select_one(".entry-history"))
    assert "Segnalazione il" in history and "sistema" not in history
    # Only what readers reported: the other approved comments are elsewhere.
    with app.app_context():
        quiet = add_comment(comment="Nessuno lo segnala").id
    assert page.find(id=f"entry-{quiet}") is None
    assert soup(logged_in.get("/moderation/?status=reported")).find(id=f"entry-{quiet}") is None


@pytest.mark.parametrize(
    "reason",
    ["x" * 201, "una riga\ne un'altra", "nul\x00"],
    ids=["too long", "two lines", "a control character"],
)
def test_a_reason_that_is_not_one_short_line_counts_nothing(client, app, approved, reason):
    response = report(client, approved, READERS[0], data={"reason": reason})
    assert response.status_code == 422
    assert "La segnalazione non è stata inviata" in text_of(soup(response))
    assert status_and_count(app, approved) == (CommentStatus.APPROVED, 0)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CommentFlag.digest))) == 0


def test_keeping_a_reported_comment_answers_its_reports(client, app, logged_in):
    comment_id = approved_by_a_moderator(app)
    report(client, comment_id, READERS[0], data={"reason": "Offensivo"})
    entry = soup(logged_in.get("/moderation/?status=reported")).find(id=f"entry-{comment_id}")
    form = entry.find("form", class_="keep-form")
    assert text_of(form.find("button")) == "Mantieni"
    data = {field["name"]: field["value"] for field in form.find_all("input")}
    kept = logged_in.post(form["action"], data=data)
    assert kept.status_code == 303
    assert status_and_count(app, comment_id) == (CommentStatus.APPROVED, 0)
    page = soup(logged_in.get(kept.headers["Location"]))
    assert "Commento mantenuto" in text_of(page.find(class_="flashes"))
    assert page.find(id=f"entry-{comment_id}") is None
    history = text_of(
        soup(logged_in.get("/moderation/?status=approved"))
        .find(id=f"entry-{comment_id}")
        .select_one(".entry-history")
    )
    assert "Mantenuto nonostante le segnalazioni da Anna la moderatrice" in history
    # Without a token, or on a comment nobody reported, nothing happens.
    assert logged_in.post(form["action"], data={}).status_code == 400
    refused = logged_in.post(form["action"], data=data)
    assert refused.status_code == 303
    with app.app_context():
        actions = [event.action for event in db.session.get_one(Comment, comment_id).events]
    assert actions == ["approve", "report", "keep"]


# Moderators hear of reports as their mail settings say


@pytest.fixture
def smtp():
    with SmtpServer() as inbox:
        yield inbox


@pytest.fixture
def mailing_blog(app_config, smtp):
    """Anna hears of every comment at once, Bruno of waiting ones, Carla of
    every comment in a daily digest."""
    with fresh_blog(app_config, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port) as app:
        with app.app_context():
            for name, events, frequency in (
                ("anna", "all", "immediate"),
                ("bruno", "pending", "immediate"),
                ("carla", "all", "daily"),
            ):
                moderator = add_moderator(name, display_name=name, email=f"{name}@example.it")
                moderator.mail_events, moderator.mail_frequency = events, frequency
            db.session.commit()
        yield app


def test_moderators_who_hear_of_every_comment_hear_of_a_report(mailing_blog, smtp):
    app = mailing_blog
    comment_id = approved_by_a_moderator(app)
    with app.app_context():  # when it waited: Carla's digest has it already
        db.session.execute(sa.delete(DigestEntry))
        db.session.commit()
    report(app.test_client(), comment_id, READERS[0], data={"reason": "Link a una truffa"})
    # When it waited, Anna and Bruno were mailed (sent now, after this request).
    (mail,) = [m for m in smtp.wait_for(3) if "segnalato" in m["Subject"]]
    assert mail["To"] == "anna@example.it"
    assert "Commento segnalato:" in mail["Subject"]
    body = body_of(mail)
    assert "resta pubblicato finché un moderatore non decide" in body
    assert "Motivo indicato: Link a una truffa" in body
    assert "Trattenuto perché" not in body
    assert "/moderation/?status=reported" in body
    with app.app_context():
        digest = db.session.scalars(sa.select(DigestEntry.moderator_id)).all()
        carla = db.session.scalar(sa.select(Moderator.id).where(Moderator.username == "carla"))
    assert digest == [carla]
    # Later reports wait in "Segnalati": no mail for each.
    report(app.test_client(), comment_id, READERS[1])
    time.sleep(0.3)
    assert len(smtp.messages) == 3


def test_a_comment_reports_send_back_reaches_those_who_hear_of_waiting_ones(mailing_blog, smtp):
    app = mailing_blog
    with app.app_context():
        comment_id = add_comment(comment="Pubblicato senza moderazione").id
    for address in READERS[:3]:
        report(app.test_client(), comment_id, address)
    assert status_and_count(app, comment_id) == (CommentStatus.PENDING, 3)
    waiting = [m for m in smtp.wait_for(3) if "Commento in attesa" in m["Subject"]]
    assert sorted(m["To"] for m in waiting) == ["anna@example.it", "bruno@example.it"]
    assert "Trattenuto perché: 3 segnalazioni dei lettori" in body_of(waiting[0])

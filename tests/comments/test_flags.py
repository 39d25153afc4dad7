"""Segnala: readers report approved comments; at the threshold a comment waits again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentFlag, CommentStatus, ModerationEvent
from tests.helpers import ARTICLE_URL, SLUG, add_comment, fresh_blog, soup, text_of

READERS = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]


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
    forms = page.select("form.comment-flag")
    assert [form["action"] for form in forms] == [flag_url(approved)]
    form = forms[0]
    assert form["method"] == "post"
    assert form.find("input") is None, "no token, no field: the same for every reader"
    assert text_of(form.find("button")) == "Segnala"


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

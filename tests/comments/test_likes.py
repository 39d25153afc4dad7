""" "Mi piace": one per reader and comment, known by a keyed hash, throttled, cacheable."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentLike, CommentStatus, utcnow
from tests.helpers import ARTICLE_URL, SLUG, add_comment, fresh_blog, soup, text_of


def like_url(comment_id: int, slug: str = SLUG) -> str:
    return f"/{slug}/mi-piace/{comment_id}"


def liked_url(comment_id: int, already: bool = False) -> str:
    """Where a like sends its reader back: the comment, and that they like it."""
    said = "&gia=1" if already else ""
    return f"{ARTICLE_URL}?cpage=1&mi-piace={comment_id}{said}#comment-{comment_id}"


def reader(app, address: str = "198.51.100.7"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def likes_of(app, comment_id: int) -> tuple[int, list[CommentLike]]:
    with app.app_context():
        comment = db.session.get_one(Comment, comment_id)
        rows = db.session.scalars(
            sa.select(CommentLike).where(CommentLike.comment_id == comment_id)
        ).all()
        return comment.like_count, list(rows)


@pytest.fixture
def comment_id(app) -> int:
    with app.app_context():
        return add_comment(comment="Bel pezzo").id


def test_a_like_is_counted_shown_and_goes_back_to_the_comment(app, comment_id):
    client = reader(app)
    page = soup(client.get(ARTICLE_URL))
    form = page.find("li", id=f"comment-{comment_id}").find("form", class_="like-form")
    assert form["method"] == "post" and form["action"] == like_url(comment_id)
    assert text_of(form.find("button")) == "Mi piace"
    assert form.find("input", attrs={"name": "csrf_token"}) is None
    response = client.post(form["action"])
    assert response.status_code == 303
    # Back at the comment; the query is what only this reader follows.
    assert response.headers["Location"] == liked_url(comment_id)
    assert "Set-Cookie" not in response.headers
    item = soup(client.get(response.headers["Location"])).find("li", id=f"comment-{comment_id}")
    assert text_of(item.find(class_="like-count")) == "1 mi piace"
    count, (row,) = likes_of(app, comment_id)
    assert count == 1
    # No address: a keyed hash, the comment and the time, nothing else.
    assert set(CommentLike.__table__.columns.keys()) == {"key", "comment_id", "created_at"}
    assert "198.51.100.7" not in row.key and len(row.key) == 64


def test_one_like_per_reader_and_address_block(app, comment_id):
    for address in ("2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:2:aaaa::9"):
        assert reader(app, address).post(like_url(comment_id)).status_code == 303
    assert likes_of(app, comment_id)[0] == 1, "one IPv6 /64 is one reader"
    for address in ("2001:db8:1:3::1", "198.51.100.8", "198.51.100.8"):
        assert reader(app, address).post(like_url(comment_id)).status_code == 303
    count, rows = likes_of(app, comment_id)
    assert (count, len(rows)) == (3, 3)


def test_one_readers_likes_on_two_comments_share_nothing(app, comment_id):
    with app.app_context():
        other = add_comment(comment="Un altro", author="Bea", email="bea@example.it").id
    client = reader(app)
    client.post(like_url(comment_id))
    client.post(like_url(other))
    (_, (first,)), (_, (second,)) = likes_of(app, comment_id), likes_of(app, other)
    assert first.key != second.key


def test_the_key_depends_on_the_secret(app_config):
    from blog.comments.likes import like_key

    assert like_key("uno", "198.51.100.7/32", 1) != like_key("due", "198.51.100.7/32", 1)
    assert like_key("uno", "198.51.100.7/32", 1) != like_key("uno", "198.51.100.7/32", 2)


def test_the_key_of_a_stored_like_never_changes():
    """Stored likes are known by this key: a new one would count them twice."""
    from blog.comments.likes import like_key

    assert like_key("chiave", "198.51.100.7/32", 1) == (
        "2ce26d9023622141e42b907fdabebd32292cea25d90b38b197c2b2df2b980c81"
    )
    assert like_key("chiave", "2001:db8::/64", 42) == (
        "eade58f93ab4323d4b678c960f53f238953a65c30fdeb2c1302c0f6a390ab84c"
    )


def test_likes_are_throttled_per_address_block(app_config):
    with fresh_blog(app_config, RATELIMIT_ENABLED=True, LIKE_RATE_LIMIT="3 per minute") as app:
        with app.app_context():
            ids = [add_comment(comment=f"Commento {n}", email=f"{n}@e.it").id for n in range(4)]
        client = reader(app, "2001:db8:5:6::1")
        answers = [client.post(like_url(cid)).status_code for cid in ids[:3]]
        hopping = reader(app, "2001:db8:5:6::2").post(like_url(ids[3]))
        assert answers == [303, 303, 303]
        assert hopping.status_code == 429
        assert "Troppe richieste" in text_of(soup(hopping))
        assert likes_of(app, ids[3])[0] == 0
        assert reader(app, "198.51.100.9").post(like_url(ids[3])).status_code == 303


@pytest.mark.parametrize("status", [CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.TRASH])
def test_only_approved_comments_can_be_liked(app, status):
    with app.app_context():
        hidden = add_comment(status=status, comment="Non ancora").id
    response = reader(app).post(like_url(hidden))
    assert response.status_code == 404
    assert "Pagina non trovata" in text_of(soup(response))
    assert likes_of(app, hidden) == (0, [])


@pytest.mark.parametrize("path", ["/altro-articolo/mi-piace/{id}", "/{slug}/mi-piace/999999",
                                  "/{slug}/mi-piace/99999999999"])  # fmt: skip
def test_a_like_for_nothing_is_a_404(app, comment_id, path):
    response = reader(app).post(path.format(id=comment_id, slug=SLUG))
    assert response.status_code == 404
    assert likes_of(app, comment_id) == (0, [])


def test_closed_comments_take_no_likes_but_show_their_count(app, comment_id):
    reader(app).post(like_url(comment_id))
    with app.app_context():
        db.session.scalar(sa.select(Article)).comments_open = False
        db.session.commit()
    response = reader(app, "198.51.100.20").post(like_url(comment_id))
    assert response.status_code == 403
    item = soup(reader(app).get(ARTICLE_URL)).find("li", id=f"comment-{comment_id}")
    assert item.find("form", class_="like-form") is None
    assert text_of(item.find(class_="like-count")) == "1 mi piace"


def test_a_like_from_another_site_is_refused(app, comment_id):
    response = reader(app).post(like_url(comment_id), headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert "inviato da un altro sito" in text_of(soup(response))
    assert likes_of(app, comment_id) == (0, [])


def test_a_like_renews_every_cached_copy_and_the_page_stays_shared(app, comment_id):
    client = reader(app)
    before = client.get(ARTICLE_URL)
    assert before.headers["Cache-Control"].startswith("public")
    client.get(ARTICLE_URL)  # now from the page server's memory
    client.post(like_url(comment_id))
    after = client.get(ARTICLE_URL, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in after.headers
    assert "1 mi piace" in text_of(soup(after).find("li", id=f"comment-{comment_id}"))
    # Nothing of the reader's: another reader gets the same page.
    elsewhere = reader(app, "203.0.113.50").get(ARTICLE_URL)
    assert elsewhere.get_data() == after.get_data()


def writes_of(app, client, path: str) -> list[list[str]]:
    """The first words of every write a POST sends to the database."""
    statements: list[str] = []

    def before_execute(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before_execute)
    try:
        assert client.post(path).status_code == 303
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_execute)
    return [statement.split()[:3] for statement in statements]


def test_a_like_is_one_small_row_and_two_counters(app, comment_id):
    client = reader(app)
    assert writes_of(app, client, like_url(comment_id)) == [
        ["INSERT", "INTO", "comment_like"],
        ["UPDATE", "comment", "SET"],
        ["UPDATE", "article", "SET"],
    ]
    # A like already given tries its row, and changes nothing.
    assert writes_of(app, client, like_url(comment_id)) == [["INSERT", "INTO", "comment_like"]]


def test_most_liked_threads_come_first(app):
    with app.app_context():
        quiet = add_comment(comment="Poco apprezzato", age=timedelta(hours=3)).id
        loved = add_comment(comment="Molto apprezzato", age=timedelta(hours=2)).id
        reply = db.session.get_one(Comment, quiet)
        answered = add_comment(comment="Risposta apprezzata", parent=reply, age=timedelta(hours=1))
        answered_id = answered.id
    for number in range(3):
        reader(app, f"198.51.100.{number + 1}").post(like_url(loved))
    for number in range(2):
        reader(app, f"198.51.100.{number + 1}").post(like_url(answered_id))
    reader(app, "198.51.100.4").post(like_url(quiet))
    page = soup(reader(app).get(ARTICLE_URL + "?corder=best"))
    top = [li["id"] for li in page.select("ol.comment-list > li")]
    # The thread counts all its likes: 1 + 2 beats 3 only on ties' age.
    assert top == [f"comment-{quiet}", f"comment-{loved}"]
    nav = page.find("nav", class_="comment-order")
    assert text_of(nav.find("a", attrs={"aria-current": "true"})) == "Più apprezzati"
    reader(app, "198.51.100.9").post(like_url(loved))
    page = soup(reader(app).get(ARTICLE_URL + "?corder=best"))
    top = [li["id"] for li in page.select("ol.comment-list > li")]
    assert top == [f"comment-{loved}", f"comment-{quiet}"]


def test_purge_forgets_old_likes_and_keeps_their_count(app, runner, comment_id):
    reader(app).post(like_url(comment_id))
    with app.app_context():
        row = db.session.scalar(sa.select(CommentLike))
        row.created_at = utcnow() - timedelta(days=91)
        db.session.commit()
    reader(app, "198.51.100.99").post(like_url(comment_id))
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Mi piace più vecchi di 90 giorni dimenticati (il conteggio resta): 1" in result.output
    count, rows = likes_of(app, comment_id)
    assert (count, len(rows)) == (2, 1)


def test_deleting_a_comment_deletes_its_likes(app, comment_id):
    from blog.moderation.workflow import Action, apply_action

    reader(app).post(like_url(comment_id))
    with app.app_context():
        comment = db.session.get_one(Comment, comment_id)
        apply_action(comment, Action.TRASH)
        apply_action(comment, Action.DELETE)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentLike)) == 0


def like_button(page, comment_id: int):
    return page.find("li", id=f"comment-{comment_id}").find("button", class_="like-button")


def test_the_page_a_like_leads_to_shows_it_pressed_to_that_reader_only(app, comment_id):
    with app.app_context():
        other = add_comment(comment="Non ancora apprezzato", email="b@example.it").id
    client = reader(app)
    location = client.post(like_url(comment_id)).headers["Location"]
    response = client.get(location)
    assert response.status_code == 200
    page = soup(response)
    assert like_button(page, comment_id)["aria-pressed"] == "true"
    assert like_button(page, other)["aria-pressed"] == "false"
    # Computed for this reader: nobody's cache keeps it, and no cookie is set.
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers and "Set-Cookie" not in response.headers
    # Another reader following the same address is not told they like it.
    elsewhere = soup(reader(app, "203.0.113.50").get(location))
    assert like_button(elsewhere, comment_id)["aria-pressed"] == "false"
    # The page every reader shares claims nothing.
    shared = client.get(ARTICLE_URL)
    assert shared.headers["Cache-Control"].startswith("public")
    assert not like_button(soup(shared), comment_id).has_attr("aria-pressed")


def test_a_second_press_says_the_reader_already_likes_it(app, comment_id):
    client = reader(app)
    client.post(like_url(comment_id))
    again = client.post(like_url(comment_id))
    assert again.status_code == 303
    assert again.headers["Location"] == liked_url(comment_id, already=True)
    item = soup(client.get(again.headers["Location"])).find("li", id=f"comment-{comment_id}")
    note = item.find(class_="like-note")
    assert text_of(note) == "Ti piace già"
    assert note["role"] == "status"
    assert item.find("button", class_="like-button")["aria-pressed"] == "true"
    assert text_of(item.find(class_="like-count")) == "1 mi piace"
    assert likes_of(app, comment_id)[0] == 1
    # Only a like this reader gave is called theirs, whatever the address says.
    stranger = soup(reader(app, "203.0.113.51").get(liked_url(comment_id, already=True)))
    assert stranger.find(class_="like-note") is None
    # The first press says nothing of the kind.
    first = soup(client.get(liked_url(comment_id)))
    assert first.find(class_="like-note") is None


def test_no_likes_shows_no_count(app, comment_id):
    item = soup(reader(app).get(ARTICLE_URL)).find("li", id=f"comment-{comment_id}")
    assert item.find(class_="like-count") is None
    assert "0 mi piace" not in text_of(item)
    button = item.find("button", class_="like-button")
    assert text_of(button) == "Mi piace" and not button.has_attr("aria-describedby")

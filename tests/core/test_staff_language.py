"""A moderator who chose English works in English on an Italian site, and
readers go on reading Italian, cached pages included."""

from __future__ import annotations

import sqlalchemy as sa

from blog.extensions import db
from blog.models import CommentStatus, Moderator
from tests.helpers import ARTICLE_URL, add_comment, form_fields, soup, text_of


def choose(app, logged_in, language: str):
    fields = form_fields(soup(logged_in.get("/moderation/profile")), "profile-form")
    fields["language"] = language
    response = logged_in.post("/moderation/profile", data=fields)
    assert response.status_code == 303
    return response


def test_the_profile_offers_the_site_language_and_every_catalog(app, logged_in):
    page = soup(logged_in.get("/moderation/profile"))
    offered = {choice["value"] for choice in page.select("input[name=language]")}
    assert offered == {"", "it", "en"}
    checked = page.select_one("input[name=language][checked]")
    assert checked is not None and checked["value"] == ""


def test_a_moderator_who_chose_english_works_in_english(app, client, logged_in):
    with app.app_context():
        add_comment(CommentStatus.PENDING, comment="Un commento da leggere.")
        add_comment(CommentStatus.APPROVED, comment="Un commento approvato.")
    assert "In attesa" in text_of(soup(logged_in.get("/moderation/")))
    choose(app, logged_in, "en")
    with app.app_context():
        assert db.session.scalar(sa.select(Moderator.language)) == "en"
    queue = text_of(soup(logged_in.get("/moderation/")))
    assert "Pending" in queue and "In attesa" not in queue
    assert soup(logged_in.get("/moderation/")).html["lang"] == "en"
    # The article page the moderator sees is in English too...
    theirs = text_of(soup(logged_in.get(ARTICLE_URL)))
    assert "Leave a Reply" in theirs
    # ...and readers still get Italian, comments' cached HTML included.
    reader = app.test_client()
    page = soup(reader.get(ARTICLE_URL))
    assert page.html["lang"] == "it"
    text = text_of(page)
    assert "Lascia un commento" in text and "Leave a Reply" not in text
    assert "Rispondi" in text and "Reply" not in text.replace("Rispondi", "")


def test_back_to_the_sites_language(app, logged_in):
    choose(app, logged_in, "en")
    choose(app, logged_in, "")
    with app.app_context():
        assert db.session.scalar(sa.select(Moderator.language)) is None
    assert "In attesa" in text_of(soup(logged_in.get("/moderation/")))


def test_a_language_without_a_catalog_is_refused(app, logged_in):
    fields = form_fields(soup(logged_in.get("/moderation/profile")), "profile-form")
    fields["language"] = "xx"
    assert logged_in.post("/moderation/profile", data=fields).status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(Moderator.language)) is None

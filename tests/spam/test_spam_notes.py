"""The notes the filters leave in a comment's history: stored as text in the
site's language, the Italian ones worded as ever."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.core.i18n import speaking
from blog.extensions import db
from blog.models import Comment, ModerationEvent
from blog.spam import bayes
from tests.core.test_languages import catalog_words, words
from tests.helpers import fresh_blog
from tests.spam.test_spam import Reader

#: What each comment is sent with, and the check it trips.
POSTS = {
    "honeypot": {"comment": "Lorem trap", "homepage": "http://spam.example/"},
    "links": {"comment": "https://uno.example/ https://due.example/"},
    "disallowed": {"comment": "Lorem viagra"},
    "moderation": {"comment": "Lorem xyzzy"},
    "time trap": {"comment": "Lorem quick"},
}
NOTES = {
    "it": {
        "honeypot": "campo trappola compilato",
        "links": "2 link",
        "disallowed": "parola vietata «viagra»",
        "moderation": "parola da moderare «xyzzy»",
    },
    "en": {
        "honeypot": "trap field filled in",
        "links": "2 links",
        "disallowed": "disallowed word “viagra”",
        "moderation": "moderation word “xyzzy”",
    },
}
FILTER_NOTES = {
    "it": "filtro che impara: punteggio 0,970 (lorem, ipsum)",
    "en": "learning filter: score 0.970 (lorem, ipsum)",
}


def stored_notes(app) -> dict[str, str]:
    """Each comment's filter note, by the text it was sent with."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Comment.body, ModerationEvent.note)
            .join(ModerationEvent, ModerationEvent.comment_id == Comment.id)
            .where(ModerationEvent.action == "filter")
        )
        return {body: note for body, note in rows}


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_filters_notes_are_stored_in_the_sites_language(app_config, language):
    settings = {
        "SITE_LANGUAGE": language,
        "COMMENT_MODERATION": "none",
        "COMMENT_MAX_LINKS": 2,
        "COMMENT_DISALLOWED_KEYS": ["viagra"],
        "COMMENT_MODERATION_KEYS": ["xyzzy"],
        "COMMENT_MIN_SECONDS": 3,
    }
    with fresh_blog(app_config, **settings) as app:
        for number, (name, fields) in enumerate(POSTS.items()):
            reader = Reader(app, seconds=1 if name == "time trap" else 30)
            response = reader.post(email=f"reader{number}@example.org", **fields)
            assert response.status_code == 303, name
        notes = stored_notes(app)
    by_check = {name: notes.get(fields["comment"]) for name, fields in POSTS.items()}
    assert {name: by_check[name] for name in NOTES[language]} == NOTES[language]
    english, italian = catalog_words()
    foreign = italian - english if language == "en" else english - italian
    assert words(by_check["time trap"] or "") & foreign == set()
    assert by_check["time trap"]


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_learning_filters_note_writes_its_score_as_the_language_does(app, language):
    result = bayes.Classification(
        score=0.97, clues=(("lorem", 0.99), ("ipsum", 0.9)), spam_messages=20, ham_messages=20
    )
    with app.app_context(), speaking(language):
        assert str(bayes.reason(result)) == FILTER_NOTES[language]

"""Property test: arbitrary text in every field never breaks the server.

Hypothesis throws NUL, lone surrogates, right-to-left overrides, combining
marks and very long strings at every field of the comment form. Whatever it
sends, no response is a 5xx, and every comment that gets stored has a
``body_html`` that the sanitizer leaves unchanged.
"""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.comments.sanitize import is_sanitized
from blog.extensions import db
from blog.models import Comment
from tests.helpers import ARTICLE_URL, POST_URL, form_fields, soup

SPECIALS = [
    "\x00",
    "\x1b",
    "\ud800",  # a lone surrogate: not valid UTF-8 once encoded
    "\udfff",
    "\u202e",  # right-to-left override
    "\u2066",
    "\u0301",  # combining acute accent
    "\u200b",  # zero-width space
    "\ufeff",
    "\ufffd",
    "<",
    ">",
    "&",
    '"',
    "'",
    "\n",
    "\r",
    "\t",
    "<script>",
    "javascript:",
    "http://",
    "www.",
    ".com",
    "<a href=",
    "<b>",
    "</blockquote>",
    "\U0001f600",
]
PIECES = st.one_of(st.characters(), st.sampled_from(SPECIALS))


def texts(min_size: int = 0, max_size: int = 60) -> st.SearchStrategy[str]:
    return st.lists(PIECES, min_size=min_size, max_size=max_size).map("".join)


SHORT_TEXT = texts()
LONG_TEXT = st.builds(
    lambda chunk, times: (chunk * times)[:70000],
    texts(min_size=1, max_size=8),
    st.integers(min_value=200, max_value=20000),
)
FIELD_VALUE = st.one_of(SHORT_TEXT, SHORT_TEXT, LONG_TEXT)
#: A field is either something valid or arbitrary text, so that many
#: examples get past validation and are stored.
FIELDS = {
    "comment": st.one_of(FIELD_VALUE, st.just("Un commento normale")),
    "author": st.one_of(FIELD_VALUE, st.just("Mario")),
    "email": st.one_of(FIELD_VALUE, st.just("mario@example.it")),
    "url": st.one_of(FIELD_VALUE, st.just("")),
    "comment_parent": st.one_of(FIELD_VALUE, st.just("0")),
    "homepage": st.one_of(FIELD_VALUE, st.just("")),
}


def encode_form(data: dict[str, str]) -> bytes:
    """URL-encode as a browser would, letting lone surrogates through as bytes."""
    return "&".join(
        f"{quote(key)}={quote(value.encode('utf-8', 'surrogatepass'))}"
        for key, value in data.items()
    ).encode("ascii")


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.fixed_dictionaries(FIELDS))
def test_arbitrary_text_in_every_field(app, client, values):
    base = form_fields(soup(client.get(ARTICLE_URL)))
    data = {**base, **values}
    response = client.post(
        POST_URL, data=encode_form(data), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500, response.status_code
    assert response.status_code in {303, 400, 403, 409, 413, 422, 429}
    with app.app_context():
        for body_html in db.session.scalars(sa.select(Comment.body_html)):
            assert is_sanitized(body_html)


@settings(max_examples=200, deadline=None)
@given(text=texts(max_size=400))
def test_sanitized_output_is_a_fixed_point(text):
    from blog.comments.sanitize import comment_to_html

    html = comment_to_html(text.encode("utf-8", "replace").decode("utf-8"))
    assert is_sanitized(html)


def test_the_property_test_reaches_storage(app, client):
    """The encoder above produces posts the server accepts: the property has teeth."""
    data = {**form_fields(soup(client.get(ARTICLE_URL))), "comment": "Testo \u202e<b>x</b>"}
    data.update(author="Mario", email="mario@example.it", url="")
    response = client.post(
        POST_URL, data=encode_form(data), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Comment.body_html)) == "<p>Testo \u202e<b>x</b></p>"

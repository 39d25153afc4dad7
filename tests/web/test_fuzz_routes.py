"""Every route and parameter with hostile values: never a 5xx, for anyone.

The comment fields have their own property tests (test_spam_properties.py);
this walks the whole HTTP surface: each rule of the URL map, its path
parts, the query parameters the views read, and the form fields of every
POST, as a stranger and as a signed-in moderator (whose forms carry a
valid CSRF token, so the values reach the validators and the views).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.models import CommentStatus
from tests.helpers import SLUG, add_comment, queue_token

HOSTILE = [
    "",
    "0",
    "-1",
    "99999999999999999999",
    "2147483648",
    "1e309",
    "NaN",
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: x=1",
    "\u2028",
    "\u202e\u0301\u0301",
    "\ufffe",
    "💥" * 50,
    "x" * 5000,
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "%",
    "%00",
    "%ff",
    "[]",
    "{}",
    "approved",
    "spam",
    "open",
]
#: Invalid UTF-8 can only travel percent-encoded.
RAW_QUERY = ["%ff%fe", "%ed%a0%80", "%c0%af", "%", "q=%zz"]
QUERY_KEYS = [
    "q",
    "page",
    "status",
    "next",
    "cpage",
    "corder",
    "replytocom",
    "email",
    "article",
    "seleziona",
]
FORM_KEYS = [
    "comment",
    "author",
    "email",
    "url",
    "comment_parent",
    "form_time",
    "homepage",
    "wp-comment-cookies-consent",
    "comment-notify",
    "username",
    "password",
    "remember",
    "next",
    "action",
    "ids",
    "moderation_keys",
    "disallowed_keys",
    "confirm",
    "display_name",
    "events",
    "block-1-target",
    "moderation",
    "spam_score",
    "hold_score",
    "min_training",
]
_PLACEHOLDER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def rules(app, method: str) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if method in rule.methods and rule.endpoint != "static"
    )


def fill(rule: str, value: str) -> str:
    return _PLACEHOLDER.sub(lambda _: quote(value, safe="") or "x", rule)


def assert_no_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


@pytest.fixture
def seeded(app):
    with app.app_context():
        parent = add_comment(CommentStatus.APPROVED)
        add_comment(CommentStatus.PENDING, parent=parent, comment="In attesa")
    return app


@pytest.fixture(params=["stranger", "moderator"])
def visitor(request, seeded, client):
    if request.param == "moderator":
        request.getfixturevalue("logged_in")
        token = queue_token(client)
    else:
        token = ""
    return client, token


def test_every_path_part_takes_hostile_values(visitor):
    client, token = visitor
    app = client.application
    for value in HOSTILE:
        for rule in rules(app, "GET"):
            path = fill(rule, value)
            assert_no_server_error(client.get(path), f"GET {path}")
        for rule in rules(app, "POST"):
            path = fill(rule, value)
            response = client.post(path, data={"csrf_token": token, "next": value})
            assert_no_server_error(response, f"POST {path}")


def test_every_query_parameter_takes_hostile_values(visitor):
    client, _ = visitor
    app = client.application
    paths = [fill(rule, SLUG if "slug" in rule else "1") for rule in rules(app, "GET")]
    for path in paths:
        for value in HOSTILE:
            query = urlencode({key: value for key in QUERY_KEYS})
            assert_no_server_error(client.get(f"{path}?{query}"), f"GET {path}?{query}")
        for raw in RAW_QUERY:
            assert_no_server_error(client.get(f"{path}?q={raw}&page={raw}"), f"GET {path} {raw}")


def test_every_form_field_takes_hostile_values(visitor):
    client, token = visitor
    app = client.application
    paths = [fill(rule, SLUG if "slug" in rule else "1") for rule in rules(app, "POST")]
    for path in paths:
        for value in HOSTILE:
            data = {key: value for key in FORM_KEYS}
            data["csrf_token"] = token
            response = client.post(path, data=data)
            assert_no_server_error(response, f"POST {path} with {value!r}")
        repeated = urlencode([(key, "1") for key in FORM_KEYS for _ in range(3)]).encode()
        for body in (b"%ff%fe=1", b"a=%ed%a0%80", b"\xff\xfe", b"=" * 1000, repeated):
            response = client.post(
                path, data=body, content_type="application/x-www-form-urlencoded"
            )
            assert_no_server_error(response, f"POST {path} raw {body[:20]!r}")
        for content_type in ("application/json", "text/plain", "multipart/form-data"):
            response = client.post(path, data=b'{"comment": 1}', content_type=content_type)
            assert_no_server_error(response, f"POST {path} as {content_type}")


def test_hostile_headers_on_every_page(visitor):
    client, _ = visitor
    app = client.application
    headers = [
        {"Cookie": "session=" + "a" * 4000},
        {"Cookie": "comment_author=%00%ff; comment_author_email=\u202e; remember_token=1|x"},
        {"If-None-Match": '"' + "x" * 1000 + '"'},
        {"If-Modified-Since": "not a date"},
        {"Accept-Language": "x" * 2000},
        {"X-Request-ID": "<script>" + "x" * 500},
        {"X-Forwarded-For": "1.2.3.4, ::1, not-an-ip"},
        {"User-Agent": "\x00" * 100},
        {"Cookie": "x=\xff\xfe; session=\xff"},
        {"Cookie": "comment_author=\xe9"},
        {"Referer": "javascript:alert(1)"},
    ]
    paths = [fill(rule, SLUG if "slug" in rule else "1") for rule in rules(app, "GET")]
    for path in paths:
        for extra in headers:
            assert_no_server_error(client.get(path, headers=extra), f"GET {path} {extra}")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path_value=st.text(max_size=40),
    query=st.dictionaries(st.sampled_from(QUERY_KEYS), st.text(max_size=60), max_size=4),
)
def test_random_text_anywhere_in_a_url(seeded, path_value, query):
    client = seeded.test_client()
    for rule in rules(seeded, "GET"):
        path = fill(rule, path_value)
        response = client.get(f"{path}?{urlencode(query)}")
        assert_no_server_error(response, f"GET {path}?{urlencode(query)}")

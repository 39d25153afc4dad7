"""Keyed digests and timed serializers: one module signs with SECRET_KEY."""

from __future__ import annotations

import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer

from blog.comments.avatars import AVATAR_KEY_PURPOSE
from blog.comments.flags import KEY_PURPOSE as FLAG_KEY_PURPOSE
from blog.comments.likes import LIKE_KEY_PURPOSE
from blog.core.signing import derived_key, keyed_digest, timed_serializer


@pytest.mark.parametrize(
    ("purpose", "message", "expected"),
    [
        (
            LIKE_KEY_PURPOSE,
            b"198.51.100.7/32\n1",
            "2ce26d9023622141e42b907fdabebd32292cea25d90b38b197c2b2df2b980c81",
        ),
        (
            FLAG_KEY_PURPOSE,
            b"1\x00203.0.113.7/32",
            "51cc90ccb7d739372c820d700fb2d14ed320434815578f14c7b39f1526288cc3",
        ),
        (
            AVATAR_KEY_PURPOSE,
            b"maria@example.it",
            "2e38fd2e584c0dcfdc6fc9d922630684949ff5d0232fcc0b201689d7132d610e",
        ),
    ],
)
def test_stored_digests_stay_what_they_were(purpose, message, expected):
    """Values computed before the three keyed hashes became one: likes, reports
    and colours already stored depend on them."""
    assert keyed_digest("chiave", purpose, message).hex() == expected


def test_each_purpose_has_a_key_of_its_own():
    keys = {derived_key("chiave", purpose) for purpose in (b"uno", b"due", b"tre")}
    assert len(keys) == 3
    assert derived_key("chiave", b"uno") != derived_key("altra chiave", b"uno")
    assert keyed_digest("chiave", b"uno", b"x") != keyed_digest("chiave", b"due", b"x")


def test_a_serializer_reads_what_itsdangerous_signed_with_the_same_key_and_salt():
    plain = URLSafeTimedSerializer("chiave", salt="scopo").dumps({"id": 7})
    assert timed_serializer("scopo", "chiave").loads(plain) == {"id": 7}
    with pytest.raises(BadSignature):
        timed_serializer("altro scopo", "chiave").loads(plain)
    with pytest.raises(BadSignature):
        timed_serializer("scopo", "altra chiave").loads(plain)


def test_without_a_key_the_serializer_signs_with_the_apps(app):
    with app.app_context():
        token = timed_serializer("scopo").dumps(3)
    assert timed_serializer("scopo", app.config["SECRET_KEY"]).loads(token) == 3

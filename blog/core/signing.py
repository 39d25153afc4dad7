"""Keyed digests and timed serializers: what the site signs with ``SECRET_KEY``.

A keyed digest is HMAC-SHA256 under a key derived from ``SECRET_KEY`` for
one purpose (a label such as ``b"blog comment likes v1"``): no two uses
share a key, and a digest says nothing to whoever lacks the secret. The
digests are stored (likes, readers' reports) or shown (avatar colours), so
a purpose's label and the derivation never change.

A timed serializer signs a value with the time it was signed (itsdangerous),
its salt naming what the token is for: the comment form's time, mail links.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from flask import current_app
from itsdangerous import URLSafeTimedSerializer


@lru_cache(maxsize=16)
def derived_key(secret_key: str, purpose: bytes) -> bytes:
    """The key of one purpose, derived from ``secret_key``: no other purpose shares it."""
    return hmac.new(secret_key.encode(), purpose, hashlib.sha256).digest()


def keyed_digest(secret_key: str, purpose: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of ``message`` under the key derived for ``purpose``."""
    return hmac.new(derived_key(secret_key, purpose), message, hashlib.sha256).digest()


def timed_serializer(salt: str, secret_key: str | None = None) -> URLSafeTimedSerializer:
    """A URL-safe serializer that signs with the time, for tokens of ``salt``.

    The key is ``secret_key``, or the running app's ``SECRET_KEY`` without one.
    """
    key = current_app.config["SECRET_KEY"] if secret_key is None else secret_key
    return URLSafeTimedSerializer(key, salt=salt)

"""Settings moderators change on the settings page, stored in the database.

What they saved overrides the configuration; what they never saved comes
from it. All of them are read in one query, once per request that needs
them, and handed on as plain values (``CommentSettings``): the domain never
reads them itself.
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from blog.extensions import db
from blog.models import SiteSetting

#: The configuration keys the settings page can change.
EDITABLE = (
    "COMMENT_MODERATION_KEYS",
    "COMMENT_DISALLOWED_KEYS",
    "COMMENT_BLOCKED_HOSTS",
    "COMMENT_MODERATION",
    "SPAM_SCORE_SPAM",
    "SPAM_SCORE_HOLD",
    "SPAM_MIN_TRAINING",
)
_SAVED = sa.select(SiteSetting.key, SiteSetting.value).where(SiteSetting.key.in_(EDITABLE))


def in_force(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The configuration with what moderators saved laid over it (one query)."""
    saved = {key: json.loads(value) for key, value in db.session.connection().execute(_SAVED)}
    return ChainMap(saved, dict(config))


def save(key: str, value: Any) -> None:
    """Store a setting a moderator chose; it overrides the configuration. The caller commits."""
    if key not in EDITABLE:
        raise KeyError(key)
    setting = db.session.get(SiteSetting, key) or SiteSetting(key=key)
    setting.value = json.dumps(value, ensure_ascii=False)
    db.session.add(setting)

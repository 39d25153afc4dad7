"""Settings moderators change on the settings page, stored in the database.

What they saved overrides the configuration; what they never saved comes
from it. All of them are read in one query, once per request that needs
them, and handed on as plain values (``CommentSettings``): the domain never
reads them itself.

The discussion's settings (``PAGE_KEYS``) shape every article page, which
must cost no query more: they come with the article itself (the columns of
``saved_page_columns``), and are remembered for the rest of the request
(``page_setting``). Saving them renews every article's ``comment_version``,
so that every cached copy of every page (the page server, the comment-page
cache, ETags, nginx) is rendered again on its next view.

The site menu (``MENU_KEY``, blog/articles/menu.py) is no moderators'
setting, but every page shows it: it is read the same way, with the
discussion's settings, and saving it renews every version too.
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app, g

from blog.extensions import db
from blog.models import Article, SiteSetting

#: The discussion's settings: how an article's comment pages look.
PAGE_KEYS = (
    "COMMENT_THREAD_DEPTH",
    "COMMENTS_PER_PAGE",
    "COMMENT_DEFAULT_PAGE",
    "COMMENT_CLOSE_AFTER_DAYS",
)
#: The configuration keys the settings page can change.
EDITABLE = (
    "COMMENT_MODERATION_KEYS",
    "COMMENT_DISALLOWED_KEYS",
    "COMMENT_BLOCKED_HOSTS",
    "COMMENT_MODERATION",
    "SPAM_SCORE_SPAM",
    "SPAM_SCORE_HOLD",
    "SPAM_MIN_TRAINING",
    *PAGE_KEYS,
)
#: The site menu administrators order (blog/articles/menu.py).
MENU_KEY = "SITE_MENU"
#: What every page reads: the discussion's settings and the menu.
SHOWN_KEYS = (*PAGE_KEYS, MENU_KEY)
#: What a key no one saved and the configuration lacks is.
DEFAULTS: dict[str, Any] = {MENU_KEY: {}}
_SAVED = sa.select(SiteSetting.key, SiteSetting.value).where(
    SiteSetting.key.in_((*EDITABLE, MENU_KEY))
)


def in_force(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The configuration with what moderators saved laid over it (one query)."""
    saved = {key: json.loads(value) for key, value in db.session.connection().execute(_SAVED)}
    return ChainMap(saved, DEFAULTS, dict(config))


def save(key: str, value: Any) -> None:
    """Store a setting a moderator chose; it overrides the configuration. The caller commits."""
    if key not in EDITABLE:
        raise KeyError(key)
    setting = db.session.get(SiteSetting, key) or SiteSetting(key=key)
    setting.value = json.dumps(value, ensure_ascii=False)
    db.session.add(setting)


def save_page_settings(values: Mapping[str, Any]) -> None:
    """Store the discussion's settings and have every article page rendered
    again on its next view. The caller commits."""
    for key in PAGE_KEYS:
        save(key, values[key])
    db.session.execute(sa.update(Article).values(comment_version=Article.comment_version + 1))


def save_menu(value: Mapping[str, Any]) -> None:
    """Store the site menu and have every page rendered again. The caller commits."""
    setting = db.session.get(SiteSetting, MENU_KEY) or SiteSetting(key=MENU_KEY)
    setting.value = json.dumps(value, ensure_ascii=False)
    db.session.add(setting)
    db.session.execute(sa.update(Article).values(comment_version=Article.comment_version + 1))
    # What this request read before is no longer so.
    g.pop("page_settings", None)


def saved_menu_now() -> Mapping[str, Any]:
    """The site menu as the database holds it now (one query)."""
    value = db.session.scalar(sa.select(SiteSetting.value).where(SiteSetting.key == MENU_KEY))
    return json.loads(value) if value else {}


def saved_page_columns() -> list[sa.Label[Any]]:
    """One column per setting every page shows (``SHOWN_KEYS``, in order):
    what was saved, or NULL. Added to the article's own query, they cost no query."""
    return [
        sa.select(SiteSetting.value)
        .where(SiteSetting.key == key)
        .scalar_subquery()
        .label(f"saved_{key.lower()}")
        for key in SHOWN_KEYS
    ]


def remember_page_settings(saved: Sequence[str | None]) -> None:
    """Keep for this request the discussion settings read with the article."""
    values = {
        key: json.loads(value)
        for key, value in zip(SHOWN_KEYS, saved, strict=True)
        if value is not None
    }
    g.page_settings = ChainMap(values, DEFAULTS, current_app.config)


def page_setting(key: str) -> Any:
    """A discussion setting in force: read with the article, else once per request."""
    if key not in SHOWN_KEYS:
        raise KeyError(key)
    found = g.get("page_settings")
    if found is None:
        found = g.page_settings = in_force(current_app.config)
    return found[key]

"""The settings the comment use case runs under: the configuration, with
what moderators saved on the settings page laid over it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from blog.comments.submit import CommentSettings
from blog.moderation import site_settings
from blog.spam.akismet_check import AkismetCheck
from blog.spam.bayes import FilterSettings
from blog.spam.hosts import blocked_hosts
from blog.spam.rules import SpamSettings, word_lists


def comment_settings() -> CommentSettings:
    """The settings in force for this request's comment, read once."""
    in_force = site_settings.in_force(current_app.config)
    return settings_from(in_force, current_app.extensions.get("akismet"))


def settings_from(config: Mapping[str, Any], akismet: AkismetCheck | None) -> CommentSettings:
    """What the comment use case needs of ``config``: its limits, the spam
    traps' thresholds and word lists, the learning filter's settings."""
    lists = word_lists(config)
    return CommentSettings(
        secret_key=config["SECRET_KEY"],
        form_max_age=config["COMMENT_FORM_MAX_AGE"],
        flood_seconds=config["COMMENT_FLOOD_SECONDS"],
        moderation=config["COMMENT_MODERATION"],
        comments_per_page=config["COMMENTS_PER_PAGE"],
        spam=SpamSettings(
            min_seconds=config["COMMENT_MIN_SECONDS"],
            max_links=config["COMMENT_MAX_LINKS"],
            moderation_keys=lists["COMMENT_MODERATION_KEYS"],
            disallowed_keys=lists["COMMENT_DISALLOWED_KEYS"],
            blocked_hosts=blocked_hosts(config),
        ),
        learning=FilterSettings.from_config(config),
        akismet=akismet,
        edit_minutes=config["COMMENT_EDIT_MINUTES"],
    )

"""Spam defenses: traps and word lists, the learning filter, Akismet, and
reading mail corpora to train from."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.spam import akismet_check, bayes, cli, rules

    # A SPAM_* setting the filter's arithmetic cannot use stops the start.
    bayes.FilterSettings.from_config(app.config)
    akismet_check.register(app)
    app.add_template_filter(rules.plain_text, "plain_text")
    for command in cli.COMMANDS:
        app.cli.add_command(command)

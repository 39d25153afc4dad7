"""Articles and pages: their life (authoring.py), the editor (views.py), the
site menu (menu.py, menu_views.py), the shipped ones, and the database they
live in."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog import signals
    from blog.articles import cli, menu, menu_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(menu_views.bp)
    # The header's menu, on every page (read with the page's settings).
    app.jinja_env.globals["site_menu"] = menu.shown_links
    # A page in the menu renamed, moved or binned: its link made again.
    for signal in (signals.article_published, signals.article_updated, signals.article_trashed):
        signal.connect(menu.page_changed)

    for command in cli.COMMANDS:
        app.cli.add_command(command)

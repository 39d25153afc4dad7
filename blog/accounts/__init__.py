"""Staff accounts: login, sessions, roles, invitations, password resets, and
their ``flask`` commands."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.accounts import auth, cli, roles, staff_views

    app.register_blueprint(auth.bp)
    app.register_blueprint(staff_views.bp)
    # Templates show staff only what they may use (the server checks it too).
    app.jinja_env.globals.update(
        can=roles.can, can_manage_pages=roles.can_manage_pages, Capability=roles.Capability
    )
    for command in cli.COMMANDS:
        app.cli.add_command(command)

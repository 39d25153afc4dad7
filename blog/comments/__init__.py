"""Comments: the submit use case and storing, sanitizing, threads and pages,
one's own comments, likes, reports and avatars."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.comments import avatars
    from blog.comments.thread_cache import ThreadCache
    from blog.core import links

    app.extensions["thread_cache"] = ThreadCache(app.config["COMMENT_CACHE_ENTRIES"])
    app.jinja_env.globals["comment_link"] = links.comment_link
    secret = app.config["SECRET_KEY"]
    app.jinja_env.globals["avatar"] = lambda name, email: avatars.avatar_svg(name, email, secret)

"""Moderators' login and logout."""

from __future__ import annotations

from functools import cache
from time import sleep
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from limits import parse
from werkzeug.security import check_password_hash, generate_password_hash

from blog import messages
from blog.addresses import rate_limit_key
from blog.extensions import db, limiter, login_manager
from blog.forms import ActionForm, LoginForm
from blog.models import Moderator, utcnow

bp = Blueprint("auth", __name__, url_prefix="/moderation")


@login_manager.user_loader
def load_moderator(session_id: str) -> Moderator | None:
    """Find the moderator of a session; inactive ones and old sessions get None."""
    moderator_id, _, token = session_id.partition(":")
    if not moderator_id.isdigit() or not token:
        return None
    moderator = db.session.get(Moderator, int(moderator_id))
    if moderator is None or not moderator.active or moderator.session_token != token:
        return None
    return moderator


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None.

    Refuses absolute URLs, scheme-relative ``//host`` and the ``/\\host``
    form that browsers read as ``//host``.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(not char.isprintable() for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@cache
def _decoy_hash() -> str:
    """A hash checked for unknown users, so both failures take the same time."""
    return generate_password_hash("not a real password", method="scrypt")


def authenticate(username: str, password: str) -> Moderator | None:
    """Return the active moderator with these credentials, or None."""
    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    if moderator is None:
        check_password_hash(_decoy_hash(), password)
        return None
    if not moderator.check_password(password) or not moderator.active:
        return None
    return moderator


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_username_limit() -> str:
    return current_app.config["LOGIN_USERNAME_RATE_LIMIT"]


def typed_username() -> str:
    """The username of a login POST, as the throttles count it."""
    return (request.form.get("username") or "").strip().casefold()[:80]


def login_username_key() -> str:
    """Rate-limit key for one address block guessing one account's password.

    Never the username alone: anyone could then lock the real moderator out
    by failing from addresses of their own (see ``slow_down_guessing``).
    """
    return rate_limit_key() + "|username:" + typed_username()


#: The limits namespace of the per-username failure counter.
LOGIN_FAILURES = "login-failures"


def slow_down_guessing(username: str) -> None:
    """Wait a little when ``username`` failed often lately, from anywhere.

    A slowdown, never a refusal: the right password still gets in. Known
    and unknown usernames are counted and delayed alike. The counter lives
    in the rate limiter's storage (Flask-Limiter's public ``limiter.limiter``).
    """
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return
    allowed = parse(config["LOGIN_SLOWDOWN_AFTER"])
    if not limiter.limiter.test(allowed, LOGIN_FAILURES, username):
        sleep(config["LOGIN_SLOWDOWN_SECONDS"])


def count_login_failure(username: str) -> None:
    """Count a failed login for ``username``, known or not."""
    config = current_app.config
    if config["RATELIMIT_ENABLED"]:
        limiter.limiter.hit(parse(config["LOGIN_SLOWDOWN_AFTER"]), LOGIN_FAILURES, username)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_username_limit, methods=["POST"], key_func=login_username_key)
def login() -> Response | tuple[str, int] | str:
    """Show the login form and sign a moderator in."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    destination = safe_next(form.next.data) or url_for("moderation.queue")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(destination)
    if form.validate_on_submit():
        slow_down_guessing(typed_username())
        moderator = authenticate(form.username.data, form.password.data)
        if moderator is not None:
            login_user(moderator, remember=form.remember.data)
            moderator.last_login_at = utcnow()
            db.session.commit()
            flash(messages.LOGGED_IN.format(name=moderator.display_name), "success")
            return redirect(destination, 303)
        count_login_failure(typed_username())
        form.password.errors = [messages.LOGIN_FAILED]
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with a CSRF token, never a link)."""
    form = ActionForm()
    if form.validate_on_submit():
        logout_user()
        flash(messages.LOGGED_OUT, "info")
    return redirect(url_for("auth.login"), 303)

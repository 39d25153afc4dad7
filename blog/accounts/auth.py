"""Staff login and logout, and "Password dimenticata?"."""

from __future__ import annotations

import hmac
from datetime import timedelta
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
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from limits import parse
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.accounts import staff
from blog.accounts.forms import LoginForm, NewPasswordForm, ResetRequestForm
from blog.accounts.roles import Capability, can, staff_home
from blog.core.addresses import rate_limit_key
from blog.core.database import rows_changed
from blog.core.forms import ActionForm, form_status
from blog.extensions import db, limiter, login_manager
from blog.models import Moderator, ModeratorSession, utcnow
from blog.web.errors import render_error

bp = Blueprint("auth", __name__, url_prefix="/moderation")


@login_manager.user_loader
def load_moderator(user_id: str) -> Moderator | None:
    """Find the moderator of a login session (``Moderator.get_id``).

    None for a session logged out or expired, an account deactivated, or a
    token from before the last password change. The session cookie and the
    remember cookie both end up here.
    """
    moderator_id, token, session_id = (user_id.split(":") + ["", ""])[:3]
    if not moderator_id.isdigit() or not token or not session_id:
        return None
    record = db.session.get(ModeratorSession, session_id)
    if record is None or record.moderator_id != int(moderator_id):
        return None
    moderator = record.moderator
    if (
        record.expires_at <= utcnow()
        or not moderator.active
        or not hmac.compare_digest(moderator.session_token, token)
    ):
        return None
    moderator.current_session = record
    return moderator


def session_seconds(remember: bool) -> float:
    """How long a new login session lasts, checked at every request."""
    config = current_app.config
    if not remember:
        return config["MODERATOR_SESSION_SECONDS"]
    duration = config["REMEMBER_COOKIE_DURATION"]
    return duration.total_seconds() if isinstance(duration, timedelta) else duration


def start_session(moderator: Moderator, remember: bool) -> None:
    """Log ``moderator`` in on a fresh session of their own.

    Nothing of the anonymous session is kept (the CSRF secret above all:
    Flask-WTF keeps it in the session, so clearing it is how a new one is
    made without touching the library's private key name).
    """
    session.clear()
    db.session.add(ModeratorSession.start(moderator, session_seconds(remember)))
    moderator.last_login_at = utcnow()
    db.session.flush()  # the record's id goes into the cookie
    login_user(moderator, remember=remember)


def end_session() -> None:
    """Log out this device: its record goes, the other devices stay in."""
    if current_user.is_authenticated and current_user.current_session is not None:
        db.session.delete(current_user.current_session)
    session.clear()
    logout_user()


def delete_expired_sessions() -> int:
    """Delete the login session records past their expiry; the caller commits."""
    return rows_changed(sa.delete(ModeratorSession).where(ModeratorSession.expires_at <= utcnow()))


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
def _decoy_hash(method: str) -> str:
    """A hash checked for unknown users, so both failures take the same time."""
    return generate_password_hash("not a real password", method=method)


def authenticate(username: str, password: str) -> Moderator | None:
    """Return the active moderator with these credentials, or None."""
    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    if moderator is None:
        check_password_hash(_decoy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
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


def greeting(moderator: Moderator) -> object:
    """ "Ciao di nuovo" from the second login; the first names what there is to do."""
    if moderator.last_login_at:
        return messages.LOGGED_IN
    if can(Capability.MODERATE_COMMENTS, moderator):
        return messages.LOGGED_IN_FIRST
    return messages.LOGGED_IN_FIRST_STAFF


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_username_limit, methods=["POST"], key_func=login_username_key)
def login() -> BaseResponse | tuple[str, int] | str:
    """Show the login form and sign a moderator in."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    wanted = safe_next(form.next.data)
    if current_user.is_authenticated and request.method == "GET":
        return redirect(wanted or staff_home())
    if form.validate_on_submit():
        slow_down_guessing(typed_username())
        moderator = authenticate(form.username.data, form.password.data)
        if moderator is not None:
            hello = greeting(moderator)
            start_session(moderator, remember=bool(form.remember.data))
            db.session.commit()
            flash(str(hello).format(name=moderator.display_name), "success")
            return redirect(wanted or staff_home(moderator), 303)
        count_login_failure(typed_username())
        form.password.errors = [messages.LOGIN_FAILED]
    status = form_status()
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> BaseResponse:
    """Sign out (a POST with a CSRF token, never a link)."""
    form = ActionForm()
    if form.validate_on_submit():
        end_session()
        db.session.commit()
        flash(str(messages.LOGGED_OUT), "info")
    return redirect(url_for("auth.login"), 303)


def reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def reset_email_limit() -> str:
    return current_app.config["PASSWORD_RESET_EMAIL_RATE_LIMIT"]


def reset_email_key() -> str:
    """Rate-limit key for one email address, from anywhere: nobody gets a
    stranger's inbox flooded with links by changing addresses."""
    return "reset-email:" + (request.form.get("email") or "").strip().casefold()[:100]


def reset_rate_limited() -> Response:
    """Over a reset limit: the same 429 whether or not the address has an account."""
    return current_app.make_response(render_error(429, messages.RESET_RATE_LIMITED))


def no_referrer(response: BaseResponse) -> BaseResponse:
    """A page whose address holds a secret: no referer leaves it, nobody keeps it."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/lost-password", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"], on_breach=lambda _: reset_rate_limited())
@limiter.limit(
    reset_email_limit,
    methods=["POST"],
    key_func=reset_email_key,
    scope="reset-email",
    on_breach=lambda _: reset_rate_limited(),
)
def lost_password() -> BaseResponse | tuple[str, int]:
    """Ask for a link to choose a new password; the same answer for any address."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        staff.request_password_reset(form.email.data)
        db.session.commit()
        minutes = current_app.config["PASSWORD_RESET_MINUTES"]
        flash(messages.RESET_ASKED.format(minutes=minutes), "info")
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/lost_password.html", form=form), form_status()


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"], scope="reset-password")
def reset_password(token: str) -> BaseResponse:
    """GET: the form (nothing changes). POST: the new password; every other session ends."""
    account = staff.read_reset_token(token)
    if account is None:
        page, status = render_error(410, messages.RESET_LINK_INVALID)
        return no_referrer(current_app.make_response((page, status)))
    form = NewPasswordForm()
    if form.validate_on_submit():
        staff.reset_password(account, form.password.data)
        start_session(account, remember=False)
        db.session.commit()
        flash(str(messages.PASSWORD_RESET_DONE), "success")
        return no_referrer(redirect(staff_home(account), 303))
    page = render_template("auth/reset_password.html", form=form, account=account)
    status = form_status() if form.errors else 200
    return no_referrer(current_app.make_response((page, status)))

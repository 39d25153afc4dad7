"""Staff accounts for administrators (/admin/staff/), and the page an
invitation's link opens (/admin/invite/<token>), which is for the invited
person and needs no login."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.accounts import staff
from blog.accounts.auth import start_session
from blog.accounts.forms import AcceptInviteForm, InviteForm, RoleForm
from blog.accounts.roles import Capability, can, staff_home
from blog.core.forms import ActionForm, form_status
from blog.extensions import db, limiter, login_manager
from blog.models import Moderator, Role, StaffInvite
from blog.web.errors import render_error

bp = Blueprint("staff", __name__, url_prefix="/admin")

#: The pages of this blueprint that need no login: an invitation's.
OPEN_PAGES = frozenset({"staff.accept_invite"})


@bp.before_request
def require_administrator() -> BaseResponse | None:
    """Everything here but the invitation page is for administrators."""
    if request.endpoint in OPEN_PAGES:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can(Capability.MANAGE_SITE):
        abort(403)
    return None


def account_or_404(account_id: int) -> Moderator:
    account = db.session.get(Moderator, account_id)
    if account is None:
        abort(404)
    return account


def render_accounts(invite_form: InviteForm | None = None, status: int = 200) -> tuple[str, int]:
    accounts = db.session.scalars(
        sa.select(Moderator).order_by(Moderator.active.desc(), Moderator.username)
    ).all()
    role_forms = {
        account.id: RoleForm(formdata=None, role=account.role, prefix=f"account-{account.id}")
        for account in accounts
    }
    page = render_template(
        "accounts/staff.html",
        accounts=accounts,
        role_forms=role_forms,
        invites=staff.pending_invites(),
        invite_form=invite_form or InviteForm(formdata=None),
        action_form=ActionForm(formdata=None),
        role_names=messages.ROLE_NAMES,
    )
    return page, status


@bp.get("/staff/")
def accounts() -> tuple[str, int]:
    """Every account, its role and state, and the invitations waiting."""
    return render_accounts()


@bp.post("/staff/invite")
def send_invite() -> BaseResponse | tuple[str, int]:
    """Invite someone by mail; the link works once, for ``INVITE_LINK_HOURS``."""
    form = InviteForm()
    if form.validate_on_submit():
        if staff.email_taken(form.email.data):
            form.email.errors = [messages.INVITE_EMAIL_TAKEN]
        else:
            staff.invite(form.email.data, Role(form.role.data), current_user)
            db.session.commit()
            hours = current_app.config["INVITE_LINK_HOURS"]
            flash(messages.INVITE_SENT.format(email=form.email.data, hours=hours), "success")
            return redirect(url_for("staff.accounts"), 303)
    if form.errors.get("csrf_token"):
        return render_error(400, messages.CSRF_FAILED)
    return render_accounts(form, form_status())


@bp.post("/staff/invites/<int:invite_id>/revoke")
def revoke_invite(invite_id: int) -> BaseResponse | tuple[str, int]:
    """Retire an invitation: its link no longer opens anything."""
    if not ActionForm().validate_on_submit():
        return render_error(400, messages.CSRF_FAILED)
    record = db.session.get(StaffInvite, invite_id)
    if record is None:
        abort(404)
    if staff.revoke_invite(record):
        db.session.commit()
        flash(messages.INVITE_REVOKED.format(email=record.email), "success")
    return redirect(url_for("staff.accounts"), 303)


@bp.post("/staff/<int:account_id>/role")
def change_role(account_id: int) -> BaseResponse | tuple[str, int]:
    """Give an account another role; never the last administrator's away."""
    account = account_or_404(account_id)
    form = RoleForm(prefix=f"account-{account.id}")
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            return render_error(400, messages.CSRF_FAILED)
        return render_error(422)
    try:
        staff.change_role(account, Role(form.role.data))
    except staff.StaffError as refusal:
        return refused(refusal)
    db.session.commit()
    role = messages.ROLE_NAMES[account.role]
    flash(messages.ROLE_CHANGED.format(name=account.display_name, role=role), "success")
    return redirect(url_for("staff.accounts"), 303)


@bp.post("/staff/<int:account_id>/deactivate")
def deactivate(account_id: int) -> BaseResponse | tuple[str, int]:
    """Stop an account from signing in; its sessions end at once."""
    if not ActionForm().validate_on_submit():
        return render_error(400, messages.CSRF_FAILED)
    account = account_or_404(account_id)
    try:
        staff.deactivate(account)
    except staff.StaffError as refusal:
        return refused(refusal)
    db.session.commit()
    flash(messages.ACCOUNT_DEACTIVATED.format(name=account.display_name), "success")
    return redirect(url_for("staff.accounts"), 303)


@bp.post("/staff/<int:account_id>/reactivate")
def reactivate(account_id: int) -> BaseResponse | tuple[str, int]:
    """Let a deactivated account sign in again."""
    if not ActionForm().validate_on_submit():
        return render_error(400, messages.CSRF_FAILED)
    account = account_or_404(account_id)
    staff.reactivate(account)
    db.session.commit()
    flash(messages.ACCOUNT_REACTIVATED.format(name=account.display_name), "success")
    return redirect(url_for("staff.accounts"), 303)


def refused(refusal: staff.StaffError) -> tuple[str, int]:
    """A change the rules refuse: the page again, saying why (409)."""
    db.session.rollback()
    flash(str(refusal.message), "error")
    return render_accounts(status=409)


# The invited person's page


INVALID_INVITE = {
    staff.InviteState.UNKNOWN: (404, messages.INVITE_LINK_UNKNOWN),
    staff.InviteState.EXPIRED: (410, messages.INVITE_LINK_EXPIRED),
    staff.InviteState.USED: (410, messages.INVITE_LINK_USED),
    staff.InviteState.REVOKED: (410, messages.INVITE_LINK_REVOKED),
}


def invite_limit() -> str:
    return current_app.config["INVITE_ACCEPT_RATE_LIMIT"]


def private_link_page(body: str, status: int) -> Response:
    """A page whose address holds a secret: no referer leaves it, nobody keeps it."""
    response = current_app.make_response((body, status))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(invite_limit, methods=["POST"])
def accept_invite(token: str) -> Response:
    """GET: the form (nothing changes). POST: make the account and sign them in."""
    record, state = staff.find_invite(token)
    if record is None or state is not staff.InviteState.VALID:
        status, detail = INVALID_INVITE[state]
        page = render_template(
            "errors/error.html", code=status, title=messages.INVITE_LINK_TITLE, explanation=detail
        )
        return private_link_page(page, status)
    form = AcceptInviteForm()
    if form.validate_on_submit():
        if staff.username_taken(form.username.data):
            form.username.errors = [messages.USERNAME_TAKEN]
        else:
            account = staff.accept_invite(
                record, form.username.data, form.display_name.data, form.password.data
            )
            if account is None:  # used by another request a moment ago
                return accept_invite(token)
            start_session(account, remember=False)
            db.session.commit()
            flash(messages.ACCOUNT_CREATED.format(name=account.display_name), "success")
            return redirect_private(staff_home(account))
    page = render_template(
        "accounts/invite.html",
        form=form,
        invite=record,
        role_name=messages.ROLE_NAMES[record.role],
    )
    return private_link_page(page, form_status() if form.errors else 200)


def redirect_private(location: str) -> Response:
    """Leave the invitation page, still sending no referer."""
    response = current_app.make_response(redirect(location, 303))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

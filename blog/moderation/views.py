"""The moderation queue: where moderators approve, reject, edit and reply.

The blueprint is shared with settings_views.py (settings, privacy tools,
profile)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload, lazyload, selectinload
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.accounts.auth import safe_next
from blog.accounts.roles import Capability, can
from blog.comments.pages import pages_of
from blog.core.addresses import client_block
from blog.core.forms import CONTROL_CHARACTERS, LINE_BREAKS, ActionForm, form_status
from blog.core.http import page_number, parse_id
from blog.core.links import comment_link
from blog.extensions import db, login_manager
from blog.models import Article, Comment, CommentStatus, ModerationEvent
from blog.moderation import reply as moderator_reply
from blog.moderation import search as search_index
from blog.moderation.blocking import block_values
from blog.moderation.emptying import EMPTIABLE, empty
from blog.moderation.forms import (
    BlockForm,
    BlockUndoForm,
    BulkActionForm,
    EditCommentForm,
    QueueFilterForm,
    ReplyForm,
    UndoForm,
)
from blog.moderation.undo import UndoRefused, last_status_events, undo
from blog.moderation.workflow import (
    Action,
    TransitionError,
    allowed_actions,
    apply_action,
    edit_comment,
    keep_despite_reports,
    open_reports,
    pending_count,
    status_counts,
)

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


#: The one page here every member of staff has, whatever their role.
EVERY_ROLE = frozenset({"moderation.profile"})


@bp.before_request
@login_required
def require_moderator() -> None:
    """Every route here is for signed-in staff who may moderate comments
    (an author gets 403), but a member of staff's own profile."""
    if request.endpoint not in EVERY_ROLE and not can(Capability.MODERATE_COMMENTS):
        abort(403)


@login_manager.unauthorized_handler
def send_to_login() -> BaseResponse:
    """Anonymous visitors go to the login page; nothing they sent is acted on."""
    flash(str(login_manager.login_message), login_manager.login_message_category)
    target = request.full_path if request.method == "GET" else url_for("moderation.queue")
    return redirect(url_for("auth.login", next=target.rstrip("?")), 303)


@bp.app_context_processor
def moderator_header() -> dict[str, object]:
    """Give every page the pending count for the moderators' header."""
    if can(Capability.MODERATE_COMMENTS):
        return {"moderation_pending": pending_count()}
    return {}


def queue_url(
    status: str = "pending", page: int = 1, q: str = "", article: int | None = None
) -> str:
    params: dict[str, Any] = {"status": status}
    if article:
        params["article"] = article
    if page > 1:
        params["page"] = page
    if q:
        params["q"] = q
    return url_for("moderation.queue", **params)


def back_to_queue(form_next: str | None) -> BaseResponse:
    """Return to the tab and page the moderator acted from."""
    return redirect(safe_next(form_next) or queue_url(), 303)


#: The queue's "Segnalati" tab: approved comments readers reported since a
#: moderator last approved or kept them, the most reported first.
REPORTED_TAB = "reported"


def queue_query(
    status: CommentStatus, search: str, article_id: int | None = None, *, reported: bool = False
) -> sa.Select:
    """Comments of one status, newest first (reported ones only: the most
    reported first), optionally matching ``search`` and of one article."""
    order = (Comment.created_at.desc(), Comment.id.desc())
    query = (
        sa.select(Comment)
        .where(Comment.status == status)
        .options(
            joinedload(Comment.article),
            joinedload(Comment.parent),
            selectinload(Comment.events).joinedload(ModerationEvent.moderator),
        )
        .order_by(*((Comment.flag_count.desc(), *order) if reported else order))
    )
    if reported:
        query = query.where(Comment.flag_count > 0)
    if article_id is not None:
        query = query.where(Comment.article_id == article_id)
    if search:
        query = search_index.search_comments(query, search, db.engine.dialect.name)
    return query


#: A search counts its matches up to here; past it the queue says "oltre".
SEARCH_COUNT_LIMIT = 1000


@dataclass(frozen=True)
class SearchPage:
    """A page of search results, counted up to ``SEARCH_COUNT_LIMIT`` + 1.

    Counting every match of a common word would read the whole tab; nobody
    pages through a thousand results, they search better. It offers what
    the queue's template reads of Flask-SQLAlchemy's pagination.
    """

    items: list[Comment]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


def search_page(select: sa.Select, page: int, per_page: int) -> SearchPage:
    """One page of a search, and its matches counted up to the cap."""
    items = db.paginate(select, page=page, per_page=per_page, error_out=False, count=False)
    # The order stays: on SQLite it is what lets the index drive the count.
    capped = (
        select.options(lazyload("*"))
        .with_only_columns(sa.literal(1))
        .limit(SEARCH_COUNT_LIMIT + 1)
        .subquery()
    )
    total = db.session.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one()
    return SearchPage(list(items.items), page, per_page, total)


#: Session key: the audit entries of the moderator's last action, which
#: the next page offers to take back ("Annulla") beside its message.
UNDO_KEY = "undo_events"
#: More changes than this at once are not offered for undoing (the list
#: travels in the session cookie).
UNDO_LIMIT = 100
#: Session key: the moderator's last "Blocca", which the queue offers to
#: take back on its next view (blog/moderation/block_views.py).
UNDO_BLOCK_KEY = "undo_block"


@bp.get("/")
def queue() -> str:
    """List the comments of one tab, 50 to a page, with their actions."""
    tab = request.args.get("status", "pending")
    reported = tab == REPORTED_TAB
    try:
        status = CommentStatus.APPROVED if reported else CommentStatus(tab)
    except ValueError:
        abort(404)
    search = request.args.get("q", "").strip()[:200]
    if CONTROL_CHARACTERS.search(search) or LINE_BREAKS.search(search):
        abort(400)
    article_id = parse_id(request.args.get("article"))
    page = page_number(request.args.get("page"))
    per_page = current_app.config["MODERATION_PAGE_SIZE"]
    select = queue_query(status, search, article_id, reported=reported)
    pagination: Pagination | SearchPage
    if search:
        pagination = search_page(select, page, per_page)
    else:
        pagination = db.paginate(select, page=max(page, 1), per_page=per_page, error_out=False)
    here = queue_url(tab, pagination.page, search, article_id)
    # Shown once, like the message it goes with; a view with none to show
    # leaves the session (and its cookie) alone.
    undo_events = session.pop(UNDO_KEY) if UNDO_KEY in session else None
    undo_block = session.pop(UNDO_BLOCK_KEY) if UNDO_BLOCK_KEY in session else None
    return render_template(
        "moderation/queue.html",
        status=status,
        tab=tab,
        search=search,
        article_id=article_id,
        pagination=pagination,
        more_than=SEARCH_COUNT_LIMIT
        if search and (pagination.total or 0) > SEARCH_COUNT_LIMIT
        else None,
        counts=status_counts(article_id),
        here=here,
        filter_form=filter_form_for(tab, search, article_id),
        reports={comment.id: open_reports(comment) for comment in pagination.items},
        bulk_form=bulk_form_for(status),
        block_forms={comment.id: block_form_for(comment) for comment in pagination.items},
        # Each approved comment's page, found at once rather than row by row.
        pages=pages_of(pagination.items, current_app.config["COMMENTS_PER_PAGE"]),
        undo_form=UndoForm(formdata=None, events=",".join(map(str, undo_events)), next=here)
        if undo_events
        else None,
        block_undo_form=BlockUndoForm(formdata=None, next=here, **undo_block)
        if undo_block
        else None,
        select_all=request.args.get("seleziona") == "tutti",
        allowed_actions=allowed_actions,
        tabs=messages.STATUS_TABS,
        emptiable=[tab.value for tab in EMPTIABLE],
    )


def filter_form_for(tab: str, search: str, article_id: int | None) -> QueueFilterForm:
    """The search box and the article filter, showing what is in force."""
    form = QueueFilterForm(formdata=None, status=tab, q=search, article=str(article_id or ""))
    articles = db.session.execute(
        sa.select(Article.id, Article.title).order_by(Article.published_at.desc())
    ).all()
    form.article.choices = [("", _("All articles"))] + [
        (str(article.id), article.title) for article in articles
    ]
    return form


def bulk_form_for(status: CommentStatus) -> BulkActionForm:
    form = BulkActionForm()
    form.action.choices = [("", _("Bulk actions"))] + [
        (action.value, messages.ACTION_LABELS[action]) for action in allowed_actions(status)
    ]
    return form


def block_form_for(comment: Comment, formdata: Any = None, *, csrf: bool = True) -> BlockForm:
    """ "Blocca" for one comment: only what it has can be chosen. Without
    ``csrf``, the GET that asks first (it changes nothing)."""
    form = BlockForm(formdata=formdata, prefix=f"block-{comment.id}", meta={"csrf": csrf})
    form.target.choices = [
        (target.value, messages.BLOCK_CHOICES[target.value].format(value=value))
        for target, value in block_values(comment).items()
    ]
    return form


def offer_undo(comment_ids: list[int]) -> None:
    """Remember the audit entries of these changes, for "Annulla" on the next view."""
    db.session.flush()
    events = last_status_events(comment_ids, current_user.id)
    if UNDO_BLOCK_KEY in session:
        del session[UNDO_BLOCK_KEY]
    if events and len(events) <= UNDO_LIMIT:
        session[UNDO_KEY] = events
    elif UNDO_KEY in session:
        del session[UNDO_KEY]


def take_undo_form(here: str) -> UndoForm | None:
    """ "Annulla" for the moderator's last action, coming back to ``here``.

    Offered once, like the message it goes with; a view with none to offer
    leaves the session (and its cookie) alone.
    """
    if UNDO_KEY not in session:
        return None
    events = session.pop(UNDO_KEY)
    return UndoForm(formdata=None, events=",".join(map(str, events)), next=here)


@bp.post("/comments/<int:comment_id>/<action>")
def moderate_comment(comment_id: int, action: str) -> BaseResponse:
    """Apply one action (approve, spam, trash…) to one comment."""
    try:
        verb = Action(action)
    except ValueError:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    comment = db.get_or_404(Comment, comment_id)
    try:
        apply_action(comment, verb, current_user)
    except TransitionError:
        db.session.rollback()
        flash(str(messages.ACTION_NOT_ALLOWED), "error")
        return back_to_queue(form.next.data)
    offer_undo([comment_id] if verb is not Action.DELETE else [])
    db.session.commit()
    flash(messages.counted(1, messages.ACTION_DONE[verb]), "success")
    return back_to_queue(form.next.data)


@bp.post("/comments/<int:comment_id>/keep")
def keep_reported(comment_id: int) -> BaseResponse:
    """ "Mantieni": the moderator read a reported comment and keeps it published."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    comment = db.get_or_404(Comment, comment_id)
    try:
        keep_despite_reports(comment, current_user)
    except TransitionError:
        db.session.rollback()
        flash(str(messages.ACTION_NOT_ALLOWED), "error")
        return back_to_queue(form.next.data)
    db.session.commit()
    flash(str(messages.REPORTS_ANSWERED), "success")
    return back_to_queue(form.next.data)


@bp.post("/bulk")
def bulk() -> BaseResponse:
    """Apply one action to every ticked comment it applies to."""
    form = BulkActionForm()
    form.action.choices = [(action.value, action.value) for action in Action]
    if not form.validate_on_submit():
        flash(str(messages.BULK_NO_ACTION), "error")
        return back_to_queue(form.next.data)
    ids = [int(raw) for raw in request.form.getlist("comment_ids") if raw.isdigit()]
    if not ids:
        flash(str(messages.BULK_NO_SELECTION), "error")
        return back_to_queue(form.next.data)
    verb = Action(form.action.data)
    done: list[int] = []
    for comment in db.session.scalars(sa.select(Comment).where(Comment.id.in_(ids))):
        try:
            apply_action(comment, verb, current_user)
        except TransitionError:
            continue
        done.append(comment.id)
    offer_undo(done if verb is not Action.DELETE else [])
    db.session.commit()
    if done:
        flash(messages.counted(len(done), messages.ACTION_DONE[verb]), "success")
    else:
        flash(str(messages.ACTION_APPLIED_TO_NONE), "error")
    return back_to_queue(form.next.data)


@bp.post("/undo")
def undo_last() -> BaseResponse:
    """ "Annulla": put back the comments the last action moved, if nothing moved them since."""
    form = UndoForm()
    if not form.validate_on_submit():
        abort(400)
    ids = form.event_ids
    events = db.session.scalars(
        sa.select(ModerationEvent)
        .where(ModerationEvent.id.in_(ids))
        .options(joinedload(ModerationEvent.comment))
    ).all()
    done = 0
    for event in events:
        try:
            undo(event, current_user)
        except UndoRefused:
            continue
        done += 1
    db.session.commit()
    refused = len(set(ids)) - done
    if done:
        flash(messages.counted(done, messages.UNDONE), "success")
    if refused:
        flash(messages.counted(refused, messages.UNDO_REFUSED), "error")
    return back_to_queue(form.next.data)


@bp.route("/<any(spam, trash):status>/empty", methods=["GET", "POST"])
def empty_tab(status: str) -> BaseResponse | str:
    """ "Svuota spam", "Svuota cestino": a page asking first, then the POST deletes."""
    which = CommentStatus(status)
    form = ActionForm()
    if request.method == "GET":
        count = status_counts()[which]
        return render_template("moderation/empty.html", status=which, count=count, form=form)
    if not form.validate_on_submit():
        abort(400)
    deleted = empty(which)
    db.session.commit()
    flash(
        messages.counted(deleted, messages.EMPTIED) if deleted else str(messages.EMPTIED_NOTHING),
        "success",
    )
    return redirect(queue_url(which.value), 303)


@bp.get("/comments/<int:comment_id>")
def show_comment(comment_id: int) -> BaseResponse:
    """Go to a comment: where readers see it if approved, else its queue entry."""
    comment = db.get_or_404(Comment, comment_id)
    if comment.status == CommentStatus.APPROVED:
        return redirect(comment_link(comment, external=False), 303)
    return redirect(
        queue_url(comment.status.value, article=comment.article_id) + f"#entry-{comment.id}", 303
    )


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int) -> BaseResponse | tuple[str, int]:
    """Edit a comment's text, name and site; the text is sanitized again."""
    comment = db.get_or_404(Comment, comment_id)
    form = EditCommentForm()
    if request.method == "GET":
        form.comment.data = comment.body
        form.author.data = comment.author
        form.url.data = comment.url
        form.next.data = request.args.get("next")
    elif form.validate_on_submit():
        edit_comment(
            comment,
            body=form.comment.data,
            author=form.author.data,
            url=form.url.data or "",
            moderator=current_user,
        )
        db.session.commit()
        flash(str(messages.COMMENT_EDITED), "success")
        return back_to_queue(form.next.data)
    form.next.data = safe_next(form.next.data) or queue_url(comment.status.value)
    status = form_status()
    return render_template("moderation/edit.html", comment=comment, form=form), status


@bp.post("/comments/<int:comment_id>/reply")
def reply(comment_id: int) -> BaseResponse:
    """Publish a moderator's reply; a pending comment replied to is approved too."""
    parent = db.get_or_404(Comment, comment_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        problem = form.comment.errors[0] if form.comment.errors else messages.BULK_NO_ACTION
        flash(str(problem), "error")
        return back_to_queue(form.next.data)
    try:
        moderator_reply.reply(
            parent,
            form.comment.data,
            current_user,
            ip_address=request.remote_addr,
            ip_block=client_block(),
            user_agent=request.user_agent.string,
        )
    except moderator_reply.ReplyRefused:
        flash(str(messages.ACTION_NOT_ALLOWED), "error")
        return back_to_queue(form.next.data)
    flash(str(messages.REPLY_PUBLISHED), "success")
    return back_to_queue(form.next.data)

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
from blog.core.addresses import client_block
from blog.core.forms import CONTROL_CHARACTERS, LINE_BREAKS, ActionForm, form_status
from blog.core.http import page_number, parse_id
from blog.core.links import comment_link
from blog.extensions import db, login_manager
from blog.models import Article, Comment, CommentStatus, ModerationEvent
from blog.moderation import reply as moderator_reply
from blog.moderation import search as search_index
from blog.moderation import site_settings
from blog.moderation.blocking import DISALLOWED_KEYS, BlockTarget, block, block_values, unblock
from blog.moderation.emptying import EMPTIABLE, empty
from blog.moderation.forms import (
    BlockForm,
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
    pending_count,
    status_counts,
)
from blog.spam.rules import word_lists

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
@login_required
def require_moderator() -> None:
    """Every route here is for signed-in, active moderators only."""


@login_manager.unauthorized_handler
def send_to_login() -> BaseResponse:
    """Anonymous visitors go to the login page; nothing they sent is acted on."""
    flash(login_manager.login_message, login_manager.login_message_category)
    target = request.full_path if request.method == "GET" else url_for("moderation.queue")
    return redirect(url_for("auth.login", next=target.rstrip("?")), 303)


@bp.app_context_processor
def moderator_header() -> dict[str, object]:
    """Give every page the pending count for the moderators' header."""
    if current_user.is_authenticated:
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


def queue_query(status: CommentStatus, search: str, article_id: int | None = None) -> sa.Select:
    """Comments of one status, newest first, optionally matching ``search``
    and of one article."""
    query = (
        sa.select(Comment)
        .where(Comment.status == status)
        .options(
            joinedload(Comment.article),
            joinedload(Comment.parent),
            selectinload(Comment.events).joinedload(ModerationEvent.moderator),
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
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
#: Session key: the word the last "Blocca" added, which "Annulla" takes off.
UNDO_WORD_KEY = "undo_word"
#: More changes than this at once are not offered for undoing (the list
#: travels in the session cookie).
UNDO_LIMIT = 100


@bp.get("/")
def queue() -> str:
    """List the comments of one tab, 50 to a page, with their actions."""
    try:
        status = CommentStatus(request.args.get("status", "pending"))
    except ValueError:
        abort(404)
    search = request.args.get("q", "").strip()[:200]
    if CONTROL_CHARACTERS.search(search) or LINE_BREAKS.search(search):
        abort(400)
    article_id = parse_id(request.args.get("article"))
    page = page_number(request.args.get("page"))
    per_page = current_app.config["MODERATION_PAGE_SIZE"]
    select = queue_query(status, search, article_id)
    pagination: Pagination | SearchPage
    if search:
        pagination = search_page(select, page, per_page)
    else:
        pagination = db.paginate(select, page=max(page, 1), per_page=per_page, error_out=False)
    here = queue_url(status.value, pagination.page, search, article_id)
    return render_template(
        "moderation/queue.html",
        status=status,
        search=search,
        article_id=article_id,
        pagination=pagination,
        more_than=SEARCH_COUNT_LIMIT
        if search and (pagination.total or 0) > SEARCH_COUNT_LIMIT
        else None,
        counts=status_counts(article_id),
        here=here,
        filter_form=filter_form_for(status, search, article_id),
        bulk_form=bulk_form_for(status),
        block_forms={comment.id: block_form_for(comment) for comment in pagination.items},
        undo_form=take_undo_form(here),
        select_all=request.args.get("seleziona") == "tutti",
        allowed_actions=allowed_actions,
        tabs=messages.STATUS_TABS,
        emptiable=[tab.value for tab in EMPTIABLE],
    )


def filter_form_for(status: CommentStatus, search: str, article_id: int | None) -> QueueFilterForm:
    """The search box and the article filter, showing what is in force."""
    form = QueueFilterForm(
        formdata=None, status=status.value, q=search, article=str(article_id or "")
    )
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


def block_form_for(comment: Comment, formdata: Any = None) -> BlockForm:
    """ "Blocca" for one comment: only what it has can be chosen."""
    form = BlockForm(formdata=formdata, prefix=f"block-{comment.id}")
    form.target.choices = [
        (target.value, messages.BLOCK_CHOICES[target.value].format(value=value))
        for target, value in block_values(comment).items()
    ]
    return form


def offer_undo(comment_ids: list[int], word: str | None = None) -> None:
    """Remember the audit entries of these changes (and the word "Blocca"
    added), for "Annulla" on the next view."""
    db.session.flush()
    events = last_status_events(comment_ids, current_user.id)
    session.pop(UNDO_WORD_KEY, None)
    if len(events) > UNDO_LIMIT or not (events or word):
        session.pop(UNDO_KEY, None)
        return
    session[UNDO_KEY] = events
    if word:
        session[UNDO_WORD_KEY] = word


def take_undo_form(here: str) -> UndoForm | None:
    """ "Annulla" for the moderator's last action, coming back to ``here``.

    Offered once, like the message it goes with; a view with none to offer
    leaves the session (and its cookie) alone.
    """
    if UNDO_KEY not in session:
        return None
    events = session.pop(UNDO_KEY)
    word = session.pop(UNDO_WORD_KEY, None)
    return UndoForm(formdata=None, events=",".join(map(str, events)), word=word, next=here)


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
        flash(messages.ACTION_NOT_ALLOWED, "error")
        return back_to_queue(form.next.data)
    offer_undo([comment_id] if verb is not Action.DELETE else [])
    db.session.commit()
    flash(messages.counted(1, messages.ACTION_DONE[verb]), "success")
    return back_to_queue(form.next.data)


@bp.post("/bulk")
def bulk() -> BaseResponse:
    """Apply one action to every ticked comment it applies to."""
    form = BulkActionForm()
    form.action.choices = [(action.value, action.value) for action in Action]
    if not form.validate_on_submit():
        flash(messages.BULK_NO_ACTION, "error")
        return back_to_queue(form.next.data)
    ids = [int(raw) for raw in request.form.getlist("comment_ids") if raw.isdigit()]
    if not ids:
        flash(messages.BULK_NO_SELECTION, "error")
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
        flash(messages.ACTION_APPLIED_TO_NONE, "error")
    return back_to_queue(form.next.data)


@bp.post("/undo")
def undo_last() -> BaseResponse:
    """ "Annulla": put back the comments the last action moved, if nothing moved them since."""
    form = UndoForm()
    if not form.validate_on_submit():
        abort(400)
    if form.word.data:
        unblock_word(form.word.data)
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


def unblock_word(word: str) -> None:
    """Take back what "Blocca" added to the disallowed words, if still there."""
    disallowed = word_lists(site_settings.in_force(current_app.config))[DISALLOWED_KEYS]
    if unblock(word, disallowed):
        flash(messages.UNBLOCKED.format(word=word), "success")


@bp.post("/comments/<int:comment_id>/block")
def block_sender(comment_id: int) -> BaseResponse:
    """ "Blocca": add the comment's email, address block or site to the
    disallowed words; pending comments it now matches go to Spam."""
    comment = db.get_or_404(Comment, comment_id)
    form = block_form_for(comment, request.form)
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            abort(400)
        flash(messages.BLOCK_CHOOSE, "error")
        return back_to_queue(form.next.data)
    disallowed = word_lists(site_settings.in_force(current_app.config))[DISALLOWED_KEYS]
    target = BlockTarget(form.target.data)
    word = block_values(comment)[target]
    blocked = block(
        comment, target, current_user, disallowed, messages.BLOCK_NOTE.format(word=word)
    )
    offer_undo(list(blocked.moved_ids), word=blocked.word)
    db.session.commit()
    moved = (
        messages.counted(blocked.moved, messages.BLOCK_MOVED)
        if blocked.moved
        else messages.BLOCK_MOVED_NONE
    )
    flash(f"{messages.BLOCKED.format(word=blocked.word)} {moved}", "success")
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
        messages.counted(deleted, messages.EMPTIED) if deleted else messages.EMPTIED_NOTHING,
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
        flash(messages.COMMENT_EDITED, "success")
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
        flash(form.comment.errors[0] if form.comment.errors else messages.BULK_NO_ACTION, "error")
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
        flash(messages.ACTION_NOT_ALLOWED, "error")
        return back_to_queue(form.next.data)
    flash(messages.REPLY_PUBLISHED, "success")
    return back_to_queue(form.next.data)

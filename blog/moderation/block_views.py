""" "Blocca" and the "Annulla" that follows it: a page that says what a block
will move, then the POST that blocks; part of the queue's blueprint
(blog/moderation/views.py), whose sign-in check covers them."""

from __future__ import annotations

from flask import abort, current_app, flash, render_template, request, session
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.accounts.auth import safe_next
from blog.extensions import db
from blog.models import Comment
from blog.moderation import site_settings
from blog.moderation.blocking import (
    Block,
    Blocked,
    BlockTarget,
    block,
    pending_matching,
    plan_block,
    undo_block,
)
from blog.moderation.forms import BlockUndoForm
from blog.moderation.views import (
    UNDO_BLOCK_KEY,
    UNDO_KEY,
    back_to_queue,
    block_form_for,
    bp,
    queue_url,
)
from blog.spam.hosts import HostRefused

#: How many of the comments a block would move its page names.
SHOWN_MATCHES = 10


@bp.get("/comments/<int:comment_id>/block")
def confirm_block(comment_id: int) -> BaseResponse | tuple[str, int]:
    """Say what the chosen block would move, before anything is blocked (a GET
    from the queue's "Blocca"; the page's form then POSTs)."""
    comment = db.get_or_404(Comment, comment_id)
    form = block_form_for(comment, request.args, csrf=False)
    back = safe_next(form.next.data) or queue_url(comment.status.value)
    if not form.validate():
        flash(str(messages.BLOCK_CHOOSE), "error")
        return back_to_queue(back)
    target = BlockTarget(form.target.data)
    try:
        plan = plan_block(comment, target)
    except HostRefused as refused:
        page = render_template("moderation/block.html", refused=refused.message, back=back)
        return page, 422
    matches: list[Comment] = []
    count = 0
    for match in pending_matching(plan):
        count += 1
        if len(matches) < SHOWN_MATCHES:
            matches.append(match)
    confirm = block_form_for(comment)
    confirm.target.data = target.value
    confirm.next.data = back
    what = messages.BLOCK_CHOICES[target.value].format(value=plan.value)
    page = render_template(
        "moderation/block.html",
        form=confirm,
        comment=comment,
        plan=plan,
        what=what,
        count=count,
        matches=matches,
        back=back,
    )
    return page, 200


@bp.post("/comments/<int:comment_id>/block")
def block_sender(comment_id: int) -> BaseResponse:
    """ "Blocca": add the comment's email or address block to the disallowed
    words, or its site to the blocked sites; pending comments it now matches
    go to Spam."""
    comment = db.get_or_404(Comment, comment_id)
    form = block_form_for(comment, request.form)
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            abort(400)
        flash(str(messages.BLOCK_CHOOSE), "error")
        return back_to_queue(form.next.data)
    try:
        plan = plan_block(comment, BlockTarget(form.target.data))
    except HostRefused as refused:
        flash(refused.message, "error")
        return back_to_queue(form.next.data)
    note = (
        messages.BLOCKED_HOST_NOTE.format(host=plan.value)
        if plan.is_site
        else messages.BLOCK_NOTE.format(word=plan.value)
    )
    blocked = block(plan, current_user, site_settings.in_force(current_app.config), note)
    offer_block_undo(plan, blocked)
    db.session.commit()
    moved = (
        messages.counted(blocked.moved, messages.BLOCK_MOVED)
        if blocked.moved
        else messages.BLOCK_MOVED_NONE
    )
    done = messages.BLOCKED_HOST if plan.is_site else messages.BLOCKED
    flash(f"{done.format(word=blocked.word)} {moved}", "success")
    return back_to_queue(form.next.data)


def offer_block_undo(plan: Block, blocked: Blocked) -> None:
    """Remember the block, for "Annulla" on the next view: its audit entries
    as a range (a block may move more than a cookie could list), and the
    value it added (none when it was listed already)."""
    if UNDO_KEY in session:
        del session[UNDO_KEY]
    events = f"{min(blocked.event_ids)}-{max(blocked.event_ids)}" if blocked.event_ids else ""
    session[UNDO_BLOCK_KEY] = {
        "target": plan.target.value,
        "value": blocked.word if blocked.added else "",
        "events": events,
    }


@bp.post("/undo/block")
def undo_last_block() -> BaseResponse:
    """ "Annulla" after "Blocca": the moved comments go back where they were,
    and what the block added leaves its list."""
    form = BlockUndoForm()
    if not form.validate_on_submit():
        abort(400)
    plan = Block(BlockTarget(form.target.data), form.value.data or "")
    settings = site_settings.in_force(current_app.config)
    done, refused = undo_block(plan, form.event_range, current_user, settings)
    db.session.commit()
    if done:
        flash(messages.counted(done, messages.UNDONE), "success")
    if plan.value:
        flash(messages.UNBLOCKED.format(word=plan.value), "success")
    if refused:
        flash(messages.counted(refused, messages.UNDO_REFUSED), "error")
    return back_to_queue(form.next.data)

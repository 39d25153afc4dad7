"""A moderator's reply from the queue: published at once, under their name.

One of the three ways a comment is stored, beside a reader's ``submit``
(blog/comments/submit.py) and the import runner (blog/porting/importer.py).
"""

from __future__ import annotations

from blog.comments.submit import NewComment, store_comment
from blog.comments.values import Client, CommentText
from blog.extensions import db
from blog.models import Comment, CommentStatus, Moderator
from blog.moderation.workflow import Action, Event, apply_action, record_event

#: What a moderator may reply to. Replying to a pending comment approves it:
#: a published answer to a hidden question would make no sense.
REPLIABLE = frozenset({CommentStatus.APPROVED, CommentStatus.PENDING})


class ReplyRefused(ValueError):
    """The comment is in Spam or Cestino: it takes no reply."""


def reply(
    parent: Comment,
    text: str,
    moderator: Moderator,
    *,
    ip_address: str | None = None,
    ip_block: str | None = None,
    user_agent: str | None = None,
) -> Comment:
    """Publish ``moderator``'s answer to ``parent``, approving ``parent`` if it waits.

    The answer is approved at once, under the moderator's name and address,
    and audited as a reply; ``comment_stored`` and, for a pending parent,
    ``comment_approved`` are announced. Commits, and returns the answer.
    Raises ``ReplyRefused`` when ``parent`` is not approved or pending.
    """
    if parent.status not in REPLIABLE:
        raise ReplyRefused(f"a {parent.status} comment takes no reply")
    if parent.status == CommentStatus.PENDING:
        apply_action(parent, Action.APPROVE, moderator)
    answer = store_comment(
        parent.article,
        NewComment(
            text=CommentText(moderator.display_name, moderator.email or "", "", text),
            parent_id=parent.id,
            client=Client(ip_address or "", ip_block, user_agent or ""),
            moderator_id=moderator.id,
        ),
        CommentStatus.APPROVED,
    )
    record_event(answer, Event.REPLY, moderator, None, CommentStatus.APPROVED)
    db.session.commit()
    return answer

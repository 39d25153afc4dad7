"""What the domain announces, as blinker signals (which Flask ships).

``comments/submit.py`` and ``moderation/workflow.py`` say what happened;
mail and webhooks subscribe in ``blog/notify/__init__.py``. The domain can then
be used, and tested, with no mail at all: django-contrib-comments'
``comment_was_posted``, Isso's notification extension.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A new comment was stored. Keyword arguments: ``comment_id``, ``status``
#: (its ``CommentStatus``), ``parent_id`` (None for a new thread),
#: ``reasons`` (what the filters said, when they held it or sent it to Spam).
comment_stored = _signals.signal("comment-stored")

#: An author changed the text of their own comment (blog/comments/own.py):
#: moderators hear of it as of a new comment. Keyword arguments:
#: ``comment_id``, ``status`` (where it stands now), ``previous`` (where it
#: stood), ``reasons`` (what the filters said of the new text).
comment_edited = _signals.signal("comment-edited")

#: A reader's report of an approved comment was counted
#: (blog/comments/flags.py). Keyword arguments: ``comment_id``, ``count``
#: (reports since it was last approved or kept), ``reason`` (the reader's,
#: or None), ``sent_back`` (it reached the threshold and waits again).
comment_reported = _signals.signal("comment-reported")

#: A moderator approved a comment that was not approved before. Keyword
#: argument: ``comment`` (the ``Comment``, in the caller's session).
comment_approved = _signals.signal("comment-approved")

#: A comment's status changed by a moderator's action (approval included).
#: Keyword arguments: ``comment`` (None once deleted), ``comment_id``,
#: ``previous`` and ``status`` (``CommentStatus``; ``status`` None: deleted).
comment_status_changed = _signals.signal("comment-status-changed")

#: An article became public or was scheduled (blog/articles/authoring.py):
#: "Pubblica", "Programma", or a published one restored from the bin.
#: Keyword argument: ``article`` (the ``Article``, committed).
article_published = _signals.signal("article-published")

#: A published or scheduled article changed ("Aggiorna", a version restored,
#: back to a draft), or a draft came back from the bin. Keyword argument:
#: ``article``.
article_updated = _signals.signal("article-updated")

#: An article was moved to the bin ("Sposta nel cestino"). Keyword argument:
#: ``article``.
article_trashed = _signals.signal("article-trashed")

#: An administrator invited someone to join the staff (blog/accounts/staff.py).
#: Keyword arguments: ``invite`` (the ``StaffInvite``), ``token`` (the link's
#: secret, which is stored nowhere: the receiver mails it).
staff_invited = _signals.signal("staff-invited")

#: Someone asked for a password reset for an active account with an address.
#: Keyword arguments: ``moderator`` (the account), ``token`` (the signed link's).
password_reset_requested = _signals.signal("password-reset-requested")

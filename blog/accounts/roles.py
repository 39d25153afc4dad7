"""Who may do what: WordPress's roles, as capabilities checked on the server.

| role | comments | own articles | others' articles | staff, site |
| --- | --- | --- | --- | --- |
| Amministratore | yes | yes | yes | yes |
| Editore | yes | yes | yes | no |
| Autore | no | yes | no | no |
| Moderatore | yes | no | no | no |

Every view asks :func:`require` (or :func:`can`) for a capability, never a
role, so that the table above lives here and only here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, url_for
from flask_login import current_user

from blog.models import Article, ArticleKind, Role


class Capability(enum.StrEnum):
    #: The moderation queue, comment settings, "Blocca", the privacy tools.
    MODERATE_COMMENTS = "moderate_comments"
    #: Write, schedule and publish articles of one's own.
    WRITE_ARTICLES = "write_articles"
    #: Edit, publish and trash anyone's articles; categories.
    EDIT_OTHERS_ARTICLES = "edit_others_articles"
    #: Invite staff, change roles, deactivate accounts; the site's pages and menu.
    MANAGE_SITE = "manage_site"


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ADMINISTRATOR: frozenset(Capability),
    Role.EDITOR: frozenset(
        {
            Capability.MODERATE_COMMENTS,
            Capability.WRITE_ARTICLES,
            Capability.EDIT_OTHERS_ARTICLES,
        }
    ),
    Role.AUTHOR: frozenset({Capability.WRITE_ARTICLES}),
    Role.MODERATOR: frozenset({Capability.MODERATE_COMMENTS}),
}


def roles_that(capability: Capability) -> list[Role]:
    """The roles that have ``capability``, for a query."""
    return [role for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities]


def capabilities_of(user: Any) -> frozenset[Capability]:
    """What ``user`` (an account, or Flask-Login's anonymous user) may do."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    try:
        return ROLE_CAPABILITIES[Role(user.role)]
    except ValueError:  # a role this version does not know: nothing
        return frozenset()


def can(capability: Capability, user: Any = None) -> bool:
    """Tell whether ``user`` (default: whoever is signed in) has ``capability``."""
    return capability in capabilities_of(current_user if user is None else user)


def can_manage_pages(user: Any = None) -> bool:
    """Pages ("Chi siamo") are the site's, as in WordPress: editors and
    administrators write them, authors do not."""
    return can(Capability.EDIT_OTHERS_ARTICLES, user)


def can_edit_article(article: Article, user: Any = None) -> bool:
    """An author edits their own articles; editors and administrators, every
    one, and the pages."""
    user = current_user if user is None else user
    if can(Capability.EDIT_OTHERS_ARTICLES, user):
        return True
    return (
        can(Capability.WRITE_ARTICLES, user)
        and article.kind == ArticleKind.POST
        and article.author_id == user.id
    )


F = TypeVar("F", bound=Callable[..., Any])


def require(capability: Capability) -> Callable[[F], F]:
    """Answer 403 unless the signed-in account has ``capability``.

    Signing in is checked first, by the blueprint (``login_required``);
    this is what a signed-in account of the wrong role meets.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not can(capability):
                abort(403)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


#: Where a member of staff lands after signing in, by what they may do: the
#: first of these they have, else their profile (every role has one).
STAFF_HOMES: list[tuple[Capability, str]] = [
    (Capability.MODERATE_COMMENTS, "moderation.queue"),
    (Capability.WRITE_ARTICLES, "articles.index"),
    (Capability.MANAGE_SITE, "staff.accounts"),
]


def staff_home(user: Any = None) -> str:
    """The page a member of staff starts from."""
    for capability, endpoint in STAFF_HOMES:
        if can(capability, user):
            return url_for(endpoint)
    return url_for("moderation.profile")

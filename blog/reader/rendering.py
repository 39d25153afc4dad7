"""The article page: the published article, whether it takes comments, its
comment thread (shared and cached, or rendered for a reader with comments
of their own waiting), and the page around the comment form."""

from __future__ import annotations

import time
from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from blog.accounts.roles import can_edit_article
from blog.comments.forms import CommentForm, FollowForm, StaffCommentForm
from blog.comments.likes import liked_among
from blog.comments.own import is_authors
from blog.comments.pages import (
    CommentOrder,
    CommentView,
    approved_comments,
    landing_page,
    page_count,
    read_order,
    thread_order,
)
from blog.comments.submit import find_reply_parent
from blog.comments.thread import build_thread, shown_depth
from blog.comments.thread_cache import ThreadCache
from blog.core.addresses import rate_limit_key
from blog.core.http import page_number, parse_id
from blog.extensions import db
from blog.models import Article, ArticleKind, ArticleRedirect, Comment, CommentStatus, utcnow
from blog.moderation import site_settings
from blog.moderation.forms import UndoForm
from blog.moderation.site_settings import page_setting
from blog.moderation.views import take_undo_form
from blog.moderation.workflow import allowed_actions
from blog.reader.session import is_staff, may_moderate, own_comments_here, own_entries
from blog.spam.rules import sign_form_time
from blog.web.http_cache import (
    PRIVATE,
    article_copy_is_fresh,
    article_etag,
    is_anonymous_request,
    make_public,
)

#: Built once: the comment form and every uncached page view run it. The
#: discussion's settings come with the article, and so do its author and its
#: categories and tags (joined), at no query of their own.
_ARTICLE_WITH_SETTINGS = sa.select(Article, *site_settings.saved_page_columns()).options(
    sa.orm.joinedload(Article.author),
    sa.orm.joinedload(Article.terms),
    sa.orm.joinedload(Article.featured_image),
)
_PUBLISHED_ARTICLE = _ARTICLE_WITH_SETTINGS.where(
    Article.slug == sa.bindparam("slug"), Article.public(sa.bindparam("now"))
)
#: The article an old address names (``ArticleRedirect``), public or not.
_MOVED_ARTICLE = _ARTICLE_WITH_SETTINGS.join(
    ArticleRedirect, ArticleRedirect.article_id == Article.id
).where(ArticleRedirect.old_slug == sa.bindparam("slug"))
#: An article by its address whatever its state: staff's own view of it.
_ANY_ARTICLE = _ARTICLE_WITH_SETTINGS.where(Article.slug == sa.bindparam("slug"))


def _article_row(statement: sa.Select, **params: Any) -> Article | None:
    """The article ``statement`` finds, its discussion settings kept for the request."""
    # unique(): the joined categories and tags come one row each.
    rows = db.session.execute(statement, params).unique().all()
    if not rows:
        return None
    article, *saved = rows[0]
    site_settings.remember_page_settings(saved)
    return article


def public_article(slug: str) -> Article | None:
    """The article readers see at ``slug``: published, its time come, not in the bin."""
    return _article_row(_PUBLISHED_ARTICLE, slug=slug, now=utcnow())


def moved_article(slug: str) -> Article | None:
    """The article that had ``slug`` as its address before, in whatever state."""
    return _article_row(_MOVED_ARTICLE, slug=slug)


def staff_article(slug: str) -> Article | None:
    """The article at ``slug`` in any state, when the signed-in account may edit it."""
    if not current_user.is_authenticated:
        return None
    article = _article_row(_ANY_ARTICLE, slug=slug)
    if article is None or not can_edit_article(article):
        return None
    return article


def get_article_or_404(slug: str) -> Article:
    """Return the public article at ``slug``, or at the address it had; else 404.

    Readers' POSTs (a comment, "Mi piace"...) sent from a page open since
    before an address changed still reach their article: nothing typed is
    lost. A draft, a scheduled article and one in the bin take none.
    """
    article = public_article(slug)
    if article is None:
        article = moved_article(slug)
        if article is None or not article.is_public:
            abort(404)
    return article


def comments_open(article: Article) -> bool:
    """Tell whether ``article`` still takes comments: its switch, and its age.

    A page ("Chi siamo") never does.
    """
    if not article.comments_open or article.kind == ArticleKind.PAGE:
        return False
    days = page_setting("COMMENT_CLOSE_AFTER_DAYS")
    return not days or article.published_at > utcnow() - timedelta(days=days)


def comment_form(**kwargs: Any) -> CommentForm:
    """The comment form: a CSRF token for signed-in staff only.

    A reader's comment POST is protected by the cross-origin check that
    runs before every unsafe request (``blog/web/security.py``) and by
    SameSite cookies, as WordPress protects its readers' form: a token
    would make every reader's page different, and so uncacheable. A
    moderator writes under their account's name, email and site, which
    their form does not ask for.
    """
    if not is_staff():
        return CommentForm(meta={"csrf": False}, **kwargs)
    form = StaffCommentForm(meta={"csrf": True}, **kwargs)
    form.author.data = current_user.display_name
    form.email.data = current_user.email or ""
    form.url.data = current_user.url
    return form


def thread_cache() -> ThreadCache:
    """This app's cache of rendered comment pages (one per process)."""
    return current_app.extensions["thread_cache"]


def requested_view(article: Article) -> CommentView:
    """The comment page this request asks for: ``corder`` and ``cpage``, bounded.

    An unknown order is the default one; without a readable ``cpage`` the
    order's own first page (the newest page, under ``newest``).
    """
    default = CommentOrder(page_setting("COMMENT_DEFAULT_PAGE"))
    order = read_order(request.args.get("corder"), default)
    pages = page_count(article, page_setting("COMMENTS_PER_PAGE"))
    raw = request.args.get("cpage", "")
    page = page_number(raw) if raw.isascii() and raw.isdigit() else landing_page(order, pages)
    return CommentView(order=order, default_order=default, page=min(page, pages), pages=pages)


#: The query a like's redirect carries (blog/reader/actions.py): the comment
#: this reader just liked, and ``gia=1`` when they had already. Only that
#: reader follows it; their page is rendered for them alone.
LIKED_PARAM = "mi-piace"
ALREADY_PARAM = "gia"


@dataclass(frozen=True)
class ReaderView:
    """What a comment page rendered for one reader shows beyond the shared one."""

    #: The comments on the page this reader likes; None on the shared page,
    #: which knows nobody.
    liked: frozenset[int] | None = None
    #: The comment whose "Mi piace" this reader pressed again.
    already_liked: int | None = None
    #: A signed-in moderator: the staff's buttons on every comment.
    staff: bool = False


SHARED = ReaderView()


def likes_asked() -> int | None:
    """The comment a like's redirect names, if this request is one."""
    return parse_id(request.args.get(LIKED_PARAM))


def reader_view(comments: list[Comment]) -> ReaderView:
    """Whether a moderator is reading, and this reader's likes among
    ``comments`` when a like's redirect asks (one query)."""
    staff = may_moderate()
    asked = likes_asked()
    if asked is None:
        return ReaderView(staff=staff)
    ids = [comment.id for comment in comments if comment.status == CommentStatus.APPROVED]
    liked = liked_among(current_app.config["SECRET_KEY"], rate_limit_key(), ids)
    already = asked if request.args.get(ALREADY_PARAM) == "1" and asked in liked else None
    return ReaderView(liked=frozenset(liked), already_liked=already, staff=staff)


def own_waiting(own: list[Comment], approved: list[Comment], view: CommentView) -> list[Comment]:
    """This reader's comments not yet approved that belong on this page."""
    here = {comment.thread_id for comment in approved}
    last = view.page == view.pages
    # A thread of one's own with nothing approved yet is on the last page.
    return [
        comment
        for comment in own
        if comment.status != CommentStatus.APPROVED
        and (comment.thread_id in here or (last and comment.thread_id == comment.id))
    ]


def thread_html_for(article: Article, view: CommentView, is_open: bool) -> Markup:
    """The comment page's HTML: shared and cached, unless this reader has
    comments of their own waiting on it, has just liked one, or moderates."""
    per_page = page_setting("COMMENTS_PER_PAGE")
    depth = page_setting("COMMENT_THREAD_DEPTH")

    def render_thread(
        comments: list[Comment], changeable: Set[int] = frozenset(), reader: ReaderView = SHARED
    ) -> str:
        order = thread_order(comments, view.order)
        return render_template(
            "reader/_comment_list.html",
            article=article,
            thread=build_thread(comments, depth, order),
            max_depth=shown_depth(depth),
            view=view,
            page=view.page,
            pages=view.pages,
            comments_open=is_open,
            changeable=changeable,
            reader=reader,
            allowed_actions=allowed_actions,
        )

    own = own_comments_here(article)
    # Staff's view of an article readers cannot see yet (or any more) is
    # never kept: the cache serves anonymous readers.
    shareable = article.is_public
    if own or likes_asked() is not None or may_moderate() or not shareable:
        approved = list(approved_comments(article, view, per_page))
        waiting = own_waiting(own, approved, view)
        entries = own_entries() if own else {}
        shown = {comment.id for comment in [*approved, *waiting]}
        changeable = {
            comment.id for comment in own if comment.id in shown and is_authors(comment, entries)
        }
        reader = reader_view(approved)
        if waiting or changeable or reader != SHARED or not shareable:
            # Our own autoescaped template's output: safe markup.
            rendered = render_thread([*approved, *waiting], changeable, reader)
            return Markup(rendered)  # nosec B704
    return thread_cache().get_or_render(
        # In the language of the page: a member of staff may read the site in theirs.
        (article.id, article.comment_version, view.page, is_open, view.order, str(get_locale())),
        lambda: render_thread(list(approved_comments(article, view, per_page))),
    )


@dataclass(frozen=True)
class StaffView:
    """Why readers cannot see the article staff are looking at."""

    #: "draft", "scheduled" or "trashed".
    state: str
    #: When a scheduled article appears.
    publishes_at: datetime | None = None


def staff_view_of(article: Article) -> StaffView:
    """The banner over an article readers cannot see."""
    if article.trashed_at is not None:
        return StaffView("trashed")
    if article.is_scheduled:
        return StaffView("scheduled", article.published_at)
    return StaffView("draft")


def undo_form_here(article: Article, view: CommentView) -> UndoForm | None:
    """A moderator back from an action on this page: "Annulla" beside its message."""
    if not may_moderate():
        return None
    query: dict[str, Any] = view.link_args()
    return take_undo_form(url_for("reader.article", slug=article.slug, _anchor="comments", **query))


def render_article(
    article: Article,
    form: CommentForm,
    status: int = 200,
    notice: str | None = None,
    *,
    preview: Markup | None = None,
    form_time: str | None = None,
) -> Response:
    """Render the article page around ``form``.

    The comment thread comes from the per-process cache, keyed by the
    article's comment version, page and order, unless this reader has
    comments of their own waiting: only then is it rendered for them alone.
    ``preview`` is the sanitized comment to show above the form;
    ``form_time`` a signed form time to keep instead of a new one.
    """
    config = current_app.config
    view = requested_view(article)
    public = article.is_public
    # No comment on an article readers cannot see: its form is not shown.
    is_open = public and comments_open(article)
    shown = (article.id, article.comment_version, view.page, is_open, view.order.value)

    shared = (
        public
        and status == 200
        and request.method == "GET"
        and is_anonymous_request()
        and likes_asked() is None
    )
    if shared:
        fresh = article_copy_is_fresh(request.headers.get("If-None-Match"), shown, config)
        if fresh:
            return make_public(Response(status=304, headers={"ETag": fresh}))

    thread_html = thread_html_for(article, view, is_open)

    replying_to = None
    parent_id = parse_id(form.comment_parent.data)
    if parent_id is not None:
        replying_to = find_reply_parent(article, parent_id)
    if replying_to is None:
        form.comment_parent.data = "0"
    signed_at = int(time.time())
    form.form_time.data = form_time or sign_form_time(config["SECRET_KEY"], article.id)
    body = render_template(
        "reader/article.html",
        article=article,
        thread_html=thread_html,
        form=form,
        replying_to=replying_to,
        comments_open=is_open,
        notice=notice,
        preview=preview,
        follow_form=FollowForm(formdata=None, prefix="follow"),
        undo_form=undo_form_here(article, view),
        staff_view=None if public else staff_view_of(article),
    )
    response = make_response(body, status)
    if not public:
        # A draft, a scheduled article or one in the bin, shown to staff who
        # may edit it: no cache, shared or the browser's, ever keeps it.
        response.headers["Cache-Control"] = PRIVATE
        return response
    if shared:
        # The same page for every reader with no cookie of ours: any cache
        # may keep it (blog/web/http_cache.py), the form time included.
        response.set_etag(article_etag(shown, signed_at).strip('"'))
        make_public(response)
    return response

"""The readers' side: the article list, the article page and its comment form."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from wtforms.validators import ValidationError

from blog import messages
from blog.comments import (
    NewComment,
    approved_comments,
    find_reply_parent,
    own_pending_comments,
    store_comment,
)
from blog.extensions import csrf, db
from blog.forms import CommentForm
from blog.models import Article, Comment, CommentStatus, utcnow
from blog.moderation import initial_status
from blog.thread import build_thread

bp = Blueprint("reader", __name__)

#: Session key holding the ids of the comments this browser posted.
PENDING_KEY = "my_comments"
#: WordPress's cookie names for the remembered commenter.
AUTHOR_COOKIES = {
    "author": "comment_author",
    "email": "comment_author_email",
    "url": "comment_author_url",
}


def get_article_or_404(slug: str) -> Article:
    """Return the published article with ``slug`` or answer 404."""
    article = db.session.scalar(
        sa.select(Article).where(Article.slug == slug, Article.published_at <= utcnow())
    )
    if article is None:
        abort(404)
    return article


def comments_open(article: Article) -> bool:
    """Tell whether ``article`` still takes comments."""
    return article.comments_open


@bp.get("/")
def index() -> str:
    """List the published articles, newest first."""
    articles = db.session.scalars(
        sa.select(Article)
        .where(Article.published_at <= utcnow())
        .order_by(Article.published_at.desc(), Article.id.desc())
    ).all()
    return render_template("reader/index.html", articles=articles)


@bp.get("/<slug>/", endpoint="article")
def show_article(slug: str) -> Response:
    """Show an article, its approved comments and the comment form."""
    article = get_article_or_404(slug)
    remembered = {
        field: request.cookies.get(cookie, "") for field, cookie in AUTHOR_COOKIES.items()
    }
    form = CommentForm(
        formdata=None,
        data={
            **remembered,
            "remember": bool(remembered["author"]),
            "comment_parent": str(request.args.get("replytocom", 0, type=int)),
        },
    )
    return render_article(article, form)


@bp.post("/<slug>/comment")
# The form checks its own CSRF token, so that a stale token re-renders the
# page with everything the reader typed instead of throwing it away.
@csrf.exempt
def post_comment(slug: str) -> Response:
    """Validate and store a comment as pending, then show it to its author."""
    article = get_article_or_404(slug)
    form = CommentForm()
    if not comments_open(article):
        return render_article(article, form, status=403)

    valid = form.validate()
    parent = None
    if valid:
        try:
            parent_id = form.parent_id()
        except ValidationError as error:
            form.comment_parent.errors = [str(error)]
            valid = False
        else:
            if parent_id is not None:
                parent = find_reply_parent(article, parent_id)
                if parent is None:
                    form.comment_parent.errors = [messages.PARENT_INVALID]
                    valid = False
    if not valid:
        if form.csrf_token.errors:
            form.csrf_token.errors = []
            return render_article(article, form, status=400, notice=messages.CSRF_EXPIRED)
        return render_article(article, form, status=422, notice=messages.FORM_HAS_ERRORS)

    by_moderator = current_user.is_authenticated
    status = initial_status(
        current_app.config["COMMENT_MODERATION"],
        author=form.author.data,
        email=form.email.data,
        by_moderator=by_moderator,
    )
    comment = store_comment(
        article,
        NewComment(
            author=form.author.data,
            email=form.email.data,
            url=form.url.data or "",
            body=form.comment.data,
            parent_id=parent.id if parent else None,
            ip_address=request.remote_addr,
            user_agent=request.user_agent.string,
            moderator_id=current_user.id if by_moderator else None,
        ),
        status,
    )
    db.session.commit()
    if comment.status == CommentStatus.PENDING:
        remember_own_comment(comment)
    response = redirect(
        url_for("reader.article", slug=article.slug, _anchor=f"comment-{comment.id}"), 303
    )
    remember_commenter(response, form)
    return response


def remember_own_comment(comment: Comment) -> None:
    """Let this browser see its comment while it waits for moderation."""
    limit = current_app.config["COMMENT_PREVIEW_LIMIT"]
    own = [cid for cid in session.get(PENDING_KEY, []) if cid != comment.id]
    session[PENDING_KEY] = [*own, comment.id][-limit:]
    session.permanent = True


def remember_commenter(response: Response, form: CommentForm) -> None:
    """Keep the name, email and site in cookies only when the reader asked."""
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if form.remember.data:
        max_age = timedelta(days=current_app.config["COMMENT_AUTHOR_COOKIE_DAYS"])
        for field, cookie in AUTHOR_COOKIES.items():
            response.set_cookie(
                cookie,
                getattr(form, field).data or "",
                max_age=max_age,
                httponly=True,
                samesite="Lax",
                secure=secure,
            )
    else:
        for cookie in AUTHOR_COOKIES.values():
            if cookie in request.cookies:
                response.delete_cookie(cookie, httponly=True, samesite="Lax", secure=secure)


def render_article(
    article: Article, form: CommentForm, status: int = 200, notice: str | None = None
) -> Response:
    """Render the article page around ``form``."""
    approved = approved_comments(article)
    pending = own_pending_comments(article, session.get(PENDING_KEY, []))
    thread = build_thread([*approved, *pending], current_app.config["COMMENT_THREAD_DEPTH"])
    replying_to = None
    parent_field = (form.comment_parent.data or "").strip()
    if parent_field.isdigit() and int(parent_field):
        replying_to = next((c for c in approved if c.id == int(parent_field)), None)
    if replying_to is None:
        form.comment_parent.data = "0"
    body = render_template(
        "reader/article.html",
        article=article,
        thread=thread,
        form=form,
        replying_to=replying_to,
        comments_open=comments_open(article),
        notice=notice,
    )
    return make_response(body, status)

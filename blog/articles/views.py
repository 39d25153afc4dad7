"""The editor: "Articoli", "Aggiungi nuovo articolo", the edit form, its
preview, the bin and the revisions, at ``/admin/articles/``.

Views parse the form, call blog/articles/authoring.py and answer; who may
edit what is asked of blog/accounts/roles.py.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.accounts.roles import Capability, can, can_edit_article, can_manage_pages, require
from blog.articles import authoring
from blog.articles.authoring import ArticleRefused
from blog.articles.forms import ArticleActionForm, ArticleForm, RevisionRestoreForm
from blog.core.dates import localize
from blog.core.forms import form_status
from blog.core.http import page_number
from blog.core.slugs import slugify
from blog.extensions import db
from blog.models import (
    Article,
    ArticleKind,
    ArticleRevision,
    ArticleStatus,
    MediaFile,
    Moderator,
    Term,
    TermKind,
)
from blog.models.clock import utcnow
from blog.web.errors import handle_csrf_error, render_error
from blog.web.http_cache import PRIVATE

bp = Blueprint("articles", __name__, url_prefix="/admin/articles")

PER_PAGE = 20


@bp.before_request
@login_required
@require(Capability.WRITE_ARTICLES)
def require_writer() -> None:
    """Every page here is for signed-in staff who write articles."""


@bp.app_context_processor
def writer_header() -> dict[str, object]:
    """Tell every page whether to link "Articoli" in the staff's header."""
    return {"can_write_articles": can(Capability.WRITE_ARTICLES)}


def signed_in() -> Moderator:
    """The signed-in account, as a row of this session."""
    account = db.session.get(Moderator, current_user.id)
    if account is None:  # deleted while signed in
        abort(403)
    return account


# The list ------------------------------------------------------------------


#: The list's tabs, WordPress's: which articles each shows.
TABS = ("all", "publish", "future", "draft", "trash")


def tab_labels() -> dict[str, str]:
    return {
        "all": str(messages.TAB_ALL),
        "publish": str(messages.TAB_PUBLISHED),
        "future": str(messages.TAB_SCHEDULED),
        "draft": str(messages.TAB_DRAFTS),
        "trash": str(messages.TAB_TRASH),
    }


def tab_condition(tab: str, now: datetime) -> sa.ColumnElement[bool]:
    """Which articles a tab shows."""
    live = Article.trashed_at.is_(None)
    published = Article.status == ArticleStatus.PUBLISH.value
    return {
        "all": live,
        "publish": sa.and_(live, published, Article.published_at <= now),
        "future": sa.and_(live, published, Article.published_at > now),
        "draft": sa.and_(live, Article.status == ArticleStatus.DRAFT.value),
        "trash": Article.trashed_at.is_not(None),
    }[tab]


def visible_articles(kind: ArticleKind = ArticleKind.POST) -> sa.ColumnElement[bool]:
    """The articles (or pages) this account may see here: its own, or
    everyone's for editors; pages only for those who manage them."""
    of_kind = Article.kind == kind.value
    if can(Capability.EDIT_OTHERS_ARTICLES):
        return of_kind
    if kind == ArticleKind.PAGE:
        return sa.false()
    return sa.and_(of_kind, Article.author_id == current_user.id)


#: The list of each kind, and its "Aggiungi nuovo".
LIST_ENDPOINTS = {ArticleKind.POST: "articles.index", ArticleKind.PAGE: "articles.pages"}
NEW_ENDPOINTS = {ArticleKind.POST: "articles.new", ArticleKind.PAGE: "articles.new_page"}


def require_page_manager() -> None:
    """403 unless this account writes pages (editors and administrators)."""
    if not can_manage_pages():
        abort(403)


@bp.get("/")
def index() -> str:
    """ "Articoli": the articles of one tab, newest first, with every tab's count."""
    return list_page(ArticleKind.POST)


@bp.get("/pages/")
def pages() -> str:
    """ "Pagine": the site's pages, with the same tabs as the articles."""
    require_page_manager()
    return list_page(ArticleKind.PAGE)


def list_page(kind: ArticleKind) -> str:
    """The articles or pages of one tab, newest first, with every tab's count."""
    tab = request.args.get("status", "all")
    if tab not in TABS:
        tab = "all"
    now = utcnow()
    counts = {
        name: db.session.scalar(
            sa.select(sa.func.count(Article.id)).where(
                visible_articles(kind), tab_condition(name, now)
            )
        )
        or 0
        for name in TABS
    }
    query = (
        sa.select(Article)
        .where(visible_articles(kind), tab_condition(tab, now))
        .options(selectinload(Article.terms), selectinload(Article.author))
        .order_by(Article.published_at.desc(), Article.id.desc())
    )
    pagination = db.paginate(
        query, page=page_number(request.args.get("page")), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "articles/index.html",
        kind=kind,
        list_endpoint=LIST_ENDPOINTS[kind],
        new_endpoint=NEW_ENDPOINTS[kind],
        tab=tab,
        tabs=tab_labels(),
        counts=counts,
        pagination=pagination,
        action_form=ArticleActionForm(),
        now=now,
    )


# Writing -------------------------------------------------------------------


def editable_article(article_id: int) -> Article:
    """The article, if this account may edit it: 404 when missing, 403 when not its."""
    article = db.session.get(Article, article_id)
    if article is None:
        abort(404)
    if not can_edit_article(article):
        abort(403)
    return article


def timezone() -> str:
    return str(current_app.config["TIMEZONE"])


def form_for(article: Article) -> ArticleForm:
    """The edit form filled from the saved article."""
    data = {
        "title": article.title,
        "slug": article.slug,
        "standfirst": article.standfirst,
        "body": article.body_source if article.body_source is not None else article.body_html,
        "categories": ", ".join(term.name for term in article.categories),
        "tags": ", ".join(term.name for term in article.tags),
        "comments_open": article.comments_open,
        "featured_image": str(article.featured_image_id or ""),
    }
    if article.status == ArticleStatus.PUBLISH:
        local = localize(article.published_at, timezone())
        data["publish_date"] = local.date()
        data["publish_time"] = local.time().replace(second=0, microsecond=0)
    return ArticleForm(formdata=None, data=data)


def render_editor(
    form: ArticleForm,
    article: Article | None,
    notice: str | None = None,
    kind: ArticleKind = ArticleKind.POST,
) -> BaseResponse:
    """The edit page, with what the author typed and what was wrong with it."""
    kind = article.kind if article is not None else kind
    moment = chosen_moment(form)
    schedules = moment is not None and moment > utcnow()
    response = make_response(
        render_template(
            "articles/edit.html",
            form=form,
            article=article,
            kind=kind,
            list_endpoint=LIST_ENDPOINTS[kind],
            images=image_choices(form),
            notice=notice,
            schedules=schedules,
            action_form=ArticleActionForm(),
            timezone=timezone(),
            now_local=localize(utcnow(), timezone()).strftime("%Y-%m-%dT%H:%M:%S"),
        ),
        form_status() if form.errors or notice else 200,
    )
    return response


def chosen_moment(form: ArticleForm) -> datetime | None:
    """The date and time typed, as stored (naive UTC), or None."""
    today = localize(utcnow(), timezone()).date()
    local = form.local_moment(today)
    return None if local is None else authoring.from_local(local, timezone())


#: The images offered as featured image: the newest uploads (and the one chosen).
FEATURED_CHOICES = 24


def image_choices(form: ArticleForm) -> list[MediaFile]:
    """The uploads the featured image is chosen among, newest first."""
    images = list(
        db.session.scalars(
            sa.select(MediaFile).order_by(MediaFile.id.desc()).limit(FEATURED_CHOICES)
        )
    )
    chosen = form.featured_image_id()
    if chosen is not None and all(media.id != chosen for media in images):
        media = db.session.get(MediaFile, chosen)
        if media is not None:
            images.insert(0, media)
    return images


@bp.get("/new")
def new() -> BaseResponse:
    """ "Aggiungi nuovo articolo": an empty form."""
    return render_editor(ArticleForm(formdata=None), None)


@bp.post("/new")
def create() -> BaseResponse:
    """Save a new article as a draft, or publish or schedule it."""
    return save(None)


@bp.get("/pages/new")
def new_page() -> BaseResponse:
    """ "Aggiungi nuova pagina": an empty form, with no comments by default."""
    require_page_manager()
    return render_editor(
        ArticleForm(formdata=None, data={"comments_open": False}), None, kind=ArticleKind.PAGE
    )


@bp.post("/pages/new")
def create_page() -> BaseResponse:
    """Save a new page as a draft, or publish or schedule it."""
    require_page_manager()
    return save(None, ArticleKind.PAGE)


@bp.get("/<int:article_id>/edit")
def edit(article_id: int) -> BaseResponse:
    """The edit form of a saved article."""
    article = editable_article(article_id)
    return render_editor(form_for(article), article)


@bp.post("/<int:article_id>/edit")
def update(article_id: int) -> BaseResponse:
    """ "Salva bozza", "Pubblica", "Programma" or "Aggiorna" a saved article."""
    return save(editable_article(article_id))


#: Flask-WTF's words for a token that was good and is now too old (any other
#: token problem is no author's long writing, and gets the usual 400).
EXPIRED_FORM_MESSAGE = "The CSRF token has expired."


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> BaseResponse | tuple[str, int]:
    """A save whose token has expired (an author who wrote for hours): the
    form again, with everything typed and a fresh token, and nothing saved.

    Only a request from the site itself gets here: a cross-site POST is
    refused before the token is read (``blog/web/security.py``).
    """
    saving = request.endpoint in ("articles.create", "articles.create_page", "articles.update")
    if not saving or error.description != EXPIRED_FORM_MESSAGE:
        return handle_csrf_error(error)
    kind = ArticleKind.POST
    if request.endpoint == "articles.create_page":
        if not can_manage_pages():
            return render_error(403)
        kind = ArticleKind.PAGE
    article = None
    if request.view_args and "article_id" in request.view_args:
        article = editable_article(request.view_args["article_id"])
    form = ArticleForm(meta={"csrf": False})
    form.validate()
    return render_editor(form, article, str(messages.FORM_EXPIRED_SAVE_AGAIN), kind)


#: The buttons of the edit form, by the value of their ``action``.
ACTIONS = frozenset({"draft", "publish", "schedule", "update"})


#: What each kind's buttons say once done.
NOTICES = {
    ArticleKind.POST: {
        "publish": messages.ARTICLE_PUBLISHED,
        "schedule": messages.ARTICLE_SCHEDULED,
        "update": messages.ARTICLE_UPDATED,
    },
    ArticleKind.PAGE: {
        "publish": messages.PAGE_PUBLISHED,
        "schedule": messages.PAGE_SCHEDULED,
        "update": messages.PAGE_UPDATED,
    },
}


def save(article: Article | None, kind: ArticleKind = ArticleKind.POST) -> BaseResponse:
    """Validate the form and do what its button says; the form again on an error."""
    kind = article.kind if article is not None else kind
    form = ArticleForm()
    action = request.form.get("action", "draft")
    if action not in ACTIONS:
        action = "draft"
    if not form.validate():
        return render_editor(form, article, str(messages.ARTICLE_NOT_SAVED), kind)
    editor = signed_in()
    draft = replace(form.draft(), kind=kind)
    said = NOTICES[kind]
    moment = chosen_moment(form)
    try:
        if action == "draft" and (article is None or article.status == ArticleStatus.DRAFT):
            article = authoring.save_draft(article, draft, editor)
            notice = messages.DRAFT_SAVED
        elif article is not None and article.status == ArticleStatus.PUBLISH:
            article = authoring.update(article, draft, editor, at=moment)
            notice = said["schedule"] if article.is_scheduled else said["update"]
        elif action == "schedule" or (moment is not None and moment > utcnow()):
            if moment is None:
                raise ArticleRefused("publish_at", str(messages.SCHEDULE_NEEDS_DATE))
            article = authoring.schedule(article, draft, editor, moment)
            notice = said["schedule"]
        else:
            article = authoring.publish(article, draft, editor, at=moment)
            notice = said["publish"]
    except ArticleRefused as refused:
        db.session.rollback()
        field = {"publish_at": form.publish_date}.get(refused.field) or (
            form[refused.field] if refused.field else None
        )
        if field is None:
            return render_editor(form, article, refused.message, kind)
        field.errors = [*field.errors, refused.message]
        return render_editor(form, article, str(messages.ARTICLE_NOT_SAVED), kind)
    flash(str(notice).format(title=article.title), "success")
    return redirect(url_for("articles.edit", article_id=article.id), 303)


@bp.post("/<int:article_id>/trash")
def trash(article_id: int) -> BaseResponse:
    """ "Sposta nel cestino"."""
    article = editable_article(article_id)
    if ArticleActionForm().validate():
        authoring.trash(article, signed_in())
        flash(str(messages.ARTICLE_TRASHED).format(title=article.title), "success")
    return redirect(url_for(LIST_ENDPOINTS[article.kind], status="trash"), 303)


@bp.post("/<int:article_id>/restore")
def restore(article_id: int) -> BaseResponse:
    """ "Ripristina" from the bin."""
    article = editable_article(article_id)
    if ArticleActionForm().validate():
        authoring.restore(article, signed_in())
        flash(str(messages.ARTICLE_RESTORED).format(title=article.title), "success")
    return redirect(url_for("articles.edit", article_id=article.id), 303)


@bp.post("/<int:article_id>/autosave")
def autosave(article_id: int) -> BaseResponse:
    """Keep a draft as it is typed (the editor's script); never a published article."""
    article = editable_article(article_id)
    form = ArticleForm()
    if not form.validate():
        return make_response(jsonify(saved=False, errors=form.errors), 422)
    try:
        authoring.autosave(article, form.draft(), signed_in())
    except ArticleRefused as refused:
        db.session.rollback()
        return make_response(jsonify(saved=False, error=refused.message, field=refused.field), 409)
    local = localize(utcnow(), timezone())
    return jsonify(saved=True, message=str(messages.AUTOSAVED).format(time=local.strftime("%H:%M")))


# Preview -------------------------------------------------------------------


@dataclass
class PreviewArticle:
    """What the article template reads of an article, for a version not (yet) live."""

    id: int
    slug: str
    title: str
    standfirst: str
    body_html: str
    published_at: datetime
    comments_open: bool
    author: object
    categories: list
    tags: list
    approved_comment_count: int = 0
    kind: ArticleKind = ArticleKind.POST
    featured_image: MediaFile | None = None


def preview_response(shown: PreviewArticle, note: str) -> BaseResponse:
    """The article as readers would see it, marked as a preview, kept by nobody."""
    response = make_response(
        render_template("articles/preview.html", article=shown, preview_note=note)
    )
    response.headers["Cache-Control"] = PRIVATE
    return response


def body_preview(source: str) -> str:
    """The body as readers would see it; a body the renderer refuses (its
    cost bounds) shows why instead, in the site's language."""
    try:
        return authoring.render_body(source)
    except ArticleRefused as refused:
        return str(Markup('<p class="form-error" role="alert">{}</p>').format(refused.message))


def preview_of_form(
    form: ArticleForm, article: Article | None, kind: ArticleKind = ArticleKind.POST
) -> PreviewArticle:
    """The unsaved fields as an article (nothing is written)."""
    draft = form.draft()
    moment = chosen_moment(form)
    return PreviewArticle(
        id=article.id if article else 0,
        slug=draft.slug or (article.slug if article else ""),
        title=draft.title,
        standfirst=draft.standfirst,
        body_html=body_preview(draft.body_source),
        published_at=moment or (article.published_at if article else utcnow()),
        comments_open=draft.comments_open,
        author=article.author if article else signed_in(),
        kind=article.kind if article else kind,
        featured_image=(
            db.session.get(MediaFile, draft.featured_image_id)
            if isinstance(draft.featured_image_id, int)
            else None
        ),
        # Made here, never added to the session: a preview writes nothing.
        categories=[
            Term(kind=TermKind.CATEGORY, name=n, slug=slugify(n)) for n in draft.categories
        ],
        tags=[Term(kind=TermKind.TAG, name=n, slug=slugify(n)) for n in draft.tags],
    )


@bp.post("/preview")
def preview_new() -> BaseResponse:
    """ "Anteprima" of a new article's unsaved fields."""
    return preview(None)


@bp.post("/pages/preview")
def preview_new_page() -> BaseResponse:
    """ "Anteprima" of a new page's unsaved fields."""
    require_page_manager()
    return preview(None, ArticleKind.PAGE)


@bp.post("/<int:article_id>/preview")
def preview_article(article_id: int) -> BaseResponse:
    """ "Anteprima" of the unsaved fields of a saved article."""
    return preview(editable_article(article_id))


def preview(article: Article | None, kind: ArticleKind = ArticleKind.POST) -> BaseResponse:
    form = ArticleForm()
    form.validate()  # a preview shows what it can, errors or not
    return preview_response(preview_of_form(form, article, kind), str(messages.PREVIEW_NOTE))


@bp.post("/live-preview")
def live_preview() -> BaseResponse:
    """The body's HTML for the side-by-side preview (the editor's script)."""
    form = ArticleForm()
    form.validate()
    response = jsonify(
        title=form.title.data or "",
        standfirst=form.standfirst.data or "",
        html=body_preview((form.body.data or "").replace("\r\n", "\n")),
    )
    response.headers["Cache-Control"] = PRIVATE
    return response


# Revisions -----------------------------------------------------------------


def article_revision(article: Article, revision_id: int) -> ArticleRevision:
    revision = db.session.get(ArticleRevision, revision_id)
    if revision is None or revision.article_id != article.id:
        abort(404)
    return revision


@bp.get("/<int:article_id>/revisions")
def revisions(article_id: int) -> str:
    """Every saved version of the article: who, when."""
    article = editable_article(article_id)
    rows = db.session.scalars(
        sa.select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .options(selectinload(ArticleRevision.editor))
        .order_by(ArticleRevision.id.desc())
    ).all()
    return render_template("articles/revisions.html", article=article, revisions=rows)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "same", "gap"
    text: str


def line_diff(before: str, after: str) -> list[DiffLine]:
    """What changed from ``before`` to ``after``, line by line, with context."""
    lines: list[DiffLine] = []
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2)
    for line in list(diff)[2:]:
        if line.startswith("@@"):
            lines.append(DiffLine("gap", "…"))
        elif line.startswith("+"):
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return lines


def revision_text(source: str | None, html: str) -> str:
    return source if source is not None else html


@bp.get("/<int:article_id>/revisions/<int:revision_id>")
def compare(article_id: int, revision_id: int) -> str:
    """One version beside the current one: what differs in title, address, summary, text."""
    article = editable_article(article_id)
    revision = article_revision(article, revision_id)
    fields = [
        (messages.FIELD_TITLE, revision.title, article.title),
        (messages.FIELD_ADDRESS, revision.slug, article.slug),
        (messages.FIELD_SUMMARY, revision.standfirst, article.standfirst),
        (
            messages.FIELD_TEXT,
            revision_text(revision.body_source, revision.body_html),
            revision_text(article.body_source, article.body_html),
        ),
    ]
    diffs = [(str(label), line_diff(old, new)) for label, old, new in fields]
    return render_template(
        "articles/compare.html",
        article=article,
        revision=revision,
        diffs=diffs,
        restore_form=RevisionRestoreForm(),
    )


@bp.get("/<int:article_id>/revisions/<int:revision_id>/preview")
def preview_revision(article_id: int, revision_id: int) -> BaseResponse:
    """A saved version as readers would see it."""
    article = editable_article(article_id)
    revision = article_revision(article, revision_id)
    shown = PreviewArticle(
        id=article.id,
        slug=revision.slug,
        title=revision.title,
        standfirst=revision.standfirst,
        body_html=revision.body_html,
        published_at=article.published_at,
        comments_open=article.comments_open,
        author=article.author,
        categories=article.categories,
        tags=article.tags,
        kind=article.kind,
        featured_image=article.featured_image,
    )
    return preview_response(shown, str(messages.REVISION_PREVIEW_NOTE))


@bp.post("/<int:article_id>/revisions/<int:revision_id>/restore")
def restore_revision(article_id: int, revision_id: int) -> BaseResponse:
    """Make a saved version the current one (a new version itself)."""
    article = editable_article(article_id)
    revision = article_revision(article, revision_id)
    if not RevisionRestoreForm().validate():
        abort(400)
    try:
        authoring.restore_revision(article, revision, signed_in())
    except ArticleRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(
            url_for("articles.compare", article_id=article.id, revision_id=revision.id), 303
        )
    flash(str(messages.REVISION_RESTORED), "success")
    return redirect(url_for("articles.edit", article_id=article.id), 303)

"""The moderators' pages beside the queue: settings (word lists, policy,
thresholds, each article's comments open or closed), the privacy tools and
the moderator's own profile. Part of the queue's blueprint
(blog/moderation/views.py), whose sign-in check covers them."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import pgettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.accounts.forms import ProfileForm
from blog.accounts.roles import Capability, can
from blog.core.forms import ActionForm, form_status
from blog.extensions import db
from blog.models import Article, Comment
from blog.moderation import site_settings
from blog.moderation.forms import (
    BlockedHostsForm,
    DiscussionSettingsForm,
    ModerationSettingsForm,
    PrivacyForm,
    WordListsForm,
)
from blog.moderation.views import bp
from blog.privacy import personal_data
from blog.spam.hosts import blocked_hosts, save_blocked_hosts
from blog.spam.rules import save_word_list, word_lists


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> BaseResponse | tuple[str, int]:
    """Edit the word lists; show the other settings and the articles' switches."""
    form = WordListsForm()
    if form.validate_on_submit():
        # A POST without a field reads as an empty box, never a 500.
        save_word_list("COMMENT_MODERATION_KEYS", (form.moderation_keys.data or "").splitlines())
        save_word_list("COMMENT_DISALLOWED_KEYS", (form.disallowed_keys.data or "").splitlines())
        db.session.commit()
        flash(str(messages.WORD_LISTS_SAVED), "success")
        return redirect(url_for("moderation.settings"), 303)
    # A refused POST keeps what was typed; a GET shows the lists in force.
    return render_settings(form_status(), words=form if request.method == "POST" else None)


@bp.post("/settings/moderazione")
def save_moderation_settings() -> BaseResponse | tuple[str, int]:
    """Save the moderation policy and the learning filter's thresholds."""
    form = ModerationSettingsForm()
    if form.validate_on_submit():
        site_settings.save("COMMENT_MODERATION", form.moderation.data)
        site_settings.save("SPAM_SCORE_SPAM", form.spam_score.data)
        site_settings.save("SPAM_SCORE_HOLD", form.hold_score.data)
        site_settings.save("SPAM_MIN_TRAINING", form.min_training.data)
        db.session.commit()
        flash(str(messages.MODERATION_SETTINGS_SAVED), "success")
        return redirect(url_for("moderation.settings", _anchor="moderation-title"), 303)
    if form.errors.get("csrf_token"):
        abort(400)
    return render_settings(status=422, moderation=form)


@bp.post("/settings/discussione")
def save_discussion_settings() -> BaseResponse | tuple[str, int]:
    """Save the thread depth, threads per page, opening page and closing age.

    In force at once: every article page is rendered again on its next view.
    """
    form = DiscussionSettingsForm()
    if form.validate_on_submit():
        site_settings.save_page_settings(
            {
                "COMMENT_THREAD_DEPTH": form.thread_depth.data,
                "COMMENTS_PER_PAGE": form.per_page.data,
                "COMMENT_DEFAULT_PAGE": form.default_page.data,
                "COMMENT_CLOSE_AFTER_DAYS": form.close_days.data,
            }
        )
        db.session.commit()
        flash(messages.DISCUSSION_SETTINGS_SAVED, "success")
        return redirect(url_for("moderation.settings", _anchor="discussion-title"), 303)
    if form.errors.get("csrf_token"):
        abort(400)
    return render_settings(status=422, discussion=form)


def fill_word_lists(form: WordListsForm, in_force: Mapping[str, Any]) -> None:
    """Show the word lists in force in ``form``."""
    lists = word_lists(in_force)
    form.moderation_keys.data = "\n".join(lists["COMMENT_MODERATION_KEYS"])
    form.disallowed_keys.data = "\n".join(lists["COMMENT_DISALLOWED_KEYS"])


@bp.post("/settings/siti-bloccati")
def save_blocked_sites() -> BaseResponse | tuple[str, int]:
    """Save the blocked sites; a line that cannot be blocked says why, and nothing is saved."""
    form = BlockedHostsForm()
    if form.validate_on_submit():
        # A POST without the field reads as an empty box, never a 500.
        save_blocked_hosts((form.blocked_hosts.data or "").splitlines())
        db.session.commit()
        flash(str(messages.BLOCKED_HOSTS_SAVED), "success")
        return redirect(url_for("moderation.settings", _anchor="hosts-title"), 303)
    if form.errors.get("csrf_token"):
        abort(400)
    return render_settings(422, hosts=form)


def moderation_settings_form(in_force: Mapping[str, Any]) -> ModerationSettingsForm:
    """The policy and thresholds form, showing what is in force."""
    return ModerationSettingsForm(
        formdata=None,
        moderation=in_force["COMMENT_MODERATION"],
        spam_score=float(in_force["SPAM_SCORE_SPAM"]),
        hold_score=float(in_force["SPAM_SCORE_HOLD"]),
        min_training=int(in_force["SPAM_MIN_TRAINING"]),
    )


def discussion_settings_form(in_force: Mapping[str, Any]) -> DiscussionSettingsForm:
    """The discussion's form, showing what is in force."""
    return DiscussionSettingsForm(
        formdata=None,
        thread_depth=int(in_force["COMMENT_THREAD_DEPTH"]),
        per_page=int(in_force["COMMENTS_PER_PAGE"]),
        default_page=in_force["COMMENT_DEFAULT_PAGE"],
        close_days=int(in_force["COMMENT_CLOSE_AFTER_DAYS"]),
    )


def render_settings(
    status: int,
    words: WordListsForm | None = None,
    moderation: ModerationSettingsForm | None = None,
    discussion: DiscussionSettingsForm | None = None,
    hosts: BlockedHostsForm | None = None,
) -> tuple[str, int]:
    """The settings page around its forms, with the articles' switches.

    The form that was sent keeps what was typed; the others show what is in force.
    """
    in_force = site_settings.in_force(current_app.config)
    if words is None:
        words = WordListsForm(formdata=None)
        fill_word_lists(words, in_force)
    articles = db.session.scalars(sa.select(Article).order_by(Article.published_at.desc())).all()
    if hosts is None:
        hosts = BlockedHostsForm(formdata=None)
        hosts.blocked_hosts.data = "\n".join(blocked_hosts(in_force))
    page = render_template(
        "moderation/settings.html",
        form=words,
        moderation_form=moderation or moderation_settings_form(in_force),
        discussion_form=discussion or discussion_settings_form(in_force),
        hosts_form=hosts,
        articles=articles,
        close_after_days=in_force["COMMENT_CLOSE_AFTER_DAYS"],
    )
    return page, status


@bp.post("/articles/<int:article_id>/comments/<any(open, close):switch>")
def switch_comments(article_id: int, switch: str) -> BaseResponse:
    """Open or close an article's comments."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    article = db.get_or_404(Article, article_id)
    article.comments_open = switch == "open"  # a new version, as any change to the row
    db.session.commit()
    message = messages.ARTICLE_OPENED if article.comments_open else messages.ARTICLE_CLOSED
    flash(message.format(title=article.title), "success")
    return redirect(url_for("moderation.settings"), 303)


@bp.route("/privacy", methods=["GET", "POST"])
def privacy_tools() -> BaseResponse | tuple[str, int]:
    """Find what is stored for an email; export it, anonymise it or delete it."""
    form = PrivacyForm() if request.method == "POST" else PrivacyForm(formdata=None)
    found: list[Comment] = []
    status = 200
    if request.method == "POST":
        if form.validate():
            email = form.email.data
            if form.action.data == "export":
                response = Response(
                    personal_data.as_json(personal_data.export(email)), mimetype="application/json"
                )
                attach(response, pgettext("file name", "personal-data.json"))
                return response
            if not form.confirm.data:
                form.confirm.errors = [messages.PRIVACY_CONFIRM_REQUIRED]
            else:
                erased = personal_data.erase(
                    email, delete=form.action.data == "delete", moderator=current_user
                )
                db.session.commit()
                done = messages.PRIVACY_DELETED if erased.deleted else messages.PRIVACY_ANONYMISED
                flash(done.format(email=email, count=erased.comments), "success")
                return redirect(url_for("moderation.privacy_tools"), 303)
        status = 422
        found = personal_data.comments_of(form.email.data or "")
    elif request.args.get("email"):
        # Looking only: a GET changes nothing, so it needs no token.
        form.email.data = request.args["email"].strip()[:254]
        found = personal_data.comments_of(form.email.data)
    return render_template("moderation/privacy.html", form=form, found=found), status


def attach(response: Response, filename: str) -> None:
    """Offer ``response`` as a download named ``filename``, in any language.

    A name that is not ASCII goes in ``filename*`` (RFC 6266), beside an
    ASCII ``filename`` for the clients that read only that.
    """
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    simple = simple or "personal-data.json"
    extra = {} if simple == filename else {"filename*": "UTF-8''" + quote(filename)}
    response.headers.set("Content-Disposition", "attachment", filename=simple, **extra)


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> BaseResponse | tuple[str, int]:
    """The signed-in moderator's name, site and notification address."""
    form = ProfileForm(obj=current_user)
    moderates = can(Capability.MODERATE_COMMENTS)
    if not moderates:
        # Comment mail is for those who moderate: the choice is not offered.
        del form.mail_events
        del form.mail_frequency
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data
        current_user.url = form.url.data or ""
        current_user.email = form.email.data or None
        if moderates:
            current_user.mail_events = form.mail_events.data
            current_user.mail_frequency = form.mail_frequency.data
        current_user.language = form.language.data or None
        db.session.commit()
        flash(str(messages.PROFILE_SAVED), "success")
        return redirect(url_for("moderation.profile"), 303)
    status = form_status()
    return render_template("moderation/profile.html", form=form, moderates=moderates), status

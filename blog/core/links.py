"""The one address of a comment: its article, its page, its anchor.

As WordPress's ``get_comment_link``: ``/<slug>/?cpage=N#comment-<id>``.
Mail, feeds, the moderation queue and the notice after posting all link
here, so that a comment on page 3 opens page 3. Pages are numbered by the
threads' start, oldest first, whatever the order (``blog/comments/pages.py``), so
a page's number never changes as new threads arrive; but the page an
article opens on does under ``COMMENT_DEFAULT_PAGE=newest`` (its newest
page), so there a link always names its page. Under ``oldest`` the first
page is the article's own address, for good, and needs no ``cpage``.
"""

from __future__ import annotations

from flask import url_for

from blog.comments.pages import page_of
from blog.core.urls import external_url
from blog.models import Comment
from blog.moderation.site_settings import page_setting


def comment_page(comment: Comment) -> int:
    """The comment page the comment is shown on."""
    return page_of(comment.article, comment, page_setting("COMMENTS_PER_PAGE"))


def comment_link(comment: Comment, *, external: bool = True, page: int | None = None) -> str:
    """The comment's address: absolute (from ``SITE_URL``) for mail and feeds,
    a path for the site's own pages. ``page`` spares the lookup when known."""
    number = page if page is not None else comment_page(comment)
    return link_to(comment.article.slug, comment.id, number, external=external)


def link_to(slug: str, comment_id: int, page: int, *, external: bool = True) -> str:
    """:func:`comment_link` from what a caller already holds."""
    oldest_first = page_setting("COMMENT_DEFAULT_PAGE") == "oldest"
    cpage = None if oldest_first and page == 1 else page
    anchor = f"comment-{comment_id}"
    if external:
        return external_url("reader.article", slug=slug, cpage=cpage, anchor=anchor)
    return url_for("reader.article", slug=slug, cpage=cpage, _anchor=anchor)

"""What search engines and link previews read: robots.txt, noindex, canonical links.

Moderation pages, the moderators' login and the pages behind links in mail
are nobody's search result: robots.txt asks crawlers to stay out, and each
of those pages says ``noindex`` twice, in an ``X-Robots-Tag`` header and in
a ``<meta name="robots">``, for the crawler that comes anyway through a link
somebody published. Canonical and Open Graph URLs come from ``SITE_URL``
(:func:`blog.urls.external_url`), never from the request's ``Host``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, has_request_context, request

from blog.accounts import auth, staff_views
from blog.articles import views as editor
from blog.core.urls import external_url
from blog.moderation import views
from blog.notify import mail_links
from blog.web.http_cache import make_public

bp = Blueprint("seo", __name__)

#: Blueprints whose pages no search engine should list.
PRIVATE_BLUEPRINTS = frozenset(
    {auth.bp.name, views.bp.name, staff_views.bp.name, mail_links.bp.name, editor.bp.name}
)
NOINDEX = "noindex, nofollow"


def private_paths() -> list[str]:
    """The path prefixes robots.txt closes, under the site's own path."""
    prefixes = {
        views.bp.url_prefix,
        auth.bp.url_prefix,
        staff_views.bp.url_prefix,
        mail_links.bp.url_prefix,
        editor.bp.url_prefix,
    }
    paths = sorted(f"{request.script_root}{prefix}/" for prefix in prefixes if prefix)
    # /admin/ already closes /admin/articles/.
    return [path for path in paths if not any(path.startswith(p) and path != p for p in paths)]


@bp.get("/robots.txt")
def robots_txt() -> Response:
    """Let crawlers read the articles and feeds, and keep them out of moderation."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in private_paths())]
    response = Response("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    return make_public(response)


def is_private_page() -> bool:
    """Tell whether the current request is for a page no search engine should list."""
    return has_request_context() and request.blueprint in PRIVATE_BLUEPRINTS


def add_robots_header(response: Response) -> Response:
    """Say ``noindex`` on the private pages, whatever their content type."""
    if is_private_page():
        response.headers["X-Robots-Tag"] = NOINDEX
    return response


def template_values() -> dict[str, Any]:
    return {"noindex": is_private_page()}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(add_robots_header)
    app.context_processor(template_values)
    app.jinja_env.globals["external_url"] = external_url

"""HTTP caching: what a shared cache (nginx, a CDN) may keep, and for how long.

Readers with no cookie of ours all get the same article page, index and
feeds, so those are ``public`` for ``PAGE_CACHE_SECONDS`` (``s-maxage``),
may be served stale for ``PAGE_STALE_SECONDS`` more while one request
refreshes them, and carry an ``ETag``. Everything else, and anything that
reads or writes a cookie, is ``private, no-store``: one hook, after every
view, decides, so that a page that depends on a person can never be marked
cacheable by mistake.

An article page holds the comment form's signed time (the time trap), so a
copy is only as good as that time is recent: its ``ETag`` carries the
second it was rendered, and a revalidation gets a 304 only while the copy is
at most ``PAGE_CACHE_SECONDS + PAGE_STALE_SECONDS`` old, the same bound a
shared cache keeps to.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import TypeVar

from flask import Flask, Response, current_app, request, session
from werkzeug.wrappers import Response as BaseResponse

#: Flask's responses and Werkzeug's (a redirect) alike.
AnyResponse = TypeVar("AnyResponse", bound=BaseResponse)

#: The cookies a commenter's name, email and site are remembered in (WordPress's).
AUTHOR_COOKIES = {
    "author": "comment_author",
    "email": "comment_author_email",
    "url": "comment_author_url",
}
_ARTICLE_ETAG = re.compile(
    r'"a(\d{1,18})\.v(\d{1,18})\.p(\d{1,7})\.([oc])\.s(oldest|newest|best)\.t(\d{1,12})"'
)


def personal_cookies(config: Mapping) -> frozenset[str]:
    """Cookies that make a page someone's own: the session, the login, the commenter."""
    return frozenset(
        {
            config["SESSION_COOKIE_NAME"],
            config.get("REMEMBER_COOKIE_NAME", "remember_token"),
            *AUTHOR_COOKIES.values(),
        }
    )


def has_personal_cookies(cookie_names: Iterable[str], config: Mapping) -> bool:
    return not personal_cookies(config).isdisjoint(cookie_names)


def is_anonymous_request() -> bool:
    """Tell whether this request carries no cookie of ours."""
    return not has_personal_cookies(request.cookies, current_app.config)


def public_cache_control(config: Mapping) -> str:
    """The Cache-Control of a page every anonymous reader shares."""
    return (
        f"public, max-age=0, s-maxage={int(config['PAGE_CACHE_SECONDS'])}, "
        f"stale-while-revalidate={int(config['PAGE_STALE_SECONDS'])}"
    )


PRIVATE = "private, no-store"
#: Files that are the same for everyone, whoever asks: they keep their own headers.
SHARED_FILES = frozenset({"static", "media_files.file"})


def make_public(response: AnyResponse) -> AnyResponse:
    """Mark a response as the same for every reader with no cookie of ours."""
    response.headers["Cache-Control"] = public_cache_control(current_app.config)
    response.vary.add("Cookie")
    return response


#: What an article page shows: article, comment version, page, open, order.
PageShown = tuple[int, int, int, bool, str]


def article_etag(shown: PageShown, at: int) -> str:
    """The validator of an article page: what it shows, and the second it was signed."""
    article_id, version, page, is_open, order = shown
    return f'"a{article_id}.v{version}.p{page}.{"o" if is_open else "c"}.s{order}.t{at}"'


def parse_article_etag(etag: str) -> PageShown | None:
    """What an article page's ETag says it shows."""
    match = _ARTICLE_ETAG.fullmatch(etag)
    if match is None:
        return None
    article_id, version, page = (int(group) for group in match.group(1, 2, 3))
    return article_id, version, page, match.group(4) == "o", match.group(5)


def article_copy_is_fresh(
    if_none_match: str | None, shown: PageShown, config: Mapping
) -> str | None:
    """The reader's copy's ETag, if it shows what the page shows now and is recent enough."""
    if not if_none_match:
        return None
    now = time.time()
    longest = int(config["PAGE_CACHE_SECONDS"]) + int(config["PAGE_STALE_SECONDS"])
    article_id, version, page, is_open, order = shown
    for match in _ARTICLE_ETAG.finditer(if_none_match[:1000]):
        shows = tuple(int(group) for group in match.group(1, 2, 3))
        if (
            shows == (article_id, version, page)
            and (match.group(4) == "o") == is_open
            and match.group(5) == order
            and 0 <= now - int(match.group(6)) <= max(longest, 1)
        ):
            return match.group(0)
    return None


def keep_personal_pages_private(response: Response) -> Response:
    """Make anything that is not a shared page ``private, no-store``.

    A response stays public only when its view said so, the request carried
    no cookie of ours and nothing in the response sets or reads one.
    """
    if request.endpoint in SHARED_FILES:
        return response
    cache_control = response.headers.get("Cache-Control", "")
    if "no-store" in cache_control and "public" not in cache_control:
        return response  # the view already said that nobody keeps it
    public = cache_control.startswith("public")
    if (
        public
        and is_anonymous_request()
        and not session.modified
        and not session
        and "Set-Cookie" not in response.headers
    ):
        return response
    response.headers["Cache-Control"] = PRIVATE
    response.headers.pop("ETag", None)
    return response


def register(app: Flask) -> None:
    app.after_request(keep_personal_pages_private)

"""nginx's microcache in front of gunicorn, with the config docs/operations.md deploys.

Anonymous pages come from the cache for the second the app allows; a
reader with a cookie of ours (a moderator, a pending comment, a remembered
commenter) always gets their own page, and nobody else ever gets it.
"""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from benchmarks.nginx import LOCATIONS, NGINX, SITE, check_config, render_site
from tests.helpers import (
    ARTICLE_URL,
    MODERATOR_PASSWORD,
    POST_URL,
    SLUG,
    form_fields,
    test_database_url,
)
from tests.support.live_server import (
    PROJECT,
    Browser,
    app_env,
    free_port,
    gunicorn,
    init_database,
    wipe_database,
)
from tests.support.nginx_server import Nginx, nginx

needs_nginx = pytest.mark.skipif(
    not NGINX.exists(), reason="Debian's nginx is not installed (/usr/sbin/nginx)"
)

#: The pages every anonymous reader shares.
ANONYMOUS_PAGES = [
    "/",
    ARTICLE_URL,
    ARTICLE_URL + "?cpage=1",
    "/feed/",
    "/comments/feed/",
    f"/{SLUG}/feed/",
]
#: The cookies that make a page someone's own.
PERSONAL_COOKIES = [
    "session",
    "remember_token",
    "comment_author",
    "comment_author_email",
    "comment_author_url",
]
PENDING_NOTE = "in attesa di moderazione"
LOGOUT_FORM = {"action": "/moderation/logout"}


def html(body: bytes) -> BeautifulSoup:
    return BeautifulSoup(body.decode(), "html.parser")


def cache_status(headers: dict[str, str]) -> str:
    return headers.get("X-Cache-Status", "")


def s_maxage(headers: dict[str, str]) -> int:
    """The lifetime the app gave a shared cache, in seconds."""
    match = re.search(r"s-maxage=(\d+)", headers.get("Cache-Control", ""))
    assert match, f"no s-maxage: Cache-Control {headers.get('Cache-Control')!r}"
    return int(match.group(1))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """gunicorn on a fresh database, a moderator, nginx in front of it all."""
    work = tmp_path_factory.mktemp("nginx")
    database_url = test_database_url(work)
    wipe_database(database_url)
    init_database(database_url)
    subprocess.run(
        [sys.executable, "-m", "flask", "create-moderator", "anna"],
        cwd=PROJECT,
        env=app_env(database_url),
        input=f"{MODERATOR_PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = free_port()
    # As deployed: links point at nginx, which nginx's X-Forwarded-* describe.
    env = {
        "SITE_URL": f"http://127.0.0.1:{port}",
        "FLASK_PROXY_FIX_X_FOR": "1",
        "FLASK_PROXY_FIX_X_PROTO": "1",
    }
    with gunicorn(database_url, workers=2, env=env) as app_server:
        with nginx(work / "nginx", app_server.port, port) as proxy:
            engine = sa.create_engine(database_url)
            try:
                yield {"proxy": proxy, "db": engine}
            finally:
                engine.dispose()
    wipe_database(database_url)


#: What the stub backend answers on each path, and what nginx must do with
#: two views in a row: the caching contract's headers, and what is never kept.
PUBLIC = "public, max-age=0, s-maxage=1, stale-while-revalidate=1"
STUB_RULES = {
    "/public": ({"Cache-Control": PUBLIC, "Vary": "Cookie"}, ["MISS", "HIT"]),
    "/public-setting-a-cookie": (
        {"Cache-Control": PUBLIC, "Vary": "Cookie", "Set-Cookie": "session=x; HttpOnly"},
        ["MISS", "MISS"],
    ),
    "/private": ({"Cache-Control": "private, no-store"}, ["MISS", "MISS"]),
    "/no-cache": ({"Cache-Control": "no-cache"}, ["MISS", "MISS"]),
    "/no-lifetime": ({}, ["MISS", "MISS"]),
}


class StubBackend(http.server.BaseHTTPRequestHandler):
    """Answers with the headers of ``STUB_RULES``; the body counts requests."""

    served = 0

    def do_GET(self) -> None:
        StubBackend.served += 1
        headers, _ = STUB_RULES[urlsplit(self.path).path]
        body = f"risposta {StubBackend.served}".encode()
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stub_proxy(tmp_path_factory) -> Iterator[Nginx]:
    """The deployed config in front of a backend that speaks the contract."""
    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubBackend)
    thread = threading.Thread(target=backend.serve_forever)
    thread.start()
    try:
        work = tmp_path_factory.mktemp("nginx-stub")
        with nginx(work, backend.server_address[1], free_port()) as proxy:
            yield proxy
    finally:
        backend.shutdown()
        thread.join(10)
        backend.server_close()


def anonymous_view(proxy: Nginx, path: str) -> tuple[int, dict[str, str], bytes]:
    """A reader with no cookie at all: a new browser for every view."""
    return Browser(proxy.port).get(path)


def comment_row(engine: sa.Engine, body: str):
    with engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT id, status FROM comment WHERE body = :body"), {"body": body}
        ).one_or_none()


def post_comment(browser: Browser, body: str, author: str, **fields: str):
    """Open the article, fill the form as a reader would, send it."""
    status, _, page = browser.get(ARTICLE_URL)
    assert status == 200
    data = form_fields(html(page))
    data.pop("wp-comment-cookies-consent", None)
    data.update(comment=body, author=author, email=f"{author.lower()}@example.it", url="")
    data.update(fields)
    return browser.post_form(POST_URL, data)


def log_in(proxy: Nginx) -> Browser:
    """A moderator's browser, logged in with "Ricordami" through nginx."""
    moderator = Browser(proxy.port)
    status, _, page = moderator.get("/moderation/login")
    assert status == 200
    data = form_fields(html(page), "loginform")
    data.update(username="anna", password=MODERATOR_PASSWORD, remember="y")
    status, headers, _ = moderator.post_form("/moderation/login", data)
    assert status == 303, headers
    assert {"session", "remember_token"} <= set(moderator.cookies)
    return moderator


def test_the_operations_guide_shows_the_deployed_config():
    """The guide's nginx blocks are the files the tests run, word for word."""
    guide = (PROJECT / "docs" / "operations.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", guide, re.DOTALL)
    assert blocks == [SITE.read_text(), LOCATIONS.read_text()]


@needs_nginx
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_whole_deployed_config_passes_nginx_t(tmp_path):
    """TLS, the block that closes unknown names and the redirect included."""
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=blog.example.it", "-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    config = render_site(tmp_path, free_port(), (free_port(), free_port()), (certificate, key))
    check_config(tmp_path, config)


@needs_nginx
@pytest.mark.parametrize("path", STUB_RULES)
def test_what_nginx_keeps_follows_the_response_headers(stub_proxy, path):
    _, expected = STUB_RULES[path]
    views = [anonymous_view(stub_proxy, path) for _ in expected]
    assert [cache_status(headers) for _, headers, _ in views] == expected
    bodies = {body for _, _, body in views}
    assert len(bodies) == (1 if expected[-1] == "HIT" else len(views))


@needs_nginx
@pytest.mark.parametrize("cookie", PERSONAL_COOKIES)
def test_a_page_asked_with_a_cookie_of_ours_is_never_kept(stub_proxy, cookie):
    """Even when the backend wrongly marks it public."""
    path = f"/public?{cookie}"
    reader = Browser(stub_proxy.port)
    reader.cookies[cookie] = "valore"
    _, headers, personal = reader.get(path)
    assert cache_status(headers) == "BYPASS"
    _, headers, page = anonymous_view(stub_proxy, path)
    assert cache_status(headers) == "MISS"
    assert page != personal


@needs_nginx
def test_a_public_page_lives_at_most_two_seconds(stub_proxy):
    """s-maxage=1, counted by nginx in whole seconds."""
    path = "/public?lifetime"
    _, _, first = anonymous_view(stub_proxy, path)
    filled = time.monotonic()
    while time.monotonic() - filled < 4:
        _, headers, page = anonymous_view(stub_proxy, path)
        if page != first:
            break
        time.sleep(0.05)
    assert page != first
    assert cache_status(headers) == "EXPIRED"
    assert 0.9 <= time.monotonic() - filled <= 2.2


@needs_nginx
@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_anonymous_views_come_from_the_cache(site, path):
    statuses = []
    for _ in range(3):
        status, headers, _ = anonymous_view(site["proxy"], path)
        assert status == 200
        assert "Set-Cookie" not in headers, headers["Set-Cookie"]
        statuses.append(cache_status(headers))
    # Three views in a row: gunicorn answers at most one of them (a view
    # can land just as an earlier test's entry expires).
    assert statuses.count("HIT") >= 2, (statuses, headers.get("Cache-Control"))
    assert s_maxage(headers) >= 1


@needs_nginx
def test_a_burst_after_a_quiet_spell_gets_no_old_form(site):
    """nginx serves a stale copy however old it is: entries go 2 s after their
    last view, so nobody gets a form whose signed time would fool the trap."""
    anonymous_view(site["proxy"], ARTICLE_URL)
    time.sleep(4)
    with ThreadPoolExecutor(6) as pool:
        views = list(pool.map(lambda _: anonymous_view(site["proxy"], ARTICLE_URL), range(6)))
    now = time.time()
    for status, headers, _ in views:
        assert status == 200
        signed_at = int(headers["ETag"].strip('"').rsplit(".t", 1)[1])
        assert now - signed_at <= 3, (cache_status(headers), now - signed_at)


@pytest.mark.parametrize("cookie", PERSONAL_COOKIES)
def test_a_cookie_of_ours_bypasses_the_cache(site, cookie):
    for _ in range(2):
        reader = Browser(site["proxy"].port)
        reader.cookies[cookie] = "valore"
        status, headers, _ = reader.get(ARTICLE_URL)
        assert status == 200
        assert cache_status(headers) == "BYPASS"


@needs_nginx
def test_a_post_through_nginx_is_stored_and_shown_to_its_author_only(site):
    reader = Browser(site["proxy"].port)
    body = "Un commento passato da nginx"
    status, headers, _ = post_comment(reader, body, "Paola")
    assert status == 303, headers
    row = comment_row(site["db"], body)
    assert row is not None and row.status == "pending"
    location = urlsplit(headers["Location"])
    assert location.path == ARTICLE_URL
    assert location.fragment == f"comment-{row.id}"
    assert "session" in reader.cookies

    status, headers, page = reader.get(ARTICLE_URL)
    assert cache_status(headers) == "BYPASS"
    assert body in page.decode() and PENDING_NOTE in page.decode()

    status, headers, page = anonymous_view(site["proxy"], ARTICLE_URL)
    assert status == 200
    assert body not in page.decode()
    assert PENDING_NOTE not in page.decode()


@needs_nginx
def test_a_moderators_page_is_theirs_alone(site):
    moderator = log_in(site["proxy"])
    status, headers, page = moderator.get(ARTICLE_URL)
    assert status == 200
    assert cache_status(headers) == "BYPASS"
    assert html(page).find("form", attrs=LOGOUT_FORM) is not None

    # "Ricordami" alone, as after the browser dropped the session cookie.
    del moderator.cookies["session"]
    status, headers, page = moderator.get(ARTICLE_URL)
    assert cache_status(headers) == "BYPASS"

    status, headers, page = anonymous_view(site["proxy"], ARTICLE_URL)
    assert status == 200
    assert html(page).find("form", attrs=LOGOUT_FORM) is None
    assert html(page).find(class_="pending-badge") is None


@needs_nginx
def test_a_remembered_commenter_gets_their_own_form(site):
    reader = Browser(site["proxy"].port)
    reader.cookies.update(
        comment_author="MariaRicordata",
        comment_author_email="maria.ricordata@example.it",
        comment_author_url="https://maria.example.it/",
    )
    status, headers, page = reader.get(ARTICLE_URL)
    assert cache_status(headers) == "BYPASS"
    assert form_fields(html(page))["author"] == "MariaRicordata"

    status, headers, page = anonymous_view(site["proxy"], ARTICLE_URL)
    assert status == 200
    assert form_fields(html(page))["author"] == ""
    assert "ricordata" not in page.decode().lower()


@needs_nginx
def test_an_approval_shows_to_anonymous_readers_within_the_cache_lifetime(site):
    proxy = site["proxy"]
    body = "Approvato mentre la pagina era in cache"
    status, _, _ = post_comment(Browser(proxy.port), body, "Giulia")
    assert status == 303
    comment_id = comment_row(site["db"], body).id

    # The anonymous page is in the cache, without the comment.
    statuses = []
    for _ in range(3):
        _, headers, page = anonymous_view(proxy, ARTICLE_URL)
        statuses.append(cache_status(headers))
        assert body not in page.decode()
    assert "HIT" in statuses, (statuses, headers.get("Cache-Control"))
    lifetime = s_maxage(headers)

    moderator = log_in(proxy)
    _, _, queue = moderator.get("/moderation/")
    token = html(queue).find("input", attrs={"name": "csrf_token"})["value"]
    status, _, _ = moderator.post_form(
        f"/moderation/comments/{comment_id}/approve", {"csrf_token": token, "next": ""}
    )
    assert status == 303
    approved_at = time.monotonic()
    assert comment_row(site["db"], body).status == "approved"

    # nginx counts whole seconds, so an entry lives up to a second longer
    # than its s-maxage; another second is the margin.
    limit = lifetime + 2
    seen_after = None
    while time.monotonic() - approved_at < limit + 3:
        _, _, page = anonymous_view(proxy, ARTICLE_URL)
        if body in page.decode():
            seen_after = time.monotonic() - approved_at
            break
        time.sleep(0.1)
    assert seen_after is not None, "the approved comment never showed"
    assert seen_after <= limit, seen_after


@needs_nginx
def test_mail_link_tokens_stay_out_of_nginx_log(site):
    proxy = site["proxy"]
    anonymous_view(proxy, ARTICLE_URL)
    token = "TokenDiProvaNonNelLog"
    for path in (f"/email/moderazione/{token}", f"/email/disiscrivi/{token}"):
        Browser(proxy.port).get(path)
    log = proxy.access_log()
    assert f"GET {ARTICLE_URL} " in log  # the log is written: the check can fail
    assert token not in log


@needs_nginx
def test_a_scheduled_article_reaches_readers_through_nginx_at_its_time(site):
    """Nothing publishes it: the lists in nginx's cache expire, and the next
    request asks the database for what is public at that moment."""
    from blog.models import Article, utcnow

    proxy = site["proxy"]
    due = utcnow() + timedelta(seconds=3)
    due_at = time.monotonic() + 3
    with site["db"].begin() as connection:
        connection.execute(
            sa.insert(Article).values(
                slug="tra-poco-via-nginx",
                title="Tra poco, via nginx",
                standfirst="",
                body_html="<p>Uscito da solo.</p>",
                published_at=due,
            )
        )
    paths = ["/", "/feed/", "/sitemap.xml", "/tra-poco-via-nginx/"]
    for path in paths:
        # Twice: the second view is nginx's copy, kept while the time comes.
        for _ in range(2):
            status, _, page = anonymous_view(proxy, path)
            assert status == (404 if path == "/tra-poco-via-nginx/" else 200)
            assert b"tra-poco-via-nginx" not in page
    assert time.monotonic() < due_at, "the test was too slow to look before the time"
    # Up to s-maxage and stale-while-revalidate (1 s each, the defaults),
    # plus nginx's whole seconds; another second is the margin.
    limit = 4
    seen: dict[str, float] = {}
    while time.monotonic() - due_at < limit + 3 and len(seen) < len(paths):
        for path in paths:
            if path in seen:
                continue
            status, _, page = anonymous_view(proxy, path)
            if status == 200 and b"tra-poco-via-nginx" in page:
                seen[path] = time.monotonic() - due_at
        time.sleep(0.1)
    assert set(seen) == set(paths), seen
    assert max(seen.values()) <= limit, seen
    assert min(seen.values()) >= -0.5, seen  # never before its time

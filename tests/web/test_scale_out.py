"""Two hosts, one database, one Redis: what one host does, the other sees.

Each host is its own gunicorn with its own workers and SITE_URL, as on two
machines behind a load balancer; they share the database (PostgreSQL: two
machines cannot share a SQLite file, so the module runs in .ci/run's
PostgreSQL pass), the Redis holding the rate limits, and the SMTP server.
Both trust one proxy in front, so each test speaks for its own client
address through ``X-Forwarded-For``.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from blog import messages
from tests.helpers import ARTICLE_URL, POST_URL, form_fields, test_database_url
from tests.support.live_server import Browser, LiveServer, gunicorn, init_database, wipe_database
from tests.support.mail_server import Inbox, SmtpServer, body_of

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="several hosts share a database server: set TEST_DATABASE_URL to PostgreSQL "
    "(.ci/run's second pass does)",
)

COMMENT_RATE_LIMIT = 3  # per minute, counted across both hosts
PASSWORD = "una password sicura"
MODERATORS = {"anna": "anna@example.it", "bruno": "bruno@example.it"}
WORKERS = 2  # per host


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = test_database_url(tmp_path_factory.mktemp("scale-out"))
    wipe_database(url)
    init_database(url)
    yield url
    wipe_database(url)


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with SmtpServer() as inbox:
        yield inbox


def host_env(redis_url: str, inbox: Inbox, key_prefix: str, **extra: str) -> dict[str, str]:
    """One host's settings: throttles on, counted in Redis; mail to the test server."""
    return {
        "FLASK_RATELIMIT_ENABLED": "true",
        "FLASK_RATELIMIT_STORAGE_URI": redis_url,
        # Counters of earlier runs against the same Redis are not this run's.
        "FLASK_RATELIMIT_KEY_PREFIX": key_prefix,
        "FLASK_COMMENT_RATE_LIMIT": f"{COMMENT_RATE_LIMIT} per minute",
        "FLASK_PROXY_FIX_X_FOR": "1",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(inbox.port),
        **extra,
    }


@pytest.fixture(scope="module")
def hosts(database_url: str, redis_url: str, inbox: Inbox) -> Iterator[tuple[LiveServer, ...]]:
    """Hosts A and B, with two moderators who have an email address."""
    env = host_env(redis_url, inbox, f"scale-out-{uuid.uuid4().hex}")
    with (
        gunicorn(database_url, WORKERS, env) as host_a,
        gunicorn(database_url, WORKERS, env) as host_b,
    ):
        with ThreadPoolExecutor(len(MODERATORS)) as pool:
            created = pool.map(
                lambda account: host_a.flask(
                    "create-moderator", *account, input=f"{PASSWORD}\n{PASSWORD}\n"
                ),
                [(username, "--email", email) for username, email in MODERATORS.items()],
            )
            for result in created:
                assert result.returncode == 0, result.stderr
        yield host_a, host_b


@pytest.fixture(scope="module")
def flood_hosts(
    database_url: str, redis_url: str, inbox: Inbox
) -> Iterator[tuple[LiveServer, ...]]:
    """Hosts A and B with flood control on (the other hosts have it off)."""
    env = host_env(
        redis_url, inbox, f"scale-out-{uuid.uuid4().hex}", FLASK_COMMENT_FLOOD_SECONDS="60"
    )
    with gunicorn(database_url, 1, env) as host_a, gunicorn(database_url, 1, env) as host_b:
        yield host_a, host_b


def client(host: LiveServer, address: str) -> Browser:
    """A browser at ``address``, as the proxy in front of every host reports it."""
    return Browser(host.port, headers={"X-Forwarded-For": address})


def post_comment(browser: Browser, body: str, email: str) -> tuple[int, str]:
    """Open the article page, post a comment; return the status and the page."""
    fields = {
        **browser.form_tokens(ARTICLE_URL),
        "comment": body,
        "author": "Lettore di prova",
        "email": email,
        "url": "",
        "comment_parent": "0",
    }
    status, _, html = browser.post_form(POST_URL, fields)
    return status, html.decode()


def test_rate_limit_is_counted_across_hosts(hosts):
    host_a, host_b = hosts
    browsers = [client(host_a, "192.0.2.10"), client(host_b, "192.0.2.10")]
    statuses = []
    pages = []
    for number in range(COMMENT_RATE_LIMIT + 2):
        status, page = post_comment(
            browsers[number % 2], f"limite {number}", f"limite{number}@example.it"
        )
        statuses.append(status)
        pages.append(page)
    # Each host alone saw at most 3 posts: only a shared count refuses the 4th.
    assert statuses == [303] * COMMENT_RATE_LIMIT + [429, 429]
    assert all(str(messages.RATE_LIMITED) in page for page in pages[COMMENT_RATE_LIMIT:])
    # Another address is not held back by this one.
    assert post_comment(client(host_b, "192.0.2.11"), "altro", "altro@example.it")[0] == 303


def test_flood_on_one_host_is_refused_by_the_other(flood_hosts):
    host_a, host_b = flood_hosts
    email = "frettoloso@example.it"
    first, _ = post_comment(client(host_a, "192.0.2.20"), "primo commento", email)
    second, page = post_comment(client(host_b, "192.0.2.21"), "secondo commento", email)
    assert (first, second) == (303, 429)
    assert str(messages.FLOOD) in page


def comment_id(database_url: str, body: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT id FROM comment WHERE body = :body"), {"body": body}
            ).scalar_one()
    finally:
        engine.dispose()


def test_approval_on_one_host_shows_on_the_other(hosts, database_url):
    host_a, host_b = hosts
    body = f"approvato su A, letto su B {uuid.uuid4().hex[:8]}"
    assert post_comment(client(host_b, "192.0.2.30"), body, "lettrice@example.it")[0] == 303
    reader = client(host_b, "192.0.2.31")
    status, _, html = reader.get(ARTICLE_URL)  # B renders and caches the page
    assert status == 200 and body not in html.decode()

    moderator = client(host_a, "192.0.2.32")
    login_page = BeautifulSoup(moderator.get("/moderation/login")[2], "html.parser")
    login = form_fields(login_page, "loginform") | {"username": "anna", "password": PASSWORD}
    assert moderator.post_form("/moderation/login", login)[0] == 303
    queue = BeautifulSoup(moderator.get("/moderation/")[2], "html.parser")
    assert body in queue.get_text()
    token = queue.find("input", attrs={"name": "csrf_token"})["value"]
    approve = f"/moderation/comments/{comment_id(database_url, body)}/approve"
    assert moderator.post_form(approve, {"csrf_token": token, "next": ""})[0] == 303

    # Every worker of B, whatever it cached, shows it on the next view.
    for _ in range(2 * WORKERS):
        status, _, html = reader.get(ARTICLE_URL)
        assert status == 200 and body in html.decode()


def test_each_queued_mail_is_sent_once_by_racing_senders(hosts, database_url, inbox):
    """Both hosts' background senders and ``flask send-mail`` on each race."""
    host_a, host_b = hosts
    run = uuid.uuid4().hex[:8]
    commenters = [f"posta-{run}-{number}@example.it" for number in range(8)]
    statuses: list[int] = []
    command_failures: list[str] = []

    def commenter(number: int) -> None:
        browser = client((host_a, host_b)[number % 2], f"198.51.100.{number + 1}")
        statuses.append(post_comment(browser, f"posta {run} {number}", commenters[number])[0])

    def send_mail(host: LiveServer) -> None:
        for _ in range(2):
            result = host.flask("send-mail")
            if result.returncode != 0:
                command_failures.append(result.stdout + result.stderr)

    threads = [threading.Thread(target=send_mail, args=(host,)) for host in hosts]
    threads += [threading.Thread(target=commenter, args=(n,)) for n in range(len(commenters))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert statuses == [303] * len(commenters) and not command_failures

    expected = {
        (moderator, commenter) for moderator in MODERATORS.values() for commenter in commenters
    }
    deadline = time.monotonic() + 30
    while len(mails_about(inbox, commenters)) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a second copy, if any, has had time to arrive
    received = Counter(mails_about(inbox, commenters))
    assert set(received) == expected
    assert [key for key, copies in received.items() if copies > 1] == []

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            outbox = connection.execute(
                sa.text("SELECT attempts, sent_at IS NOT NULL FROM mail_message")
            ).all()
    finally:
        engine.dispose()
    assert outbox and set(outbox) == {(1, True)}  # each row claimed once, and sent


def mails_about(inbox: Inbox, commenters: list[str]) -> list[tuple[str, str]]:
    """(moderator, commenter) of each message received about these commenters."""
    found = []
    for message in list(inbox.messages):
        body = body_of(message)
        for commenter in commenters:
            if f"Email: {commenter}\n" in body:
                found.append((message["To"], commenter))
    return found

"""Many writers at once under gunicorn: nothing acknowledged is ever lost.

These are correctness tests under load, bounded in count and time; the
speed figures live in benchmarks/.
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.helpers import ARTICLE_URL, POST_URL, test_database_url
from tests.support.live_server import Browser, gunicorn, init_database, wipe_database

POSTERS = 16
POSTS = 400
READERS = 2
TIME_LIMIT = 120  # seconds; the load stops by itself well before


@pytest.fixture
def database_url(tmp_path):
    url = test_database_url(tmp_path)
    wipe_database(url)
    init_database(url)
    yield url
    wipe_database(url)


class Load:
    """16 threads posting 400 comments in all, 2 threads reading the page."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.acknowledged: list[str] = []  # bodies answered with 303
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []  # requests that died (connection errors)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.deadline = time.monotonic() + TIME_LIMIT

    def poster(self, number: int) -> None:
        browser = Browser(self.port)
        tokens = browser.form_tokens(ARTICLE_URL)
        for index in range(POSTS // POSTERS):
            if time.monotonic() > self.deadline:
                break
            body = f"carico {number}-{index}"
            fields = {
                **tokens,
                "comment": body,
                "author": f"Lettore {number}",
                "email": f"lettore{number}@example.it",
                "url": "",
                "comment_parent": "0",
            }
            try:
                status, headers, _ = browser.post_form(POST_URL, fields)
            # A worker killed mid-answer cuts the connection, or the body.
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    self.failures.append(f"{body}: {error!r}")
                continue
            with self.lock:
                self.statuses[status] += 1
                if status == 303:
                    self.acknowledged.append(body)

    def reader(self) -> None:
        browser = Browser(self.port)
        for _ in range(2000):
            if self.done.is_set() or time.monotonic() > self.deadline:
                break
            try:
                status, _, _ = browser.get(ARTICLE_URL)
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    self.failures.append(f"read: {error!r}")
                continue
            with self.lock:
                self.statuses[status] += 1

    def run(self, during=None) -> None:
        posters = [threading.Thread(target=self.poster, args=(n,)) for n in range(POSTERS)]
        readers = [threading.Thread(target=self.reader) for _ in range(READERS)]
        for thread in posters + readers:
            thread.start()
        if during:
            during(self)
        for thread in posters:
            thread.join(TIME_LIMIT + 30)
        self.done.set()
        for thread in readers:
            thread.join(30)


def stored_bodies(database_url: str) -> Counter[str]:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT body FROM comment")).scalars().all()
    engine.dispose()
    return Counter(rows)


def test_400_concurrent_posts_are_each_stored_exactly_once(database_url):
    with gunicorn(database_url, workers=4) as server:
        load = Load(server.port)
        load.run()
    assert load.failures == []
    assert not [code for code in load.statuses if code >= 500], load.statuses
    assert len(load.acknowledged) == POSTS, load.statuses
    stored = stored_bodies(database_url)
    assert set(stored) == set(load.acknowledged)
    assert set(stored.values()) == {1}, "a comment stored twice"


def test_a_killed_worker_loses_no_acknowledged_comment(database_url):
    def kill_one_worker(load: Load) -> None:
        deadline = time.monotonic() + 60
        while len(load.acknowledged) < POSTS // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    killed: list[int] = []
    with gunicorn(database_url, workers=4) as server:
        load = Load(server.port)
        load.run(during=kill_one_worker)
        replacements = server.wait_for_workers(4)
    assert killed and killed[0] not in replacements, "gunicorn replaced the killed worker"
    assert not [code for code in load.statuses if code >= 500], load.statuses
    stored = stored_bodies(database_url)
    assert set(load.acknowledged) <= set(stored), "an acknowledged comment was lost"
    assert set(stored.values()) == {1}
    # Only requests in flight on the killed worker may have failed.
    assert len(load.failures) <= POSTERS + READERS, load.failures
    assert len(load.acknowledged) + len(load.failures) >= POSTS - POSTERS

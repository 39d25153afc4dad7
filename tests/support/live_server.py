"""Run the real app under gunicorn on loopback, and talk to it like a browser."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

PROJECT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")

#: Throttles off, as for any load test (see docs/spam.md).
LOAD_TEST_ENV = {
    "FLASK_RATELIMIT_ENABLED": "false",
    "FLASK_COMMENT_FLOOD_SECONDS": "0",
    "FLASK_COMMENT_MIN_SECONDS": "0",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TEST_"))}
    env.update(DATABASE_URL=database_url, SECRET_KEY="live test secret", FLASK_APP="app")
    env.update(LOAD_TEST_ENV)
    env.update(extra)
    return env


def wipe_database(database_url: str) -> None:
    """Drop every table, migrations' bookkeeping included."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


def init_database(database_url: str) -> None:
    """Create the schema with the real migrations, as ``flask init-db`` does."""
    subprocess.run(
        [sys.executable, "-m", "flask", "init-db"],
        cwd=PROJECT,
        env=app_env(database_url),
        check=True,
        capture_output=True,
        timeout=120,
    )


class LiveServer:
    def __init__(self, process: subprocess.Popen, port: int, env: dict[str, str]) -> None:
        self.process = process
        self.port = port
        #: The environment the app runs in, for ``flask`` commands beside it.
        self.env = env

    def flask(
        self, *args: str, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess:
        """Run a ``flask`` command in this server's environment."""
        return subprocess.run(
            [sys.executable, "-m", "flask", *args],
            cwd=PROJECT,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def wait_for_workers(self, count: int, timeout: float = 30) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == count:
                return pids
            time.sleep(0.1)
        raise TimeoutError(f"gunicorn did not reach {count} workers")


@contextmanager
def gunicorn(
    database_url: str, workers: int = 4, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """Start gunicorn with the project's config on a free loopback port."""
    port = free_port()
    server_env = app_env(database_url, **{"SITE_URL": f"http://127.0.0.1:{port}", **(env or {})})
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "--config",
            "gunicorn.conf.py",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "app:app",
        ],
        cwd=PROJECT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = LiveServer(process, port, server_env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if Browser(port).get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start: " + process.stderr.read().decode())
            time.sleep(0.1)
        server.wait_for_workers(workers)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Browser:
    """A minimal HTTP client with a cookie jar; redirects are not followed.

    ``headers`` go with every request: ``X-Forwarded-For`` through a server
    that trusts one proxy gives each client its own address.
    """

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.headers = dict(headers or {})

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            all_headers = {**self.headers, **(headers or {})}
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.headers), data
        finally:
            connection.close()

    def get(self, path: str):
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]):
        body = urlencode(fields).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def form_tokens(self, path: str) -> dict[str, str]:
        """The hidden fields of the comment form: the form time, and the CSRF
        token when the page has one (a signed-in moderator's)."""
        status, _, html = self.get(path)
        assert status == 200
        text = html.decode()
        found = {
            name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', text)
            for name in ("csrf_token", "form_time")
        }
        return {name: match.group(1) for name, match in found.items() if match}

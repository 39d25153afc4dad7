"""A Redis for the tests: CI's (TEST_REDIS_URL), or a throwaway one on loopback."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.support.live_server import free_port

REDIS_SERVER = Path("/usr/bin/redis-server")


def wait_for_redis(url: str, seconds: float = 10) -> None:
    """Return once Redis at ``url`` answers PING (bounded wait)."""
    deadline = time.monotonic() + seconds
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        while True:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)
    finally:
        client.close()


@contextmanager
def redis_url() -> Iterator[str]:
    """Yield a Redis URL: TEST_REDIS_URL, or a redis-server started here.

    Without either, the test asking for it is skipped, saying why.
    """
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        wait_for_redis(url)
        yield url
        return
    if not REDIS_SERVER.exists():
        pytest.skip("needs Redis: set TEST_REDIS_URL or install redis-server (Debian package)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="blog-redis.") as workdir:
        process = subprocess.Popen(
            [str(REDIS_SERVER), "--bind", "127.0.0.1", "--port", str(port)]
            + ["--save", "", "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"redis://127.0.0.1:{port}/0"
            wait_for_redis(url)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

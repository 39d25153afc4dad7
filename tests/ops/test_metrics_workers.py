"""``/metrics`` under gunicorn: with ``PROMETHEUS_MULTIPROC_DIR`` every scrape adds
up every worker's requests, whichever worker answers it."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

from prometheus_client.parser import text_string_to_metric_families

from tests.support.live_server import Browser, gunicorn, init_database

REQUESTS = 40


def index_requests(text: str) -> tuple[float, ...]:
    """The index's 200s in one scrape: the value of each series that counts them."""
    return tuple(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "blog_http_requests_total"
        and sample.labels == {"endpoint": "reader.index", "status": "200"}
    )


def test_every_scrape_counts_every_workers_requests(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'metrics.sqlite3'}"
    init_database(database_url)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}
    with gunicorn(database_url, workers=2, env=env) as server:
        # A request left half-sent holds one worker (sync workers serve one
        # request at a time): the others all go to the second worker.
        held = socket.create_connection(("127.0.0.1", server.port))
        held.sendall(b"GET / HTTP/1.1\r\n")
        time.sleep(0.5)
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: Browser(server.port).get("/")[0], range(REQUESTS)))
        assert statuses == [200] * REQUESTS
        held.sendall(f"Host: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n".encode())
        assert held.recv(12) == b"HTTP/1.1 200"
        held.close()
        scrapes = []
        for _ in range(8):
            status, _headers, body = Browser(server.port).get("/metrics")
            assert status == 200
            scrapes.append(index_requests(body.decode()))
    assert scrapes == [(REQUESTS + 1,)] * 8
    # Each worker kept its counts in its own file.
    assert len(list((tmp_path / "prometheus").glob("counter_*.db"))) == 2

"""``/metrics``: what Prometheus scrapes, for loopback and the holder of ``METRICS_TOKEN``.

Each app has its own registry (the tests build many apps in one process).
Requests are counted as Flask answers them; what the database knows (the
outboxes, the queue) and the backups' age are read at scrape time, by a
collector, so every worker and host tells the same.

Under gunicorn each worker counts its own requests. With
``PROMETHEUS_MULTIPROC_DIR`` set (a folder of its own, emptied before
gunicorn starts), prometheus_client keeps the counts in files there and a
scrape adds up every worker's.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as prometheus_text
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from blog import signals
from blog.extensions import db
from blog.models import Comment, CommentStatus, MailMessage, WebhookDelivery, utcnow
from blog.ops.backup import backup_folder, backups_in, newest_backup_age

bp = Blueprint("ops", __name__)

EXTENSION = "blog_metrics"
STARTED = "metrics_started"
#: Headers a proxy in front adds: a request carrying one came through it,
#: from wherever, even though its connection comes from loopback.
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
#: Seconds, from a page served from memory to a slow moderation page.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OUTBOXES: dict[str, type[MailMessage] | type[WebhookDelivery]] = {
    "mail": MailMessage,
    "webhooks": WebhookDelivery,
}


class BlogMetrics:
    """The app's registry and the metrics counted as things happen."""

    def __init__(self, app: Flask) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "blog_http_requests",
            "HTTP requests answered by Flask, by endpoint and status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "blog_http_request_duration_seconds",
            "Time Flask took to answer, by endpoint",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.comments_stored = Counter(
            "blog_comments_stored",
            "New comments stored, by the status they were given",
            ["status"],
            registry=self.registry,
        )
        self.filter_decisions = Counter(
            "blog_filter_decisions",
            "New comments the spam defenses held or sent to Spam, by status",
            ["status"],
            registry=self.registry,
        )
        self.state = BlogState(app)
        self.registry.register(self.state)

    def scrape_registry(self) -> CollectorRegistry:
        """This app's registry, or every worker's counts and this state."""
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return self.registry
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(self.state)
        return registry


class BlogState(Collector):
    """What the database and the backup folder say, read at each scrape."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        with self.app.app_context():
            try:
                yield from self.database_state()
                up = 1.0
            except sa.exc.SQLAlchemyError:
                db.session.rollback()
                up = 0.0
            yield GaugeMetricFamily(
                "blog_database_up", "Whether this worker reached its database", value=up
            )
            yield from self.backup_state()
            page_server = self.app.extensions.get("page_server")
            if page_server is not None:
                yield CounterMetricFamily(
                    "blog_page_server_hits",
                    "Article pages this worker served from memory, before Flask",
                    value=page_server.hits,
                )

    def database_state(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "blog_outbox_backlog", "Messages waiting to be sent, by outbox", labels=["outbox"]
        )
        oldest = GaugeMetricFamily(
            "blog_outbox_oldest_age_seconds",
            "Age of the oldest message waiting, by outbox (0: none)",
            labels=["outbox"],
        )
        given_up = GaugeMetricFamily(
            "blog_outbox_given_up",
            "Messages no longer retried (MAIL_MAX_ATTEMPTS reached), by outbox",
            labels=["outbox"],
        )
        attempts = self.app.config["MAIL_MAX_ATTEMPTS"]
        now = utcnow()
        for name, model in OUTBOXES.items():
            unsent = sa.select(sa.func.count(), sa.func.min(model.created_at)).where(
                model.sent_at.is_(None)
            )
            count, first = db.session.execute(unsent.where(model.attempts < attempts)).one()
            backlog.add_metric([name], count)
            oldest.add_metric([name], (now - first).total_seconds() if first else 0.0)
            given_up.add_metric(
                [name], db.session.execute(unsent.where(model.attempts >= attempts)).one()[0]
            )
        pending = db.session.scalar(
            sa.select(sa.func.count()).where(Comment.status == CommentStatus.PENDING)
        )
        yield from (backlog, oldest, given_up)
        yield GaugeMetricFamily(
            "blog_comments_pending", "Comments waiting for a moderator", value=pending or 0
        )
        db.session.rollback()

    def backup_state(self) -> Iterator[Metric]:
        folder = backup_folder(self.app)
        yield GaugeMetricFamily(
            "blog_backups", "Backups in BACKUP_DIR", value=len(backups_in(folder))
        )
        age = newest_backup_age(folder)
        if age is not None:
            yield GaugeMetricFamily(
                "blog_backup_age_seconds", "Age of the newest backup in BACKUP_DIR", value=age
            )


def is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def may_read_metrics(remote_addr: str | None, headers: Any, config: Any) -> bool:
    """Loopback (not through a proxy), or the holder of ``METRICS_TOKEN``."""
    token = config.get("METRICS_TOKEN")
    if token:
        scheme, _, given = headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), str(token).encode()
        ):
            return True
    # Behind a proxy that ProxyFix does not read, every request comes from
    # loopback: the proxy's headers tell it came from elsewhere.
    proxied = not int(config["PROXY_FIX_X_FOR"]) and any(h in headers for h in PROXY_HEADERS)
    return is_loopback(remote_addr) and not proxied


@bp.get("/metrics")
def metrics() -> Response:
    """The metrics in Prometheus's text format; 404 to anyone else, as for any unknown page."""
    if not may_read_metrics(request.remote_addr, request.headers, current_app.config):
        abort(404)
    registry = current_app.extensions[EXTENSION].scrape_registry()
    response = Response(prometheus_text(registry), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def start_timer() -> None:
    g.setdefault(STARTED, time.perf_counter())


def count_request(response: Response) -> Response:
    metrics = current_app.extensions[EXTENSION]
    endpoint = request.url_rule.endpoint if request.url_rule else "none"
    metrics.requests.labels(endpoint, str(response.status_code)).inc()
    started = g.get(STARTED)
    if started is not None:
        metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
    return response


def count_stored_comment(_sender: Any, **extra: Any) -> None:
    """Count a new comment, and whether the spam defenses decided where it went."""
    metrics = current_app.extensions.get(EXTENSION)
    if metrics is None:
        return
    status = str(extra["status"])
    metrics.comments_stored.labels(status).inc()
    if extra.get("reasons"):
        metrics.filter_decisions.labels(status).inc()


def init_app(app: Flask) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    app.extensions[EXTENSION] = BlogMetrics(app)
    app.register_blueprint(bp)
    # First of all: the checks before it (a cross-site POST, a NUL in the
    # URL) answer too, and their time counts.
    app.before_request_funcs.setdefault(None, []).insert(0, start_timer)
    app.after_request(count_request)
    signals.comment_stored.connect(count_stored_comment)

"""``/metrics``: Prometheus's text for loopback and the token's holder, a 404 for
everyone else, with each app counting in a registry of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from blog import create_app
from blog.extensions import db
from blog.models import MailMessage, WebhookDelivery, utcnow
from tests.helpers import ARTICLE_URL, fresh_blog, soup

STRANGER = {"REMOTE_ADDR": "203.0.113.9"}
TOKEN = "un gettone lungo e casuale per Prometheus"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, **kwargs) -> dict:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    return samples(response.get_data(as_text=True))


def test_loopback_reads_every_metric(app, client, commenter):
    client.get("/")
    commenter.post(comment="Un commento da contare.")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    for name in (
        "blog_http_requests_total",
        "blog_http_request_duration_seconds",
        "blog_outbox_backlog",
        "blog_outbox_oldest_age_seconds",
        "blog_outbox_given_up",
        "blog_comments_pending",
        "blog_comments_stored_total",
        "blog_filter_decisions_total",
        "blog_database_up",
        "blog_backups",
        "blog_page_server_hits_total",
    ):
        assert f"\n# TYPE {name} " in text, name
    assert "\nblog_http_request_duration_seconds_bucket{" in text
    found = samples(text)
    assert found[("blog_http_requests_total", (("endpoint", "reader.index"), ("status", "200")))]
    assert found[
        ("blog_http_requests_total", (("endpoint", "reader.post_comment"), ("status", "303")))
    ]
    assert found[("blog_comments_pending", ())] == 1
    assert found[("blog_comments_stored_total", (("status", "pending"),))] == 1
    assert found[("blog_database_up", ())] == 1


def test_the_filters_decisions_the_outboxes_and_the_backups(app, client, commenter, tmp_path):
    app.config["COMMENT_DISALLOWED_KEYS"] = ["viagra"]
    app.config["BACKUP_DIR"] = str(tmp_path / "no-backups-yet")
    commenter.post(comment="Compra viagra qui.")
    commenter.post(comment="Un commento come tanti.")
    with app.app_context():
        now = utcnow()
        db.session.add(
            MailMessage(
                to_address="anna@example.it",
                subject="In attesa",
                body="…",
                created_at=now - timedelta(hours=1),
                next_attempt_at=now,
            )
        )
        db.session.add(
            WebhookDelivery(
                url="https://chat.example.it/hook",
                event="comment.approved",
                body="{}",
                attempts=app.config["MAIL_MAX_ATTEMPTS"],
                created_at=now,
                next_attempt_at=now,
            )
        )
        db.session.commit()
    found = scrape(client)
    assert found[("blog_filter_decisions_total", (("status", "spam"),))] == 1
    assert found[("blog_comments_stored_total", (("status", "spam"),))] == 1
    assert found[("blog_comments_stored_total", (("status", "pending"),))] == 1
    assert ("blog_filter_decisions_total", (("status", "pending"),)) not in found
    assert found[("blog_outbox_backlog", (("outbox", "mail"),))] == 1
    assert 3590 < found[("blog_outbox_oldest_age_seconds", (("outbox", "mail"),))] < 3700
    assert found[("blog_outbox_backlog", (("outbox", "webhooks"),))] == 0
    assert found[("blog_outbox_given_up", (("outbox", "webhooks"),))] == 1
    assert found[("blog_backups", ())] == 0
    assert ("blog_backup_age_seconds", ()) not in found


def test_the_newest_backups_age(app, client, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    assert app.test_cli_runner().invoke(args=["backup"]).exit_code == 0
    found = scrape(client)
    assert found[("blog_backups", ())] == 1
    assert 0 <= found[("blog_backup_age_seconds", ())] < 60


def test_articles_served_from_memory_are_counted(app, client):
    for _ in range(3):
        assert client.get(ARTICLE_URL).status_code == 200
    assert scrape(client)[("blog_page_server_hits_total", ())] >= 1


def test_anyone_else_gets_the_sites_404(client):
    response = client.get("/metrics", environ_base=STRANGER)
    assert response.status_code == 404
    assert soup(response).title == soup(client.get("/nessuna-pagina/x")).title
    assert b"blog_http_requests_total" not in response.get_data()


def test_loopback_through_a_proxy_the_app_does_not_read_is_refused(client):
    """nginx on the same host connects from 127.0.0.1 for every visitor."""
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        response = client.get("/metrics", headers={header: "203.0.113.9"})
        assert response.status_code == 404, header


def test_behind_proxy_fix_the_clients_own_address_counts(app_config):
    with fresh_blog(app_config, PROXY_FIX_X_FOR=1) as blog:
        client = blog.test_client()
        outside = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert outside.status_code == 404
        local = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
        assert local.status_code == 200


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
        (f"Bearer {TOKEN}x", 404),
        (f"Bearer {TOKEN[:-1]}", 404),
        ("Bearer ", 404),
        (f"Basic {TOKEN}", 404),
        (TOKEN, 404),
    ],
)
def test_the_token_opens_metrics_to_another_address(app, client, authorization, status):
    app.config["METRICS_TOKEN"] = TOKEN
    response = client.get(
        "/metrics", environ_base=STRANGER, headers={"Authorization": authorization}
    )
    assert response.status_code == status


def test_without_a_token_configured_no_bearer_opens_it(client):
    response = client.get("/metrics", environ_base=STRANGER, headers={"Authorization": "Bearer "})
    assert response.status_code == 404


def test_each_app_counts_in_its_own_registry(app, app_config, client):
    client.get("/")
    client.get("/")
    other = create_app(app_config)
    found = scrape(other.test_client())
    assert (
        "blog_http_requests_total",
        (("endpoint", "reader.index"), ("status", "200")),
    ) not in found
    assert (
        scrape(client)[
            ("blog_http_requests_total", (("endpoint", "reader.index"), ("status", "200")))
        ]
        == 2
    )
    with other.app_context():
        db.engine.dispose()

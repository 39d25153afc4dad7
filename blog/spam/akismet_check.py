"""The optional Akismet check (``AKISMET_KEY``), through the ``akismet`` package.

Off by default: Akismet is Automattic's service in the United States, and
when it is on, each comment's text, name, email, site, IP address and
browser are sent to it (the privacy note under the form then says so).
When it is on, a comment Akismet calls spam goes to Spam, with "Akismet"
in its history. When Akismet cannot be reached, or refuses the key, the
comment goes on as if the check were off, and the log says why: a
stranger's comment never waits on a service abroad for long
(``AKISMET_TIMEOUT``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import akismet
import httpx
from flask import Flask

from blog import messages
from blog.comments.values import Client, CommentText
from blog.models import CommentStatus
from blog.spam.rules import Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AkismetComment:
    """What Akismet is sent of a new comment."""

    text: CommentText
    client: Client
    is_reply: bool


class _ToEndpoint(httpx.BaseTransport):
    """Send the requests the ``akismet`` package makes to another endpoint.

    The package always addresses Akismet's own service; this is how an
    Akismet-compatible one (``AKISMET_API_URL``), or the tests' stand-in on
    127.0.0.1, is reached, with httpx's public transport API.
    """

    def __init__(self, base_url: str) -> None:
        self._base = httpx.URL(base_url)
        self._transport = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self._base.scheme, host=self._base.host, port=self._base.port
        )
        return self._transport.handle_request(request)

    def close(self) -> None:
        self._transport.close()


class AkismetCheck:
    """One Akismet client for the process; its key is checked on first use."""

    def __init__(
        self, key: str, site_url: str, api_url: str | None = None, timeout: float = 2.0
    ) -> None:
        self._config = akismet.Config(key=key, url=site_url)
        self._api_url = api_url
        self._timeout = timeout
        self._client: akismet.SyncClient | None = None
        self._key_refused = False
        self._lock = threading.Lock()

    def _http_client(self) -> httpx.Client:
        return httpx.Client(
            headers={"User-Agent": akismet.USER_AGENT},
            timeout=self._timeout,
            transport=_ToEndpoint(self._api_url) if self._api_url else None,
        )

    def _ready_client(self) -> akismet.SyncClient | None:
        """The client, its key verified once; None while Akismet refuses the key."""
        with self._lock:
            if self._client is None and not self._key_refused:
                try:
                    self._client = akismet.SyncClient.validated_client(
                        config=self._config, http_client=self._http_client()
                    )
                except akismet.APIKeyError:
                    # Checked once a process: a refused key will not be accepted later.
                    self._key_refused = True
                    log.error("Akismet refused AKISMET_KEY for %s: check is off", self._config.url)
            return self._client

    def check(self, comment: AkismetComment) -> Verdict | None:
        """Spam if Akismet says so; None if it does not, or cannot be asked."""
        try:
            client = self._ready_client()
            if client is None:
                return None
            text, sender = comment.text, comment.client
            found = client.comment_check(
                user_ip=sender.ip_address,
                user_agent=sender.user_agent,
                comment_type="reply" if comment.is_reply else "comment",
                comment_author=text.author,
                comment_author_email=text.email,
                comment_author_url=text.url,
                comment_content=text.body,
                blog_lang="it",
                blog_charset="UTF-8",
            )
        except (akismet.AkismetError, httpx.HTTPError) as error:
            log.warning("Akismet could not be asked, comment not checked: %s", error)
            return None
        if found:
            return Verdict(CommentStatus.SPAM, messages.AKISMET_REASON)
        return None


def register(app: Flask) -> None:
    """Set up the check when ``AKISMET_KEY`` is set; without it, nothing is sent anywhere."""
    key = app.config.get("AKISMET_KEY")
    if key:
        app.extensions["akismet"] = AkismetCheck(
            key,
            app.config["SITE_URL"],
            app.config.get("AKISMET_API_URL"),
            float(app.config["AKISMET_TIMEOUT"]),
        )

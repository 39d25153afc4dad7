"""gunicorn's access log, with the tokens of mail links cut out.

``gunicorn.conf.py`` names :class:`RedactingLogger` as its ``logger_class``.
gunicorn offers no hook for the log line itself; ``atoms()``, the public
method that gathers the values the ``access_log_format`` picks from, is
the one to override.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from blog.core.http import RedactLinkTokens, redact_link_tokens


class RedactingLogger(Logger):
    """gunicorn's logger, whose access-log values carry no mail-link token."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        # gunicorn's own errors ("Error handling request GET /email/…") too.
        self.error_log.addFilter(RedactLinkTokens())

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        """Redact every text value: the request line, path, referer, raw URI."""
        return {
            name: redact_link_tokens(value) if isinstance(value, str) else value
            for name, value in super().atoms(resp, req, environ, request_time).items()
        }

"""The request class (strict forms, a request id) and request-id logging."""

from __future__ import annotations

import io
import logging
import re
import uuid
from functools import cached_property
from typing import IO, Any, cast
from urllib.parse import parse_qsl

from flask import Flask, Request, Response, has_request_context, request
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter

#: The largest row id: PostgreSQL's ``integer``. An id from a request above
#: it names nothing, and would overflow the database driver.
MAX_ID = 2**31 - 1
#: The furthest page a listing opens; past it the offset alone would overflow.
MAX_PAGE = 1_000_000


class IdConverter(IntegerConverter):
    """``<int:…>`` in routes: a whole number the database can hold, else 404."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(*args, **kwargs)


def parse_id(raw: object) -> int | None:
    """Read a row id typed by a stranger: digits only, 1 to ``MAX_ID``; else None."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(MAX_ID)):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def refuse_nul_in_url() -> None:
    """A NUL in the path or the query string is a 400 before any view.

    No address of ours holds one, and PostgreSQL cannot compare text that
    does (it raises, which would be a 500). Form fields are the forms'
    business: they explain the refusal next to the field.
    """
    if (
        "\x00" in request.path
        or "\x00" in request.query_string.decode("latin-1")
        or any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True))
    ):
        raise BadRequest("NUL in the URL")


def page_number(raw: object) -> int:
    """Read a page number from the query string: 1 to ``MAX_PAGE``, 1 when unreadable."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 7:
        return 1
    return min(max(int(raw), 1), MAX_PAGE)


class StrictFormDataParser(FormDataParser):
    """Answer 400 to a form body that cannot be parsed or is not UTF-8.

    Werkzeug's own parser silently turns such a body into an empty form,
    which would then be blamed on the reader as "missing fields".
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["silent"] = False
        super().__init__(*args, **kwargs)

    def parse(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> Any:
        try:
            if mimetype == "application/x-www-form-urlencoded":
                # Werkzeug keeps percent-encoded bytes that are no UTF-8 as
                # "%FF" text; here they are an error. The body is at most
                # MAX_CONTENT_LENGTH, and is parsed again from memory.
                body = stream.read()
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
                stream = io.BytesIO(body)
            return super().parse(stream, mimetype, content_length, options)
        except ValueError as error:  # UnicodeDecodeError included
            raise BadRequest("malformed form body") from error


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class BlogRequest(Request):
    """Flask's request, with the strict form parser and an id for the logs."""

    form_data_parser_class = StrictFormDataParser

    @cached_property
    def id(self) -> str:
        """The proxy's X-Request-ID when it looks like one, else a new one."""
        incoming = self.headers.get("X-Request-ID", "")
        return incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def request_id() -> str:
    """Return the id of the current request."""
    # create_app makes BlogRequest the request class; Flask types `request`
    # as its own base class, which has no id.
    return cast(BlogRequest, request).id


class RequestIdFilter(logging.Filter):
    """Stamp every log record with the id of the request it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() if has_request_context() else "-"
        return True


#: The token of a link from mail (``/email/<page>/<token>``, a staff
#: invitation ``/admin/invite/<token>``, a password reset
#: ``/moderation/reset-password/<token>``): it acts without a login, so it
#: is a credential and stays out of every log. Slashes may come
#: percent-encoded in a raw request line.
_MAIL_LINK_TOKEN = re.compile(
    r"((?:/email(?:/|%2f)[\w-]+|/admin(?:/|%2f)invite|/moderation(?:/|%2f)reset-password)"
    r"(?:/|%2f))[^/?#\s\"]+",
    re.IGNORECASE,
)


def redact_link_tokens(text: str) -> str:
    """Replace the tokens of mail links in ``text`` with ``[token]``."""
    return _MAIL_LINK_TOKEN.sub(r"\1[token]", text)


class RedactLinkTokens(logging.Filter):
    """Cut the tokens of mail links out of a log record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed call: the handler reports it, as without us
        redacted = redact_link_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def setup_request_logging(app: Flask) -> None:
    """Log with request ids, and hand each id back in X-Request-ID."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO)
    # On the logger, not the handler: the record reaches every handler, and
    # those of the root logger (where it propagates), already redacted.
    # Child loggers pass as they are: without MAIL_SERVER, blog.notify.smtp writes
    # whole messages, links included, because that log is the mail.
    if not any(isinstance(f, RedactLinkTokens) for f in app.logger.filters):
        app.logger.addFilter(RedactLinkTokens())

    @app.after_request
    def send_request_id(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        return response

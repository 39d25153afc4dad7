"""The request class: malformed form bodies are refused, not read as empty."""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser


class StrictFormDataParser(FormDataParser):
    """Answer 400 to a form body that cannot be parsed or is not UTF-8.

    Werkzeug's own parser silently turns such a body into an empty form,
    which would then be blamed on the reader as "missing fields".
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["silent"] = False
        super().__init__(*args, **kwargs)

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().parse(*args, **kwargs)
        except ValueError as error:  # UnicodeDecodeError included
            raise BadRequest("malformed form body") from error

    def _parse_urlencoded(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        items = parse_qsl(
            stream.read().decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
        )
        return stream, self.cls(items), self.cls()


class BlogRequest(Request):
    """Flask's request, with the strict form parser."""

    form_data_parser_class = StrictFormDataParser

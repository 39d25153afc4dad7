"""What every template may use: machine dates, the messages, and compiled
templates shared by every app of the process."""

from __future__ import annotations

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from blog import messages
from blog.core import dates


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for every app this process builds.

    Jinja compiles a template once per environment, and each app has its
    own: a process that builds many apps (the test suite builds one per
    test) compiled the article page again each time, about 0.1 s. Jinja
    checks each entry against the template's source, so an edited template
    is compiled again.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


def init_app(app: Flask) -> None:
    """The ``iso`` date filter, the messages, the shared compiled code.

    Dates for people (``long_date``, ``long_datetime``) come with the
    language, from blog/core/i18n.py.
    """
    app.add_template_filter(dates.iso_datetime, "iso")
    app.jinja_env.globals["messages"] = messages
    app.jinja_env.bytecode_cache = TEMPLATE_CODE

"""The floor: a bare WSGI app returning fixed bytes, as fast as gunicorn allows.

gunicorn loads it as ``floor_app:app`` with FLOOR_BODY naming the file whose
bytes it serves (the article page as our app rendered it).
"""

import os

with open(os.environ["FLOOR_BODY"], "rb") as handle:
    BODY = handle.read()
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Length", str(len(BODY))),
]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]

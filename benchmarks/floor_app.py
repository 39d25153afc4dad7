"""The floor: a bare WSGI app returning fixed bytes, as fast as gunicorn allows.

gunicorn loads it as ``floor_app:app``. FLOOR_BODY names the file whose bytes
it serves (the article page as our app rendered it) and FLOOR_HEADERS, when
set, a JSON list of the headers our app sent with it, so that both servers
write the same response.
"""

import json
import os

with open(os.environ["FLOOR_BODY"], "rb") as handle:
    BODY = handle.read()
HEADERS = [("Content-Type", "text/html; charset=utf-8")]
if os.environ.get("FLOOR_HEADERS"):
    with open(os.environ["FLOOR_HEADERS"], encoding="utf-8") as handle:
        HEADERS = [(name, value) for name, value in json.load(handle)]
HEADERS.append(("Content-Length", str(len(BODY))))


def app(environ, start_response):
    start_response("200 OK", list(HEADERS))
    return [BODY]

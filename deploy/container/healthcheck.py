"""The container's health check: ``GET /healthz`` from gunicorn, exit 0 when it answers 200.

The request names SITE_URL's host: the app answers any other ``Host`` with 400.
"""

from __future__ import annotations

import http.client
import os
import sys
from urllib.parse import urlsplit


def gunicorn_address(bind: str) -> tuple[str, int]:
    """Where to reach gunicorn from inside the container, given ``GUNICORN_BIND``."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return host, int(port)


def main() -> int:
    host, port = gunicorn_address(os.environ.get("GUNICORN_BIND", "127.0.0.1:8000"))
    site = urlsplit(os.environ.get("SITE_URL", "")).netloc or "localhost"
    connection = http.client.HTTPConnection(host, port, timeout=4)
    try:
        connection.request("GET", "/healthz", headers={"Host": site})
        status = connection.getresponse().status
    except OSError as error:
        print(f"healthz: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    print(f"healthz: {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Run Debian's nginx on loopback with the config docs/operations.md deploys.

The files in ``deploy/nginx/`` are rendered, never rewritten by hand: the
production values (gunicorn's address, the static and cache directories,
the ports, the certificate) are swapped for the loopback ones, and a swap
whose text is missing fails loudly, so the files and their users cannot
drift. The nginx tests (``tests/support/nginx_server.py``) and the benchmark both
render through here; it imports nothing from the tests, nor pytest.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
NGINX = Path("/usr/sbin/nginx")
DEPLOY = PROJECT / "deploy" / "nginx"
SITE = DEPLOY / "blog.conf"
LOCATIONS = DEPLOY / "blog-locations.conf"

#: What the deployed files say, and what loopback puts in its place.
UPSTREAM = "http://127.0.0.1:8000"
STATIC_DIR = "/srv/blog/static/"
MEDIA_DIR = "/srv/blog/media/"
CACHE_DIR = "/var/cache/nginx-blog"
LOCATIONS_PATH = "/etc/nginx/snippets/blog-locations.conf"
CERTIFICATE = "/etc/letsencrypt/live/blog.example.it/fullchain.pem"
CERTIFICATE_KEY = "/etc/letsencrypt/live/blog.example.it/privkey.pem"


class ConfigDrift(RuntimeError):
    """The deployed config no longer holds a value the renderer swaps."""


def render(text: str, replacements: dict[str, str]) -> str:
    """Swap each production value for the loopback one; each must be there."""
    for old, new in replacements.items():
        if old not in text:
            raise ConfigDrift(f"{old!r} is no longer in the deployed nginx config")
        text = text.replace(old, new)
    return text


def cache_zone(site: str) -> str:
    """The ``proxy_cache_path`` directive of the site file."""
    match = re.search(r"^proxy_cache_path [^;]*;", site, re.MULTILINE)
    if match is None:
        raise ConfigDrift("no proxy_cache_path in the deployed nginx config")
    return match.group(0)


def main_config(work: Path, http_body: str) -> str:
    """An nginx.conf of its own: pid, logs and temp files under ``work``."""
    # Under root, workers would run as "nobody" and could not enter a
    # private temp directory.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\n"
        "worker_processes 1;\n"
        f"pid {work / 'nginx.pid'};\n"
        f"error_log {work / 'error.log'} warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        f"    access_log {work / 'access.log'};\n"
        f"{temp}\n"
        f"{http_body}\n"
        "}\n"
    )


def check_config(work: Path, config: Path) -> None:
    """Run ``nginx -t`` on ``config``; fail with nginx's own words."""
    result = subprocess.run(
        [str(NGINX), "-t", "-p", str(work), "-e", str(work / "error.log"), "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)


def render_locations(work: Path, upstream_port: int) -> Path:
    """The deployed locations, pointing at a loopback gunicorn, our static files,
    and ``work/media/`` for the uploaded images."""
    path = work / "blog-locations.conf"
    (work / "media").mkdir(parents=True, exist_ok=True)
    path.write_text(
        render(
            LOCATIONS.read_text(),
            {
                UPSTREAM: f"http://127.0.0.1:{upstream_port}",
                STATIC_DIR: f"{PROJECT}/static/",
                MEDIA_DIR: f"{work}/media/",
            },
        )
    )
    return path


def render_site(work: Path, upstream_port: int, ports: tuple[int, int], tls: tuple[Path, Path]):
    """The whole deployed site file, TLS included, on loopback ports."""
    plain, secure = ports
    certificate, key = tls
    site = render(
        SITE.read_text(),
        {
            "listen 80": f"listen 127.0.0.1:{plain}",
            "listen 443": f"listen 127.0.0.1:{secure}",
            CERTIFICATE: str(certificate),
            CERTIFICATE_KEY: str(key),
            LOCATIONS_PATH: str(render_locations(work, upstream_port)),
            CACHE_DIR: str(work / "cache"),
        },
    )
    config = work / "nginx.conf"
    config.write_text(main_config(work, site))
    return config


def render_plain(work: Path, upstream_port: int, port: int) -> Path:
    """The deployed cache zone and locations in one plain-HTTP server."""
    zone = render(cache_zone(SITE.read_text()), {CACHE_DIR: str(work / "cache")})
    locations = render_locations(work, upstream_port)
    server = (
        f"{zone}\n"
        "server {\n"
        f"    listen 127.0.0.1:{port};\n"
        "    server_name 127.0.0.1;\n"
        f"    include {locations};\n"
        "}"
    )
    config = work / "nginx.conf"
    config.write_text(main_config(work, server))
    return config


@contextmanager
def running(work: Path, config: Path, port: int) -> Iterator[subprocess.Popen]:
    """nginx in the foreground with ``config``, once it accepts on ``port``."""
    check_config(work, config)
    process = subprocess.Popen(
        [str(NGINX), "-p", str(work), "-e", str(work / "error.log"), "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("nginx did not start: " + (work / "error.log").read_text())
            time.sleep(0.05)
        yield process
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

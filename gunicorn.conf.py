"""Production defaults for ``gunicorn app:app`` (read automatically from here)."""

import multiprocessing
import os

# Behind a reverse proxy on the same host; override with GUNICORN_BIND.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each handles one request at a time, so use a few per core.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A request that takes longer than this is killed and its worker replaced.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak can never grow for long;
# rarely, though: a new worker loads the app and fills its page cache again,
# and at 5,000 requests a loaded worker was replaced every few seconds (the
# article page fell to 0.5-0.7x the floor; docs/performance.md).
max_requests = 50_000
max_requests_jitter = 5_000
# Access and error logs to standard output, for journald or the container.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%({x-request-id}o)s"'
# The one-click links in mail carry their authority in the path: every
# value the access log could show has their token replaced by "[token]".
# A dotted name, loaded after gunicorn has put the project on sys.path.
logger_class = "blog.web.access_log.RedactingLogger"
# Trust X-Forwarded-* (for the scheme) only from a proxy on this host.
forwarded_allow_ips = "127.0.0.1,::1"

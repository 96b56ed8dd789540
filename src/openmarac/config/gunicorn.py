"""gunicorn settings: `gunicorn -c python:openmarac.config.gunicorn openmarac.config.wsgi`.
Each value can be changed with gunicorn's own GUNICORN_CMD_ARGS or command line."""

import multiprocessing
import os

bind = os.environ.get("OPENMARAC_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("OPENMARAC_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
# Generating a case list PDF can take a while; nothing legitimate takes longer.
timeout = 60
graceful_timeout = 30
# Restart each worker now and then, so a slow leak never builds up.
max_requests = 2000
max_requests_jitter = 200
# The reverse proxy on the same machine (or the container network) sets X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("OPENMARAC_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log without the query string (%(U)s is the path only): a search may carry a
# name. JSON, like the application's own log.
accesslog = "-"
access_log_format = '{"logger": "gunicorn.access", "method": "%(m)s", "path": "%(U)s", "status_code": %(s)s, "duration_ms": %(M)s, "bytes": "%(B)s"}'
errorlog = "-"

"""gunicorn settings for the web app, from the environment (the container's defaults).

Threaded workers (gthread): a worker's threads serve its requests, and a connection takes a
thread only once it sends something, so a few clients that send their headers slowly hold a
thread each and no more. Request lines, headers and their number are bounded, and a worker
that stops answering its arbiter for `timeout` seconds is replaced.
"""

import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the project, whose logs.py is read
from gunicorn.http import wsgi

from logs import ACCESS_REQUEST_ID, dict_config

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
# Threads a worker: more than a handful of slow clients can hold at once (each holds one
# until its headers are complete); a worker's load tasks run on a pool of their own.
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
worker_connections = 1000  # open connections a worker keeps, kept-alive ones included
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # a silent worker is replaced
graceful_timeout = 30  # on a restart, what a worker may take to finish its requests
keepalive = 5  # seconds an idle connection is kept for its next request
limit_request_line = 4094  # bytes of the request line: method, path with query, version
limit_request_fields = 50  # headers a request may have
limit_request_field_size = 8190  # bytes of one header
accesslog = "-"
errorlog = "-"
# Every line, gunicorn's too, in LOG_FORMAT (json by default: one object a line).
logconfig_dict = dict_config(os.environ.get("LOG_FORMAT", "json").strip().lower() or "json")
logging.captureWarnings(True)  # warnings are log lines too
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms '
    f"request_id=%({ACCESS_REQUEST_ID})s"
)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")


def post_worker_init(worker: object) -> None:
    """The app's objects, loaded once, leave the garbage collector's scans: shorter pauses."""
    import gc

    gc.freeze()


_default_headers = wsgi.Response.default_headers


def _without_server(self: wsgi.Response) -> list[str]:
    """gunicorn's own headers but its Server banner: answers do not name the server."""
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server  # type: ignore[method-assign]

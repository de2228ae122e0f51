"""gunicorn settings for the web app, from the environment (the container's defaults)."""

import os

from gunicorn.http import wsgi

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
accesslog = "-"
errorlog = "-"
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

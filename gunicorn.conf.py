"""gunicorn settings for the web app, from the environment (the container's defaults)."""

import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the project, whose logs.py is read
from logs import ACCESS_REQUEST_ID, dict_config

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
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

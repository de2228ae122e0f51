"""The entry points: the WSGI app, the Celery app and `python main.py`.

`python main.py` serves the app; `celery -A main.celery_app worker` runs a load worker;
`flask --app main COMMAND` runs a command (see cli.py). What they are built of is in
bootstrap.py.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

import api
import cli
import logs
from bootstrap import build_services
from config import Settings
from infra.tasks.celery_queue import celery_init_app, make_celery

VERSION = "1.0.0"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    celery = None
    if settings.celery_broker_url:
        celery = make_celery(settings.celery_broker_url, settings.celery_visibility_timeout)
    services = build_services(settings, celery)
    app = Flask(__name__)
    app.config["VERSION"] = VERSION
    api.register(
        app,
        services,
        api_keys=settings.api_keys,
        max_upload_mb=settings.max_upload_mb,
        metrics_token=settings.metrics_token,
        rate_limit_per_caller=settings.rate_limit,
        rate_limit_storage=settings.rate_limit_storage,
        cors_origins=settings.cors_origins,
    )
    if celery is not None:
        celery_init_app(app, celery, services.loads.run, services.loads.keep_leases)
    cli.register_commands(app, settings, services)
    return app


def __getattr__(name: str) -> Any:
    """`main.app` for WSGI servers and `main.celery_app` for `celery -A`, built on first use."""
    if name == "app":
        return create_app()
    if name == "celery_app":
        settings = Settings.from_env()
        if not settings.celery_broker_url:
            raise RuntimeError("set CELERY_BROKER_URL to run a Celery worker")
        _log_celery_as(settings.log_format)
        return create_app(settings).extensions["celery"]
    raise AttributeError(name)


def _log_celery_as(log_format: str) -> None:
    """A worker logs as the web app does, from the start (its warnings included): Celery
    leaves logging to this receiver, which sets the level of its --loglevel."""
    from celery.signals import setup_logging

    def configure(loglevel: int | str | None = None, **_: Any) -> None:
        logs.configure(log_format, loglevel or "INFO")

    logs.configure(log_format)
    setup_logging.connect(configure, weak=False)


class _QuietRequestHandler(WSGIRequestHandler):
    """The development server's handler without a Server header (its name and versions)."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


USAGE = """\
python main.py             serve the API on HOST:PORT (default 127.0.0.1:8000) with Flask's
                           server, for a desk; in a container gunicorn serves "main:create_app()"
                           with gunicorn.conf.py
python main.py --help      this text

celery -A main.celery_app worker    run load tasks from the broker in CELERY_BROKER_URL
flask --app main --help             the commands: load, report, tasks, rejections, backup,
                                    backups, restore, check, create-containers

Settings come from the environment (or a .env file): DATABASE_URL (default SQLite in
instance/), CSV_SOURCE_DIR or AZURE_STORAGE_CONNECTION_STRING, BACKUP_DIR or
AZURE_BACKUP_CONTAINER, CELERY_BROKER_URL, API_KEYS, MAX_UPLOAD_MB, ... ; every one is
in the README's Settings table.
"""


if __name__ == "__main__":
    if any(arg in ("-h", "--help") for arg in sys.argv[1:]):
        print(USAGE, end="")
        sys.exit(0)
    settings = Settings.from_env()
    logs.configure(settings.log_format)
    logging.getLogger(__name__).warning(
        "this is the development server, for a desk: production serves with gunicorn "
        "(gunicorn --config gunicorn.conf.py 'main:create_app()', as the container does)"
    )
    create_app(settings).run(
        host=settings.host,
        port=settings.port,
        threaded=True,
        request_handler=_QuietRequestHandler,
    )

"""How the service's processes log: one JSON object a line (LOG_FORMAT=json, the default), or
plain text (LOG_FORMAT=text), each line with the id of the request being handled.

`python main.py` calls configure(); gunicorn takes dict_config() as its logconfig_dict
(gunicorn.conf.py); a Celery worker is configured through its setup_logging signal (main.py).
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

FORMATS = ("json", "text")
# gunicorn's access log line names the request id through this atom of its format.
ACCESS_REQUEST_ID = "{x-request-id}o"
_ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")  # colours (of werkzeug's lines) mean nothing in JSON
# The attributes every LogRecord has; any other is an extra, written as a field of its own.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "taskName"}
)


def current_request_id() -> str | None:
    """The id of the request this thread (or context) is handling, if any."""
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover - flask is a dependency of the service
        return None
    if has_request_context():
        found = g.get("request_id")
        return found if isinstance(found, str) else None
    return None


class RequestIdFilter(logging.Filter):
    """Gives each record the id of the request being handled (request_id, None outside one);
    gunicorn's access lines carry theirs in the X-Request-ID answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = current_request_id()
            if request_id is None and isinstance(record.args, Mapping):
                answered = record.args.get(ACCESS_REQUEST_ID)
                request_id = answered if isinstance(answered, str) and answered != "-" else None
            record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "message", "request_id", ...extras, "exc_info"} a line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _ANSI_STYLE.sub("", record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry:
                entry[name] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """time level logger [request id] message: for a person at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


def dict_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """The logging configuration: every logger's lines, gunicorn's too, through one handler
    on stderr in log_format, each with its request id."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}, "text": {"()": TextFormatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": sys.stderr,
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            name: {"level": level, "handlers": [], "propagate": True}
            for name in ("gunicorn.error", "gunicorn.access", "celery", "werkzeug", "py.warnings")
        },
    }


def configure(log_format: str, level: str | int = "INFO") -> None:
    """Send every log line of this process to stderr in log_format, warnings included."""
    name = level if isinstance(level, str) else logging.getLevelName(level)
    logging.config.dictConfig(dict_config(log_format, name))
    logging.captureWarnings(True)

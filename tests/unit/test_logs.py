"""Log lines as JSON (or text), each with the id of the request being handled."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from flask import Flask, g

import logs
from tests.conftest import PROJECT


def record(message="loaded %d rows", args=(3,), **extra) -> logging.LogRecord:
    made = logging.LogRecord("core.tasks", logging.INFO, "tasks.py", 1, message, args, None)
    for name, value in extra.items():
        setattr(made, name, value)
    return made


def test_a_json_line_has_its_time_level_logger_message_and_request_id():
    line = logs.JsonFormatter().format(record(request_id="req-7", task_id="t-1"))
    entry = json.loads(line)
    assert set(entry) == {"ts", "level", "logger", "message", "request_id", "task_id"}
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "INFO",
        "core.tasks",
        "loaded 3 rows",
    )
    assert (entry["request_id"], entry["task_id"]) == ("req-7", "t-1")
    assert entry["ts"].endswith("+00:00")
    assert "\n" not in line


def test_a_json_line_holds_the_traceback_and_any_text():
    try:
        raise ValueError("boom")
    except ValueError:
        made = logging.LogRecord(
            "api", logging.ERROR, "x.py", 1, "failed: %s", ("Zoë\n👋",), sys.exc_info()
        )
    entry = json.loads(logs.JsonFormatter().format(made))
    assert entry["message"] == "failed: Zoë\n👋"
    assert entry["request_id"] is None
    assert "ValueError: boom" in entry["exc_info"]


def test_colours_are_left_out_of_json_lines():
    styled = record("\x1b[33mPOST /batch/jobs HTTP/1.1\x1b[0m 404", ())
    assert (
        json.loads(logs.JsonFormatter().format(styled))["message"]
        == "POST /batch/jobs HTTP/1.1 404"
    )


def test_the_filter_gives_the_request_id_of_the_request_being_handled():
    app = Flask(__name__)
    id_filter = logs.RequestIdFilter()
    outside = record()
    id_filter.filter(outside)
    assert outside.request_id is None
    with app.test_request_context():
        g.request_id = "req-42"
        inside = record()
        assert id_filter.filter(inside)
    assert inside.request_id == "req-42"


def test_gunicorn_access_lines_carry_the_request_id_answered():
    atoms = {logs.ACCESS_REQUEST_ID: "req-9", "s": "200"}
    access = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(s)s", (atoms,), None)
    logs.RequestIdFilter().filter(access)
    assert access.request_id == "req-9"
    none = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(s)s", ({"s": "-"},), None)
    logs.RequestIdFilter().filter(none)
    assert none.request_id is None


def test_a_text_line_names_the_request_or_a_dash():
    text = logs.TextFormatter()
    assert text.format(record(request_id="req-1")).endswith("INFO core.tasks [req-1] loaded 3 rows")
    assert "[-]" in text.format(record())


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of json, text"):
        logs.dict_config("xml")


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_configure_sends_every_logger_to_stderr_in_the_format(log_format):
    script = (
        "import logging, logs; "
        f"logs.configure({log_format!r}); "
        "logging.getLogger('werkzeug').info('served'); "
        "logging.getLogger('core.tasks').warning('slow %s', 'load'); "
        "logging.getLogger('noisy').debug('hidden')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    if log_format == "json":
        entries = [json.loads(line) for line in lines]
        assert [(e["logger"], e["level"], e["message"]) for e in entries] == [
            ("werkzeug", "INFO", "served"),
            ("core.tasks", "WARNING", "slow load"),
        ]
    else:
        assert lines[1].endswith("WARNING core.tasks [-] slow load")

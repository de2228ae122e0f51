"""Request ids over HTTP: kept or made, echoed, in every log line written while the request
is handled and in its audit row; the log lines of the service's processes as JSON."""

from __future__ import annotations

import io
import json
import logging
import sys
import urllib.request
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

import logs
from core.ports import TaskRecord
from main import create_app
from tests.live_server import free_port, running

REQUEST_ID = {"X-Request-ID": "client-7f3a"}


def made(value: str) -> bool:
    try:
        return uuid.UUID(value).version == 4
    except ValueError:
        return False


def test_an_incoming_request_id_is_kept_and_echoed(client):
    response = client.get("/departments", headers=REQUEST_ID)
    assert response.headers["X-Request-ID"] == "client-7f3a"
    longest = "r" * 127 + "!"
    assert (
        client.get("/health", headers={"X-Request-ID": longest}).headers["X-Request-ID"] == longest
    )


def test_a_request_without_one_is_given_a_new_one(client):
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]
    assert made(first) and made(second) and first != second


@pytest.mark.parametrize("bad", ["r" * 129, "caf\u00e9", "tab\there", " padded", ""])
def test_a_request_id_too_long_or_not_printable_is_replaced(client, bad):
    echoed = client.get("/health", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
    assert echoed != bad and made(echoed)


def test_every_answer_has_one_errors_and_refusals_too(settings):
    app = create_app(replace(settings, api_keys=("secret",)))
    try:
        client = app.test_client()
        for response in (
            client.post("/batch/jobs", json={"rows": []}, headers=REQUEST_ID),  # 401
            client.get("/nowhere", headers=REQUEST_ID),
            client.get("/jobs?per_page=1000", headers=REQUEST_ID),
        ):
            assert response.status_code in (400, 401, 404)
            assert response.headers["X-Request-ID"] == "client-7f3a"
    finally:
        app.extensions["hr_services"].close()


def test_the_audit_row_has_the_request_id(client):
    client.post(
        "/batch/departments", json={"rows": [{"id": 1, "department": "A"}]}, headers=REQUEST_ID
    )
    (row,) = [r for r in client.get("/audit").json["items"] if r["action"] == "batch"]
    assert row["request_id"] == "client-7f3a"
    reads = client.get("/audit?action=read_audit").json["items"]
    assert all(made(r["request_id"]) for r in reads)


@pytest.fixture
def log_lines():
    """The lines the service logs while the test runs, as the JSON formatter writes them."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in out.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def test_every_line_logged_while_a_request_is_handled_has_its_id(
    app, client, log_lines, monkeypatch
):
    store = app.extensions["hr_services"].loads.store
    parked = TaskRecord(str(uuid.uuid4()), "jobs", "jobs.csv", created_at=datetime.now(UTC))
    store.create(parked)
    assert client.post(f"/task/{parked.id}/cancel", headers=REQUEST_ID).status_code == 200
    batches = app.extensions["hr_services"].batches
    monkeypatch.setattr(batches, "insert", lambda *a: 1 / 0)
    broken = client.post(
        "/batch/jobs", json={"rows": [{"id": 1, "job": "x"}]}, headers={"X-Request-ID": "req-500"}
    )
    assert broken.status_code == 500
    lines = log_lines()
    cancelled = [e for e in lines if e["message"] == f"load task {parked.id} cancelled"]
    assert [e["request_id"] for e in cancelled] == ["client-7f3a"]
    (failure,) = [e for e in lines if e["message"] == "unexpected error"]
    assert failure["request_id"] == "req-500"
    assert "ZeroDivisionError" in failure["exc_info"]
    during = [e for e in lines if e["request_id"] is not None]
    assert {e["request_id"] for e in during} <= {"client-7f3a", "req-500"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_python_main_logs_json_lines_with_request_ids(tmp_path, settings):
    port = free_port()
    env = {
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATABASE_URL": settings.database_url,
        "CSV_SOURCE_DIR": str(settings.csv_source_dir),
        "BACKUP_DIR": str(settings.backup_dir),
        "LOG_FORMAT": "json",
    }
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with running([sys.executable, "main.py"], env, f"{url}/health", log):
        failing = urllib.request.Request(
            f"{url}/task/no-such-task/cancel", method="POST", headers=REQUEST_ID
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(failing, timeout=10)
        assert refused.value.headers["X-Request-ID"] == "client-7f3a"
    lines = log.read_text().splitlines()
    # Flask prints its banner itself; every line logged is a JSON object
    logged = [line for line in lines if not line.startswith(" * ")]
    entries = [json.loads(line) for line in logged]
    assert {"ts", "level", "logger", "message", "request_id"} <= set(entries[0])
    assert any(
        e["logger"] == "werkzeug" and "POST /task/no-such-task/cancel" in e["message"]
        for e in entries
    )

"""A Celery worker logs as the web app does: one JSON object a line (LOG_FORMAT=json). Started
with --quiet, as docker-compose.yml starts it, it prints no banner either."""

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from main import create_app
from tests.conftest import PROJECT, wait_for_task
from tests.live_server import stop

pytestmark = [pytest.mark.redis]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_worker_logs_json_lines(settings, redis_url, tmp_path):
    settings = replace(settings, celery_broker_url=redis_url)
    app = create_app(settings)
    env = {
        "DATABASE_URL": settings.database_url,
        "CELERY_BROKER_URL": redis_url,
        "CSV_SOURCE_DIR": str(settings.csv_source_dir),
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "main.celery_app", "--quiet", "worker"]
    command += ["--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    try:
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=PROJECT, env={**os.environ, **env}, stdout=out, stderr=out
            )
        try:
            accepted = app.test_client().post("/upload/jobs")
            task = wait_for_task(app.test_client(), accepted.json["task_id"], timeout=60)
            assert task["state"] == "SUCCESS", log.read_text()
        finally:
            stop(process)
    finally:
        app.extensions["hr_services"].close()
    lines = [
        line
        for line in log.read_text().splitlines()
        # Celery prints (not logs) this as it stops
        if line.strip() and not line.startswith("worker: Warm shutdown")
    ]
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a line of the worker's log is not JSON: {line!r}")
    assert any(
        e["logger"] == "celery.app.trace" and e["message"].startswith("Task hr.load[")
        for e in entries
    )
    assert all({"ts", "level", "logger", "message", "request_id"} <= set(e) for e in entries)

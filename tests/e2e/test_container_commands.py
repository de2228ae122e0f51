"""The commands the container image runs, run here directly: gunicorn serving the app,
the image's HEALTHCHECK, and the storage set-up command of docker-compose.yml."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from azure.storage.blob import ContainerClient

from tests.conftest import PROJECT, SAMPLE_DIR
from tests.live_server import free_port, running

SCRIPTS = Path(sys.executable).parent


def call(url: str, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def healthcheck_command() -> list[str]:
    """The Dockerfile's HEALTHCHECK command, with this interpreter as `python`."""
    lines = (PROJECT / "Dockerfile").read_text().splitlines()
    line = next(text.strip() for text in lines if text.strip().startswith('CMD ["python"'))
    command: list[str] = json.loads(line[len("CMD ") :])
    return [sys.executable, *command[1:]]


def test_gunicorn_serves_the_app_and_the_healthcheck_passes(tmp_path, source_dir):
    port = free_port()
    env = {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
        "CSV_SOURCE_DIR": str(source_dir),
    }
    base = f"http://127.0.0.1:{port}"
    with running(
        [str(SCRIPTS / "gunicorn"), "main:create_app()"],
        env,
        f"{base}/health",
        tmp_path / "gunicorn.log",
    ):
        assert call(f"{base}/health/ready")[0] == 200
        status, accepted = call(f"{base}/upload-files", "POST")
        assert status == 202
        deadline = time.monotonic() + 60
        while (task := call(base + accepted["status_url"])[1])["state"] not in (
            "SUCCESS",
            "FAILURE",
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert task["state"] == "SUCCESS"
        expected = json.loads((SAMPLE_DIR / "expected.json").read_text())
        assert (
            task["result"]["tables"]["hired_employees"]["inserted"]
            == expected["hired_employees"]["inserted"]
        )
        command = healthcheck_command()
        assert subprocess.run(command, env={"PORT": str(port)}, timeout=10).returncode == 0
    assert (
        subprocess.run(command, env={"PORT": str(port)}, timeout=10, capture_output=True).returncode
        != 0
    )
    log = (tmp_path / "gunicorn.log").read_text()
    assert len(set(re.findall(r"Booting worker with pid: (\d+)", log))) == 2


def test_gunicorn_logs_every_line_as_json_with_the_request_id(tmp_path, source_dir):
    port = free_port()
    env = {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
        "CSV_SOURCE_DIR": str(source_dir),
        "LOG_FORMAT": "json",
    }
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with running([str(SCRIPTS / "gunicorn"), "main:create_app()"], env, f"{base}/health", log):
        request = urllib.request.Request(
            f"{base}/departments", headers={"X-Request-ID": "gunicorn-req-1"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["X-Request-ID"] == "gunicorn-req-1"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(
        e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in entries
    )
    (access,) = [e for e in entries if "GET /departments" in e["message"]]
    assert (access["logger"], access["request_id"]) == ("gunicorn.access", "gunicorn-req-1")


@pytest.mark.azurite
def test_the_storage_set_up_command_creates_the_container_with_the_sample_files(
    tmp_path, azurite_connection_string
):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "AZURE_STORAGE_CONNECTION_STRING": azurite_connection_string,
        "AZURE_STORAGE_CONTAINER": "setup-test",
        "AZURE_BACKUP_CONTAINER": "setup-test-backups",
    }
    command = [
        str(SCRIPTS / "flask"),
        "--app",
        "main:create_app",
        "create-containers",
        "--with-sample-data",
    ]
    first = subprocess.run(
        command, cwd=PROJECT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0, first.stderr
    assert "container setup-test: created" in first.stdout
    assert "backup container setup-test-backups: created" in first.stdout
    again = subprocess.run(
        command, cwd=PROJECT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )
    assert "container setup-test: exists" in again.stdout
    assert "backup container setup-test-backups: exists" in again.stdout
    assert "the sample files are in the CSV source already" in again.stdout
    container = ContainerClient.from_connection_string(azurite_connection_string, "setup-test")
    names = sorted(b.name for b in container.list_blobs())
    assert names == ["departments.csv", "hired_employees.csv", "jobs.csv"]
    assert container.download_blob("jobs.csv").readall() == (SAMPLE_DIR / "jobs.csv").read_bytes()
    container.delete_container()
    ContainerClient.from_connection_string(
        azurite_connection_string, "setup-test-backups"
    ).delete_container()

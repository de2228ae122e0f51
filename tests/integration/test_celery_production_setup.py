"""The production setup on real services: CSV files in Azure Blob (Azurite), loads on a
Celery worker process through Redis, rows in PostgreSQL."""

import io
import os
import signal
import time
from pathlib import Path

import pytest

from config import Settings
from main import create_app
from tests.celery_worker import start_worker, stop, worker
from tests.conftest import CHALLENGE_DIR, unavailable, wait_for_task
from tests.expected import expected_from_files

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.azurite]


def env_of(settings: Settings) -> dict[str, str]:
    env = {
        "DATABASE_URL": settings.database_url,
        "CELERY_BROKER_URL": settings.celery_broker_url or "",
        "CELERY_VISIBILITY_TIMEOUT": str(settings.celery_visibility_timeout),
        "CSV_SOURCE_DIR": str(settings.csv_source_dir),
        "TASK_LEASE_SECONDS": str(settings.task_lease_seconds),
    }
    if settings.azure_storage_connection_string:
        env["AZURE_STORAGE_CONNECTION_STRING"] = settings.azure_storage_connection_string
        env["AZURE_STORAGE_CONTAINER"] = settings.azure_storage_container
    return {**env, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def app_and_settings(
    tmp_path, postgres_database, redis_url, azurite_connection_string, blob_container
):
    settings = Settings(
        database_url=postgres_database,
        csv_source_dir=tmp_path,
        backup_dir=tmp_path / "backups",
        azure_storage_connection_string=azurite_connection_string,
        azure_storage_container=blob_container.container_name,
        celery_broker_url=redis_url,
    )
    app = create_app(settings)
    yield app, settings
    app.extensions["hr_services"].close()


def test_historical_files_from_blob_storage_through_a_worker_into_postgresql(
    app_and_settings, blob_container, tmp_path
):
    app, settings = app_and_settings
    folder = CHALLENGE_DIR / "crlf"
    if not folder.is_dir():
        unavailable(f"the historical files are not at {folder}")
    for name in ("departments.csv", "jobs.csv", "hired_employees.csv"):
        blob_container.upload_blob(name, (folder / name).read_bytes())
    expected = expected_from_files(folder)
    client = app.test_client()
    assert client.get("/health/ready").json["checks"] == {
        "database": "ok",
        "csv_source": "ok",
        "backup_store": "ok",
        "task_queue": "ok",
    }
    with worker(env_of(settings), tmp_path / "worker.log"):
        accepted = client.post("/upload-files")
        assert accepted.status_code == 202
        task = wait_for_task(client, accepted.json["task_id"], timeout=120)
        assert task["state"] == "SUCCESS", task["error"] or (tmp_path / "worker.log").read_text()
        tables = task["result"]["tables"]
        assert [tables[t]["inserted"] for t in ("departments", "jobs", "hired_employees")] == [
            12,
            183,
            1929,
        ]
        assert tables["hired_employees"]["rejected"] == 70
        assert client.get("/report/hired-by-quarter").json["rows"] == expected["by_quarter"]
        assert client.get("/report/hiring-above-average").json["rows"] == expected["above"]

        upload = client.post(
            "/upload/jobs",
            data={"file": (io.BytesIO(b"9001,Night Porter\n9002,\n"), "new.csv")},
            content_type="multipart/form-data",
        )
        done = wait_for_task(client, upload.json["task_id"], timeout=60)
    assert blob_container.download_blob(done["source"]).readall() == b"9001,Night Porter\n9002,\n"
    assert (done["result"]["inserted"], done["result"]["rejected"]) == (1, 1)


def write_large_files(folder: Path, employees: int) -> None:
    (folder / "departments.csv").write_text("".join(f"{i},Department {i}\n" for i in range(1, 13)))
    (folder / "jobs.csv").write_text("".join(f"{i},Job {i}\n" for i in range(1, 184)))
    with (folder / "hired_employees.csv").open("w") as out:
        for i in range(1, employees + 1):
            job = "" if i % 100 == 0 else str(i % 183 + 1)
            out.write(f"{i},Person {i},2021-{i % 12 + 1:02d}-15T10:00:00Z,{i % 12 + 1},{job}\n")


def test_a_load_whose_worker_is_killed_finishes_once_on_another_worker(
    tmp_path, postgres_database, redis_url
):
    employees = 300_000
    write_large_files(tmp_path, employees)
    settings = Settings(
        database_url=postgres_database,
        csv_source_dir=tmp_path,
        backup_dir=tmp_path / "backups",
        celery_broker_url=redis_url,
        celery_visibility_timeout=3,
        task_lease_seconds=3,
    )
    app = create_app(settings)
    client = app.test_client()
    log = tmp_path / "workers.log"
    try:
        for table in ("departments", "jobs"):
            with worker(env_of(settings), log):
                wait_for_task(client, client.post(f"/upload/{table}").json["task_id"], timeout=60)
        first = start_worker(env_of(settings), log, "first")
        try:
            task_id = client.post("/upload/hired_employees").json["task_id"]
            deadline = time.monotonic() + 60
            while client.get(f"/task-status/{task_id}").json["progress"]["rows_read"] < 10_000:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        killed_at = client.get(f"/task-status/{task_id}").json
        assert killed_at["state"] == "STARTED"
        assert killed_at["progress"]["rows_read"] < employees

        # The killed worker's lease runs out 3 s after its last renewal; Redis gives the
        # unacknowledged task back once its visibility timeout has passed (a worker looks
        # for such tasks as it starts), and a worker that starts queues again the tasks
        # whose leases ran out: either way the next worker takes the task over, once.
        time.sleep(max(settings.celery_visibility_timeout, settings.task_lease_seconds) + 1)
        second = start_worker(env_of(settings), log, "second")
        try:
            task = wait_for_task(client, task_id, timeout=300)
        finally:
            stop(second)
        assert (task["state"], task["attempts"]) == ("SUCCESS", 2), task["error"]
        result = task["result"]
        rejected = employees // 100
        assert result["processed"] == employees
        assert result["rejected"] == rejected
        assert result["inserted"] + result["already_exists"] == employees - rejected
        assert result["already_exists"] > 0  # rows the killed worker had committed
        assert client.get("/hired-employees?per_page=1").json["total"] == employees - rejected
        assert client.get(f"/rejections?task_id={task_id}").json["total"] == rejected
    finally:
        app.extensions["hr_services"].close()


def test_a_large_file_is_split_over_two_workers_with_true_line_numbers(
    tmp_path, postgres_database, redis_url
):
    write_large_files(tmp_path, 60_000)
    bad_lines = {i for i in range(1, 60_001) if i % 100 == 0}  # line = id: no header
    settings = Settings(
        database_url=postgres_database,
        csv_source_dir=tmp_path,
        backup_dir=tmp_path / "backups",
        celery_broker_url=redis_url,
        load_part_mb=0.5,
    )
    app = create_app(settings)
    client = app.test_client()
    env = {**env_of(settings), "LOAD_PART_MB": "0.5"}
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first, second = start_worker(env, logs[0], "first"), start_worker(env, logs[1], "second")
    try:
        for table in ("departments", "jobs"):
            wait_for_task(client, client.post(f"/upload/{table}").json["task_id"], timeout=60)
        task_id = client.post("/upload/hired_employees").json["task_id"]
        task = wait_for_task(client, task_id, timeout=300)
    finally:
        stop(first)
        stop(second)
        app.extensions["hr_services"].close()
    assert task["state"] == "SUCCESS", task["error"]
    result = task["result"]
    assert result["parts"] >= 5
    assert (result["processed"], result["inserted"], result["rejected"]) == (60_000, 59_400, 600)
    assert [r["line"] for r in result["rejections"]] == sorted(bad_lines)[:100]
    assert task["progress"]["rows_read"] == 60_000
    parts_done = [log.read_text().count("Task hr.load[") for log in logs]
    assert all(n >= 2 for n in parts_done), parts_done  # each worker received and ran parts

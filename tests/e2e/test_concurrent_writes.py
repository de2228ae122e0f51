"""Writes side by side, on SQLite and PostgreSQL: batches that overlap, restores beside batches
and loads. After each scenario the hire counts the reports read equal the employees stored."""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core.consistency import hire_count_differences
from core.ports import TaskRecord
from infra.db.engine import make_engine
from infra.db.unit_of_work import SqlUnitOfWork
from main import create_app
from tests.conftest import wait_for_task
from tests.live_server import free_port, running

CLIENTS = 20
WINDOW = 1000
OVERLAP = 950


def employee(i: int, name: str | None = None) -> dict[str, Any]:
    return {
        "id": i,
        "name": name or f"Employee {i}",
        "datetime": f"2021-{i % 12 + 1:02d}-{i % 28 + 1:02d}T{i % 24:02d}:15:00Z",
        "department_id": i % 3 + 1,
        "job_id": i % 2 + 1,
    }


def services(app: Flask) -> Any:
    return app.extensions["hr_services"]


def differences(app: Flask) -> list[Any]:
    return services(app).consistency.hire_count_differences()


@pytest.fixture
def quick_app(settings) -> Iterator[Flask]:
    """The app with writes waiting at most 0.3 s for a restore."""
    application = create_app(dataclasses.replace(settings, lock_wait_seconds=0.3))
    application.testing = True
    yield application
    services(application).close()


def with_references(app: Flask) -> None:
    client = app.test_client()
    departments = [{"id": i, "department": f"Dept {i}"} for i in (1, 2, 3)]
    assert client.post("/batch/departments", json={"rows": departments}).status_code == 200
    jobs = [{"id": i, "job": f"Job {i}"} for i in (1, 2)]
    assert client.post("/batch/jobs", json={"rows": jobs}).status_code == 200


def stored_ids(app: Flask) -> set[int]:
    with services(app).backups.uow_factory() as uow:
        return uow.rows.ids("hired_employees")


Post = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


def send_overlapping_batches(post: Post) -> list[tuple[int, dict[str, Any]]]:
    """20 clients at once, each a window of 1000 ids overlapping the next by 950; every
    seventh id carries the client's own name, a conflict unless it stored that id first."""
    barrier = threading.Barrier(CLIENTS)

    def send(k: int) -> tuple[int, dict[str, Any]]:
        first = 1 + k * (WINDOW - OVERLAP)
        rows = [
            employee(i, f"Client {k}" if i % 7 == 0 else None) for i in range(first, first + WINDOW)
        ]
        barrier.wait()
        return post("/batch/hired_employees", {"rows": rows})

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(send, range(CLIENTS)))


def check_overlapping_answers(answers: list[tuple[int, dict[str, Any]]], stored: set[int]) -> None:
    assert [status for status, _ in answers] == [200] * CLIENTS
    distinct = (CLIENTS - 1) * (WINDOW - OVERLAP) + WINDOW
    for _, body in answers:
        assert body["processed"] == WINDOW
        assert body["inserted"] + body["already_exists"] + body["rejected"] == WINDOW
        assert {r["reason"] for r in body["rejections"]} <= {"conflict"}
        assert len(body["rejections"]) == body["rejected"]
    assert sum(body["inserted"] for _, body in answers) == distinct
    assert stored == set(range(1, distinct + 1))
    # each id divisible by 7 is sent by every client whose window holds it; all but the
    # one that stored it conflict
    sent_by = dict.fromkeys(range(7, distinct + 1, 7), 0)
    for k in range(CLIENTS):
        first = 1 + k * (WINDOW - OVERLAP)
        for i in range(first, first + WINDOW):
            if i % 7 == 0:
                sent_by[i] += 1
    assert sum(body["rejected"] for _, body in answers) == sum(n - 1 for n in sent_by.values())


def test_twenty_clients_sending_overlapping_batches_all_get_a_true_summary(app):
    with_references(app)

    def post(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = app.test_client().post(path, json=body)
        return response.status_code, response.json

    check_overlapping_answers(send_overlapping_batches(post), stored_ids(app))
    assert differences(app) == []


def test_twenty_clients_sending_overlapping_batches_to_gunicorn(settings, tmp_path):
    port = free_port()
    env = {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "DATABASE_URL": settings.database_url,
        "CSV_SOURCE_DIR": str(settings.csv_source_dir),
    }
    base = f"http://127.0.0.1:{port}"

    def post(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            base + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    with running(
        [str(Path(sys.executable).parent / "gunicorn"), "main:create_app()"],
        env,
        f"{base}/health",
        tmp_path / "gunicorn.log",
    ):
        departments = [{"id": i, "department": f"Dept {i}"} for i in (1, 2, 3)]
        assert post("/batch/departments", {"rows": departments})[0] == 200
        assert (
            post("/batch/jobs", {"rows": [{"id": i, "job": f"Job {i}"} for i in (1, 2)]})[0] == 200
        )
        answers = send_overlapping_batches(post)
    engine = make_engine(settings.database_url)
    try:
        with SqlUnitOfWork(engine) as uow:
            stored = uow.rows.ids("hired_employees")
        check_overlapping_answers(answers, stored)
        assert hire_count_differences(partial(SqlUnitOfWork, engine)) == []
    finally:
        engine.dispose()


def test_a_restore_beside_batches_leaves_every_count_true(quick_app):
    app = quick_app
    with_references(app)
    client = app.test_client()
    for first in range(1, 2001, 1000):
        rows = [employee(i) for i in range(first, first + 1000)]
        assert client.post("/batch/hired_employees", json={"rows": rows}).status_code == 200
    assert client.post("/backup/hired_employees").status_code == 201

    stop = threading.Event()
    answers: list[tuple[float, int, dict[str, Any], list[int]]] = []

    def keep_sending() -> None:
        sender, next_id = app.test_client(), 10_001
        while not stop.is_set():
            ids = list(range(next_id, next_id + 200))
            next_id += 200
            response = sender.post(
                "/batch/hired_employees", json={"rows": [employee(i) for i in ids]}
            )
            answers.append((time.monotonic(), response.status_code, response.json, ids))
            if response.status_code == 409:
                assert response.headers["Retry-After"] == "10"

    thread = threading.Thread(target=keep_sending)
    thread.start()
    try:
        restored_at = []
        for _ in range(3):
            time.sleep(0.2)
            response = client.post("/restore/hired_employees")
            assert response.status_code == 200, response.json
            assert response.json["rows"] == 2000
            restored_at.append(time.monotonic())
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()

    assert {status for _, status, _, _ in answers} <= {200, 409}
    assert all(b["error"]["code"] == "restore_in_progress" for _, s, b, _ in answers if s == 409)
    after_last = [ids for at, status, _, ids in answers if status == 200 and at > restored_at[-1]]
    assert after_last, "no batch was answered after the last restore"
    stored = stored_ids(app)
    assert set(range(1, 2001)) <= stored
    for ids in after_last:
        assert set(ids) <= stored
    batch_ids = {i for _, status, _, ids in answers if status == 200 for i in ids}
    assert stored - set(range(1, 2001)) <= batch_ids
    assert differences(app) == []


def test_a_batch_that_meets_a_long_restore_is_a_409_and_writes_nothing(quick_app):
    app = quick_app
    with_references(app)
    client = app.test_client()
    with services(app).backups.uow_factory(exclusive=True):
        response = client.post("/batch/hired_employees", json={"rows": [employee(1)]})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "restore_in_progress"
    assert response.headers["Retry-After"] == "10"
    assert stored_ids(app) == set()
    assert client.get("/rejections").json["total"] == 0


def test_a_load_that_meets_a_restore_waits_for_it_and_its_result_stays_true(quick_app):
    app = quick_app
    client = app.test_client()
    done = client.post("/upload/departments")
    assert wait_for_task(client, done.json["task_id"])["state"] == "SUCCESS"
    done = client.post("/upload/jobs")
    assert wait_for_task(client, done.json["task_id"])["state"] == "SUCCESS"
    task_id = client.post("/upload/hired_employees").json["task_id"]
    with services(app).backups.uow_factory(exclusive=True) as uow:
        time.sleep(1.0)  # several waits of 0.3 s for the restore's hold
        assert client.get(f"/task-status/{task_id}").json["state"] in ("PENDING", "STARTED")
        assert uow.rows.ids("hired_employees") == set()
    status = wait_for_task(client, task_id)
    assert status["state"] == "SUCCESS", status
    assert status["result"]["inserted"] == len(stored_ids(app)) > 0
    assert differences(app) == []


def test_a_restore_under_a_running_load_is_refused_with_the_task_named(client, app):
    with_references(app)
    assert client.post("/backup/departments").status_code == 201
    running = TaskRecord(
        id="11111111-2222-3333-4444-555555555555",
        table="departments",
        source="departments.csv",
        state="STARTED",
        created_at=datetime.now(UTC),
    )
    services(app).loads.store.create(running)
    response = client.post("/restore/departments")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "load_in_progress"
    assert response.json["error"]["details"] == {"tasks": [running.id]}
    assert response.headers["Retry-After"] == "30"
    assert client.post("/restore/jobs").status_code == 404  # no backup of jobs: not refused

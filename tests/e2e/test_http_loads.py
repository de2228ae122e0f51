import io
import json
import socket
import threading
import time
from contextlib import contextmanager
from datetime import datetime

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import ignored_auth
from sqlalchemy import Engine, event

from config import Settings
from core.errors import QueueUnavailable
from main import create_app
from tests.conftest import SAMPLE_DIR, load, wait_for_task

EXPECTED = json.loads((SAMPLE_DIR / "expected.json").read_text())


def all_rejections(client, **filters):
    items, page = [], 1
    while True:
        body = client.get(
            "/rejections", query_string={**filters, "page": page, "per_page": 100}
        ).json
        items += body["items"]
        if len(items) >= body["total"]:
            return items
        page += 1


def moment(text):
    return datetime.fromisoformat(text)


@contextmanager
def statements_of_this_thread():
    """The SQL statements any engine runs in this thread meanwhile (with the BEGIN that
    the engine issues itself on SQLite)."""
    seen: list[str] = []
    thread = threading.get_ident()

    def note(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == thread:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def documented_status(app):
    """GET /task-status of a task, each answer checked against the OpenAPI document."""
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)["/task-status/{task_id}"]
    case_of = operation["GET"].Case

    def status(task_id):
        case = case_of(path_parameters={"task_id": task_id})
        response = case.call()
        # no key is configured here: that a key is not needed is right, not a failure
        case.validate_response(response, excluded_checks=[ignored_auth])
        return response.json()

    return status


def assert_read_whole(task, size):
    """The task succeeded having read every byte of its files, between its start and end."""
    assert task["state"] == "SUCCESS", task["error"]
    progress = task["progress"]
    assert progress["bytes_read"] == progress["bytes_total"] == size
    assert (progress["percent"], progress["eta_seconds"]) == (100, 0)
    assert progress["rows_per_second"] > 0
    assert moment(task["created_at"]) <= moment(task["started_at"])
    assert moment(task["started_at"]) <= moment(task["finished_at"])


def test_loading_the_sample_files_stores_good_rows_and_every_bad_one_with_its_reason(
    client, source_dir
):
    task = load(client)
    assert task["state"] == "SUCCESS", task["error"]
    assert task["table"] == "all"
    for table, expected in EXPECTED.items():
        result = task["result"]["tables"][table]
        assert result["processed"] == expected["rows"]
        assert result["inserted"] == expected["inserted"]
        assert result["already_exists"] == 0
        assert result["rejected"] == len(expected["rejected_lines"])
        stored = {
            str(r["line"]): r["reason"]
            for r in all_rejections(client, table=table, task_id=task["task_id"])
        }
        assert stored == expected["rejected_lines"]
    assert task["progress"]["rows_read"] == sum(e["rows"] for e in EXPECTED.values())
    assert_read_whole(task, sum((source_dir / f"{t}.csv").stat().st_size for t in EXPECTED))
    assert client.get("/hired-employees").json["total"] == EXPECTED["hired_employees"]["inserted"]


def test_loading_the_same_files_again_reports_every_good_row_as_already_there(client):
    load(client)
    again = load(client)
    for table, expected in EXPECTED.items():
        result = again["result"]["tables"][table]
        assert (result["inserted"], result["already_exists"], result["rejected"]) == (
            0,
            expected["inserted"],
            len(expected["rejected_lines"]),
        )
    assert client.get("/departments").json["total"] == EXPECTED["departments"]["inserted"]


def test_one_table_from_the_source(client, source_dir):
    task = load(client, "/upload/departments")
    assert_read_whole(task, (source_dir / "departments.csv").stat().st_size)
    assert (task["table"], task["source"], task["state"]) == (
        "departments",
        "departments.csv",
        "SUCCESS",
    )
    assert task["result"]["inserted"] == EXPECTED["departments"]["inserted"]
    assert [r["line"] for r in task["result"]["rejections"]] == sorted(
        int(n) for n in EXPECTED["departments"]["rejected_lines"]
    )


def test_an_uploaded_file_is_stored_in_the_source_and_loaded(client, source_dir):
    data = {"file": (io.BytesIO(b"id,job\r\n501,Welder\r\n502,\r\n"), "mine.csv")}
    task = load(client, "/upload/jobs", data=data, content_type="multipart/form-data")
    assert task["source"].startswith("uploads/jobs-")
    assert (source_dir / task["source"]).read_bytes() == b"id,job\r\n501,Welder\r\n502,\r\n"
    result = task["result"]
    assert (result["processed"], result["inserted"], result["rejected"]) == (2, 1, 1)
    assert_read_whole(task, len(b"id,job\r\n501,Welder\r\n502,\r\n"))
    assert result["rejections"] == [
        {
            "line": 3,
            "id": 502,
            "field": "job",
            "reason": "required",
            "message": "a value is required",
        }
    ]


def test_a_multipart_upload_without_a_file_field_is_a_400(client):
    response = client.post(
        "/upload/jobs",
        data={"other": (io.BytesIO(b"1,a"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert client.get("/task-list").json["total"] == 0


def test_unknown_table_is_a_404(client):
    response = client.post("/upload/employees")
    assert response.status_code == 404
    assert response.json["error"] == {
        "code": "unknown_table",
        "message": "no table named 'employees'",
        "details": {"tables": ["departments", "hired_employees", "jobs"]},
    }


def test_a_missing_source_file_is_a_404_and_queues_nothing(client, source_dir):
    (source_dir / "jobs.csv").unlink()
    response = client.post("/upload-files")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "source_file_not_found"
    assert response.json["error"]["details"] == {"missing": ["jobs.csv"]}
    assert client.get("/task-list").json["total"] == 0


def test_task_status_of_an_unknown_task_is_a_404(client):
    response = client.get("/task-status/does-not-exist")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_task_list_is_newest_first_and_paginated(client):
    first = load(client, "/upload/departments")
    second = load(client, "/upload/jobs")
    body = client.get("/task-list?per_page=1").json
    assert (body["page"], body["per_page"], body["total"]) == (1, 1, 2)
    assert [t["task_id"] for t in body["items"]] == [second["task_id"]]
    page2 = client.get("/task-list?per_page=1&page=2").json
    assert [t["task_id"] for t in page2["items"]] == [first["task_id"]]
    assert set(page2["items"][0]) == {
        "task_id",
        "table",
        "source",
        "state",
        "progress",
        "result",
        "error",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
    }
    assert set(page2["items"][0]["progress"]) == {
        "rows_read",
        "bytes_read",
        "bytes_total",
        "percent",
        "rows_per_second",
        "eta_seconds",
    }


def test_a_finished_task_has_its_timestamps_in_utc(client):
    task = load(client, "/upload/departments")
    for key in ("created_at", "started_at", "finished_at"):
        assert task[key].endswith("Z")
    assert moment(task["created_at"]) <= moment(task["started_at"]) <= moment(task["finished_at"])


def test_a_file_split_in_parts_loads_like_a_whole_one_but_for_ids_repeated_across_parts(
    settings, source_dir
):
    from config import Settings
    from main import create_app

    split = create_app(Settings(**{**settings.__dict__, "load_part_mb": 0.004}))
    try:
        client = split.test_client()
        load(client, "/upload/departments")
        load(client, "/upload/jobs")
        task = load(client, "/upload/hired_employees")
        expected = EXPECTED["hired_employees"]
        result = task["result"]
        assert result["parts"] >= 4
        assert (result["processed"], result["inserted"], result["rejected"]) == (
            expected["rows"],
            expected["inserted"],
            len(expected["rejected_lines"]),
        )
        stored = {
            str(r["line"]): r["reason"] for r in all_rejections(client, task_id=task["task_id"])
        }
        # id 7 is read in the first part and again, with other values, in a later one. The
        # parts run side by side: whichever stores id 7 first wins, and the other line is a
        # conflict rather than a duplicate_id.
        repeated = next(k for k, v in expected["rejected_lines"].items() if v == "duplicate_id")
        losing = {k for k, v in stored.items() if k in ("7", repeated)}
        assert len(losing) == 1 and stored[losing.pop()] == "conflict"
        others = {k: v for k, v in stored.items() if k not in ("7", repeated)}
        assert others == {k: v for k, v in expected["rejected_lines"].items() if k != repeated}
        assert task["progress"]["rows_read"] == expected["rows"]
        assert_read_whole(task, (source_dir / "hired_employees.csv").stat().st_size)
        with statements_of_this_thread() as statements:
            status = client.get(f"/task-status/{task['task_id']}").json
        assert status == task
        queries = [q for q in statements if q.split()[0].upper() != "BEGIN"]
        assert len(queries) == 1, queries  # the task's row, its parts' sums in it
        assert queries[0].startswith("SELECT") and "load_task_parts" not in queries[0]
    finally:
        split.extensions["hr_services"].close()


def test_cancel_and_retry_of_an_unknown_task_are_404(client):
    for action in ("cancel", "retry"):
        response = client.post(f"/task/no-such-task/{action}")
        assert response.status_code == 404
        assert response.json["error"] == {
            "code": "not_found",
            "message": "no task with id 'no-such-task'",
            "details": None,
        }


def test_a_finished_task_can_be_neither_cancelled_nor_retried(client):
    task = load(client, "/upload/departments")
    cancel = client.post(f"/task/{task['task_id']}/cancel")
    assert cancel.status_code == 409
    assert cancel.json["error"] == {
        "code": "invalid_state",
        "message": f"task {task['task_id']} is SUCCESS: only a PENDING or STARTED task can be "
        "cancelled",
        "details": {"state": "SUCCESS"},
    }
    retry = client.post(f"/task/{task['task_id']}/retry")
    assert retry.status_code == 409
    assert retry.json["error"]["code"] == "invalid_state"
    assert client.get(f"/task-status/{task['task_id']}").json["state"] == "SUCCESS"


EMPLOYEES = 300_000


def write_large_files(folder, employees=EMPLOYEES):
    (folder / "departments.csv").write_text("".join(f"{i},Department {i}\n" for i in range(1, 13)))
    (folder / "jobs.csv").write_text("".join(f"{i},Job {i}\n" for i in range(1, 184)))
    with (folder / "hired_employees.csv").open("w") as out:
        for i in range(1, employees + 1):
            job = "" if i % 100 == 0 else str(i % 183 + 1)
            out.write(f"{i},Person {i},2021-{i % 12 + 1:02d}-15T10:00:00Z,{i % 12 + 1},{job}\n")


def test_a_running_load_cancelled_keeps_what_it_stored_and_a_retry_finishes_it(client, source_dir):
    employees = 2 * EMPLOYEES  # long enough that the cancel meets it running on a busy machine
    write_large_files(source_dir, employees)
    load(client, "/upload/departments")
    load(client, "/upload/jobs")
    task_id = client.post("/upload/hired_employees").json["task_id"]
    deadline = time.monotonic() + 60
    while client.get(f"/task-status/{task_id}").json["progress"]["rows_read"] < 50_000:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    cancelled = client.post(f"/task/{task_id}/cancel")
    assert cancelled.status_code == 200, cancelled.json
    assert (cancelled.json["task_id"], cancelled.json["state"]) == (task_id, "CANCELLED")
    while (task := client.get(f"/task-status/{task_id}").json)["result"] is None:
        assert time.monotonic() < deadline, task  # the run records what it stored
        time.sleep(0.01)
    assert task["state"] == "CANCELLED"
    stopped = task["result"]
    assert 50_000 <= stopped["processed"] < employees  # it stopped at a chunk's end
    assert stopped["processed"] == task["progress"]["rows_read"]
    assert stopped["processed"] == stopped["inserted"] + stopped["rejected"]
    assert client.get("/hired-employees").json["total"] == stopped["inserted"]
    assert client.get(f"/rejections?task_id={task_id}").json["total"] == stopped["rejected"]

    retried = client.post(f"/task/{task_id}/retry")
    assert retried.status_code == 202
    assert retried.json == {"task_id": task_id, "status_url": f"/task-status/{task_id}"}
    assert retried.headers["Location"] == f"/task-status/{task_id}"
    done = wait_for_task(client, task_id)
    assert (done["state"], done["attempts"], done["error"]) == ("SUCCESS", 1, None)
    result = done["result"]
    assert (result["processed"], result["rejected"]) == (employees, employees // 100)
    assert result["already_exists"] == stopped["inserted"]
    assert result["inserted"] == employees - employees // 100 - stopped["inserted"]
    assert client.get("/hired-employees").json["total"] == employees - employees // 100
    assert client.get(f"/rejections?task_id={task_id}").json["total"] == employees // 100


def test_a_running_load_tells_its_share_read_its_pace_and_the_time_left(app, client, source_dir):
    write_large_files(source_dir, 200_000)
    size = (source_dir / "hired_employees.csv").stat().st_size
    load(client, "/upload/departments")
    load(client, "/upload/jobs")
    status_of = documented_status(app)
    task_id = client.post("/upload/hired_employees").json["task_id"]
    deadline = time.monotonic() + 120
    running = []
    while (status := status_of(task_id))["state"] in (
        "PENDING",
        "STARTED",
    ):
        assert time.monotonic() < deadline, status
        progress = status["progress"]
        assert progress["bytes_total"] == size
        if progress["bytes_read"]:
            running.append(progress)
        time.sleep(0.01)
    assert running, "no status was read between two chunks"
    for progress in running:
        assert 0 < progress["bytes_read"] <= size
        assert progress["percent"] == int(10_000 * progress["bytes_read"] / size) / 100
        assert 0 < progress["rows_read"] <= 200_000
        assert progress["rows_per_second"] > 0
        assert progress["eta_seconds"] >= 0
    partway = [p for p in running if 0 < p["percent"] < 100]
    assert partway, running
    assert all(p["eta_seconds"] > 0 for p in partway)
    assert_read_whole(status, size)
    assert status["progress"]["rows_read"] == 200_000


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_load_submitted_while_the_broker_is_down_is_a_503_and_leaves_nothing(
    settings, source_dir
):
    broker = f"redis://127.0.0.1:{closed_port()}/0"
    app = create_app(Settings(**{**settings.__dict__, "celery_broker_url": broker}))
    try:
        client = app.test_client()
        upload = {"file": (io.BytesIO(b"501,Welder\n"), "mine.csv")}
        for response in (
            client.post("/upload-files"),
            client.post("/upload/jobs"),
            client.post("/upload/jobs", data=upload, content_type="multipart/form-data"),
        ):
            assert response.status_code == 503
            assert response.json["error"] == {
                "code": "service_unavailable",
                "message": "the task queue is unreachable",
                "details": None,
            }
            assert response.headers["Retry-After"] == "5"
        assert client.get("/task-list").json["total"] == 0
        assert not (source_dir / "uploads").exists()
        with pytest.raises(QueueUnavailable):  # should it go away between check and queueing
            app.extensions["hr_services"].loads.queue.enqueue("a-task")
    finally:
        app.extensions["hr_services"].close()

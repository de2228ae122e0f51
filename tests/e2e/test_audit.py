"""The audit trail over HTTP, on SQLite and PostgreSQL: every write and every read of
personal data is a row, written with the change it records; GET /audit reads them."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import g, request

from api.errors import error_response
from core.ports import TaskRecord
from infra.db.audit_log import SqlAuditRepository
from tests.conftest import wait_for_task

DEPTS = {"rows": [{"id": 1, "department": "Sales"}, {"id": 2, "department": ""}]}
JOBS = {"rows": [{"id": 1, "job": "Clerk"}]}


def audit_rows(client, **filters):
    response = client.get("/audit", query_string={"per_page": 100, **filters})
    assert response.status_code == 200, response.json
    return response.json["items"]


def without_reads(rows):
    return [r for r in rows if r["action"] != "read_audit"]


@pytest.fixture
def keyed(app):
    """Callers as the authentication of API keys makes them: a name and a role from
    X-Test-Key ("name:role"); X-Test-Refuse makes it answer 403, as for too low a role."""

    @app.before_request
    def authenticate():
        given = request.headers.get("X-Test-Key")
        name, _, role = given.partition(":") if given else (None, None, None)
        g.caller = SimpleNamespace(key_name=name, role=role or None)
        if request.headers.get("X-Test-Refuse"):
            return error_response(403, "forbidden", "this key's role may not do that")
        return None

    return app


def test_a_batch_is_a_row_with_its_counts(client):
    batch = client.post("/batch/departments", json=DEPTS).json
    (row,) = without_reads(audit_rows(client))
    assert row["action"] == "batch"
    assert row["route"] == "POST /batch/departments"
    assert row["target"] == batch["batch_id"]
    assert row["outcome"] == 200
    assert row["rows"] == {"inserted": 1, "already_exists": 0, "rejected": 1}
    assert (row["key_name"], row["role"]) == (None, None)  # no API keys configured
    assert row["at"].endswith("Z")
    at = datetime.fromisoformat(row["at"])
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=1)


def test_every_write_and_every_read_of_personal_data_is_a_row(app, client, keyed):
    writer, admin, reader = (
        {"X-Test-Key": "etl:writer"},
        {"X-Test-Key": "ops:admin"},
        {"X-Test-Key": "bi:reader"},
    )
    client.post("/batch/departments", json=DEPTS, headers=writer)
    client.post("/batch/jobs", json=JOBS, headers=writer)
    upload = {"file": (io.BytesIO(b"2,Driver\n"), "jobs.csv")}
    uploaded = client.post(
        "/upload/jobs", data=upload, content_type="multipart/form-data", headers=writer
    ).json["task_id"]
    wait_for_task(client, uploaded)
    loaded = client.post("/upload/departments", headers=writer).json["task_id"]
    wait_for_task(client, loaded)
    everything = client.post("/upload-files", headers=writer).json["task_id"]
    wait_for_task(client, everything)
    client.post("/backup/departments", headers=admin)
    backed_up = client.post("/backup", headers=admin).json["items"]
    one = client.post("/restore/departments", headers=admin).json
    restored = client.post("/restore", headers=admin).json["tables"]
    store = app.extensions["hr_services"].loads.store
    parked = TaskRecord(str(uuid.uuid4()), "jobs", "jobs.csv", created_at=datetime.now(UTC))
    store.create(parked)  # a task nobody runs: PENDING until cancelled
    assert client.post(f"/task/{parked.id}/cancel", headers=admin).status_code == 200
    assert client.post(f"/task/{parked.id}/retry", headers=admin).status_code == 202
    wait_for_task(client, parked.id)
    paths = (
        "/departments",
        "/jobs?per_page=7",
        "/hired-employees",
        f"/rejections?task_id={loaded}",
    )
    for path in paths:
        assert client.get(path, headers=reader).status_code == 200
    client.get("/task-list", headers=reader)  # no personal data: not audited
    client.get(f"/task-status/{loaded}", headers=reader)
    client.get("/report/hired-by-quarter", headers=reader)

    rows = list(reversed(without_reads(audit_rows(client, per_page=100))))
    assert [(r["action"], r["key_name"], r["role"], r["outcome"]) for r in rows] == [
        ("batch", "etl", "writer", 200),
        ("batch", "etl", "writer", 200),
        ("upload", "etl", "writer", 202),
        ("load", "etl", "writer", 202),
        ("load", "etl", "writer", 202),
        ("backup", "ops", "admin", 201),
        ("backup", "ops", "admin", 201),
        ("restore", "ops", "admin", 200),
        ("restore", "ops", "admin", 200),
        ("cancel", "ops", "admin", 200),
        ("retry", "ops", "admin", 202),
        ("list_rows", "bi", "reader", 200),
        ("list_rows", "bi", "reader", 200),
        ("list_rows", "bi", "reader", 200),
        ("list_rejections", "bi", "reader", 200),
    ]
    assert [r["target"] for r in rows[2:5]] == [uploaded, loaded, everything]
    assert rows[2]["route"] == "POST /upload/jobs"
    assert rows[4]["route"] == "POST /upload-files"
    assert rows[5]["target"] == "departments"
    assert rows[6]["target"] == "departments,jobs,hired_employees"
    assert rows[6]["rows"] == {b["table"]: b["rows"] for b in backed_up}
    assert rows[6]["rows"]["hired_employees"] > 0
    assert (rows[7]["target"], rows[7]["rows"]) == ("departments", {"departments": one["rows"]})
    assert rows[8]["rows"] == {r["table"]: r["rows"] for r in restored}
    assert [r["target"] for r in rows[9:11]] == [parked.id, parked.id]
    assert [r["target"] for r in rows[11:14]] == ["departments", "jobs", "hired_employees"]
    assert rows[12]["rows"] == {"returned": 7}
    assert rows[12]["route"] == "GET /jobs?per_page=7"
    assert rows[14]["target"] == loaded
    assert rows[14]["route"] == f"GET /rejections?task_id={loaded}"


def test_a_batch_whose_audit_row_cannot_be_written_stores_nothing(client, monkeypatch):
    def broken(self, entry):
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(SqlAuditRepository, "add", broken)
    assert client.post("/batch/departments", json=DEPTS).status_code == 500
    monkeypatch.undo()
    assert client.get("/departments").json["total"] == 0
    assert client.get("/rejections").json["total"] == 0


def test_a_restore_whose_audit_row_cannot_be_written_restores_nothing(client, monkeypatch):
    client.post("/batch/departments", json=DEPTS)
    client.post("/backup/departments")
    client.post("/batch/departments", json={"rows": [{"id": 3, "department": "Legal"}]})
    monkeypatch.setattr(SqlAuditRepository, "add", lambda self, entry: 1 / 0)
    assert client.post("/restore/departments").status_code == 500
    monkeypatch.undo()
    assert client.get("/departments").json["total"] == 2  # Legal is still there
    assert [r["action"] for r in without_reads(audit_rows(client))] == [
        "list_rows",
        "batch",
        "backup",
        "batch",
    ]


def test_a_load_whose_audit_row_cannot_be_written_is_not_created(client, monkeypatch):
    import infra.db.task_store

    monkeypatch.setattr(infra.db.task_store, "write_audit", lambda conn, entry: 1 / 0)
    assert client.post("/upload/jobs").status_code == 500
    monkeypatch.undo()
    assert client.get("/task-list").json["total"] == 0


def test_a_failed_batch_writes_no_row(client):
    client.post("/batch/departments", json={"rows": []})  # 422, and no key: no row
    assert without_reads(audit_rows(client)) == []


def test_refusals_of_a_request_with_a_key_are_rows(client, keyed):
    writer = {"X-Test-Key": "etl:writer"}
    assert client.post("/batch/people", json=JOBS, headers=writer).status_code == 404
    assert client.post("/batch/jobs", json={"rows": []}, headers=writer).status_code == 422
    assert client.post("/task/nope/cancel", headers=writer).status_code == 404
    refused = {**writer, "X-Test-Refuse": "1"}
    assert client.post("/restore/jobs", headers=refused).status_code == 403
    assert client.get("/hired-employees", headers=refused).status_code == 403
    assert client.get("/jobs?per_page=1000", headers=writer).status_code == 400
    client.post("/batch/people", json=JOBS)  # no key: no row
    client.get("/nowhere", headers=writer)  # no route: no row
    rows = list(reversed(without_reads(audit_rows(client))))
    assert [(r["action"], r["target"], r["outcome"], r["key_name"]) for r in rows] == [
        ("batch", "people", 404, "etl"),
        ("batch", "jobs", 422, "etl"),
        ("cancel", "nope", 404, "etl"),
        ("restore", "jobs", 403, "etl"),
        ("list_rows", "hired_employees", 403, "etl"),
        ("list_rows", "jobs", 400, "etl"),
    ]
    assert all(r["rows"] is None for r in rows)


def test_a_replayed_answer_is_no_new_row(client):
    key = {"Idempotency-Key": "audit-replay-1"}
    client.post("/batch/departments", json=DEPTS, headers=key)
    client.post("/batch/departments", json=DEPTS, headers=key)
    assert [r["action"] for r in without_reads(audit_rows(client))] == ["batch"]


def test_the_audit_log_is_newest_first_paginated_and_filtered(client, keyed):
    for n in range(3):
        client.post("/batch/jobs", json=JOBS, headers={"X-Test-Key": f"k{n}:writer"})
    client.get("/jobs", headers={"X-Test-Key": "bi:reader"})
    first = client.get("/audit?per_page=2&action=batch").json
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 3)
    assert [r["key_name"] for r in first["items"]] == ["k2", "k1"]
    second = client.get("/audit?per_page=2&page=2&action=batch").json
    assert [r["key_name"] for r in second["items"]] == ["k0"]
    assert [r["action"] for r in audit_rows(client, key_name="bi")] == ["list_rows"]
    newest = audit_rows(client, action="batch")[0]
    assert audit_rows(client, action="batch", since=newest["at"])[0]["id"] == newest["id"]
    assert audit_rows(client, action="batch", until=newest["at"])[0]["id"] != newest["id"]
    assert audit_rows(client, since="2999-01-01T00:00:00+05:00") == []
    assert len(audit_rows(client, action="batch", since="2000-01-01")) == 3  # naive: UTC
    assert len(audit_rows(client, action="batch", until="9999-12-31T23:59:59-23:59")) == 3
    reads = audit_rows(client, action="read_audit")
    assert reads and reads[0]["route"].startswith("GET /audit")


@pytest.mark.parametrize(
    "query",
    ["action=delete", "since=yesterday", "until=2021-13-01", "per_page=101", "page=0", "x=1"],
)
def test_bad_audit_parameters_are_a_400(client, query):
    response = client.get(f"/audit?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parameters"


def test_the_audit_route_is_documented_for_admins(client):
    operation = client.get("/openapi.json").json["paths"]["/audit"]["get"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "429", "503"}
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"page", "per_page", "action", "key_name", "since", "until"}

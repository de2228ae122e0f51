"""Backups and restores over HTTP, on SQLite and PostgreSQL, under a non-UTC local time."""

import shutil
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from core.backups import Backups
from domain.backups import BackupMeta
from domain.tables import JOBS
from infra.backup import avro_file
from infra.backup.folder_store import FolderBackupStore

NAMES = ['O\'Brien "Jr"', "Zoë Ångström", "李雷", "Алёна", "محمد", "🙂 Smiley"]


@pytest.fixture(autouse=True)
def bogota_time(monkeypatch):
    monkeypatch.setenv("TZ", "America/Bogota")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


@pytest.fixture
def filled(client):
    depts = [{"id": i, "department": f"Dept {n}"} for i, n in enumerate(NAMES, start=1)]
    jobs = [{"id": i, "job": f"Job «{i}»"} for i in range(1, 6)]
    employees = [
        {
            "id": i,
            "name": NAMES[i % len(NAMES)],
            "datetime": f"2021-{i % 12 + 1:02d}-0{i % 9 + 1}T0{i % 10}:30:15.{i:06d}-05:00",
            "department_id": i % len(NAMES) + 1,
            "job_id": i % 5 + 1,
        }
        for i in range(1, 301)
    ]
    for table, rows in (("departments", depts), ("jobs", jobs), ("hired_employees", employees)):
        assert client.post(f"/batch/{table}", json={"rows": rows}).json["inserted"] == len(rows)
    return snapshot(client)


def snapshot(client):
    state = {}
    for path in ("/departments", "/jobs", "/hired-employees"):
        items, page = [], 1
        while batch := client.get(f"{path}?per_page=100&page={page}").json["items"]:
            items += batch
            page += 1
        state[path] = items
    for report in ("/report/hired-by-quarter", "/report/hiring-above-average"):
        state[report] = client.get(report).json  # the summary the reports read is restored too
    return state


def backup(client, table):
    response = client.post(f"/backup/{table}")
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.parametrize("table", ["departments", "jobs", "hired_employees"])
def test_a_table_comes_back_row_for_row(client, filled, table):
    made = backup(client, table)
    rows = {"departments": 6, "jobs": 5, "hired_employees": 300}[table]
    assert (made["table"], made["rows"], made["schema_version"]) == (table, rows, "1")
    assert len(made["sha256"]) == 64
    assert made["backup"].startswith(f"{table}-") and made["backup"].endswith(".avro")
    if table == "hired_employees":
        client.post(
            "/batch/hired_employees",
            json={
                "rows": [
                    {
                        "id": 999,
                        "name": "New",
                        "datetime": "2022-01-01T00:00:00Z",
                        "department_id": 1,
                        "job_id": 1,
                    }
                ]
            },
        )
    else:
        client.post(
            f"/batch/{table}",
            json={"rows": [{"id": 99, ("department" if table == "departments" else "job"): "New"}]},
        )
    restored = client.post(f"/restore/{table}", json={"backup": made["backup"]})
    assert restored.status_code == 200, restored.json
    assert restored.json == {"table": table, "backup": made["backup"], "rows": rows}
    assert snapshot(client) == filled


def test_all_three_tables_come_back_together_from_the_newest_backups(client, filled):
    made = client.post("/backup")
    assert made.status_code == 201
    assert [b["table"] for b in made.json["items"]] == ["departments", "jobs", "hired_employees"]
    client.post("/batch/departments", json={"rows": [{"id": 50, "department": "Extra"}]})
    client.post(
        "/batch/hired_employees",
        json={
            "rows": [
                {
                    "id": 500,
                    "name": "X",
                    "datetime": "2021-01-01T00:00:00Z",
                    "department_id": 50,
                    "job_id": 1,
                }
            ]
        },
    )
    restored = client.post("/restore")
    assert restored.status_code == 200, restored.json
    assert [(t["table"], t["rows"]) for t in restored.json["tables"]] == [
        ("departments", 6),
        ("jobs", 5),
        ("hired_employees", 300),
    ]
    assert snapshot(client) == filled


def test_backups_are_listed_newest_first_and_never_overwritten(client, filled):
    first = backup(client, "jobs")
    client.post("/batch/jobs", json={"rows": [{"id": 77, "job": "Later"}]})
    second = backup(client, "jobs")
    backup(client, "departments")
    listed = client.get("/backups?table=jobs").json["items"]
    assert [b["backup"] for b in listed] == [second["backup"], first["backup"]]
    assert [b["rows"] for b in listed] == [6, 5]
    assert set(listed[0]) == {
        "backup",
        "table",
        "rows",
        "size",
        "sha256",
        "schema_version",
        "created_at",
    }
    assert listed[0]["size"] > 0
    assert len(client.get("/backups").json["items"]) == 3
    assert client.post("/restore/jobs").json["backup"] == second["backup"]


def test_restoring_departments_that_employees_need_is_refused_with_the_ids(client, filled):
    client.post("/batch/departments", json={"rows": [{"id": 40, "department": "Tmp"}]})
    made = backup(client, "departments")
    client.post("/batch/departments", json={"rows": [{"id": 41, "department": "Needed"}]})
    client.post(
        "/batch/hired_employees",
        json={
            "rows": [
                {
                    "id": 800,
                    "name": "N",
                    "datetime": "2021-01-01T00:00:00Z",
                    "department_id": 41,
                    "job_id": 1,
                }
            ]
        },
    )
    before = snapshot(client)
    response = client.post("/restore/departments", json={"backup": made["backup"]})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    assert response.json["error"]["details"] == {"missing": {"departments": [41]}}
    assert "41" in response.json["error"]["message"]
    assert snapshot(client) == before


def bad_backup(client, settings, kind):
    """A damaged copy of a jobs backup, named as a jobs backup."""
    made = backup(client, "jobs")
    folder = settings.backup_dir
    target = folder / f"jobs-20990101T000000000000Z-{kind}.avro"
    source = folder / made["backup"]
    if kind == "truncated":
        data = source.read_bytes()
        target.write_bytes(data[:-20])  # the header whole, the last block cut short
    elif kind == "other-table":
        shutil.copyfile(folder / backup(client, "departments")["backup"], target)
    elif kind == "checksum":
        meta = BackupMeta("jobs", 5, "0" * 64, datetime(2099, 1, 1, tzinfo=UTC))
        rows = [(i, f"Job «{i}»") for i in range(1, 6)]
        with target.open("wb") as out:
            avro_file.write(out, JOBS, meta, rows)
    elif kind == "count":
        meta = BackupMeta("jobs", 7, "0" * 64, datetime(2099, 1, 1, tzinfo=UTC))
        with target.open("wb") as out:
            avro_file.write(out, JOBS, meta, [(1, "a")])
    elif kind == "garbage":
        target.write_bytes(b"not an avro file at all")
    return target.name


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("truncated", "damaged"),
        ("other-table", "is a backup of departments, not of jobs"),
        ("checksum", "do not match the checksum"),
        ("count", "holds 1 rows, its header says 7"),
        ("garbage", "is not a backup of this service"),
    ],
)
def test_a_bad_backup_is_refused_and_the_table_is_unchanged(client, settings, filled, kind, words):
    name = bad_backup(client, settings, kind)
    client.post("/batch/jobs", json={"rows": [{"id": 60, "job": "Kept"}]})
    before = snapshot(client)
    response = client.post("/restore/jobs", json={"backup": name})
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid_backup"
    assert words in response.json["error"]["message"]
    assert snapshot(client) == before


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/restore/jobs", {"backup": "nope.avro"}, 404),
        ("/restore/jobs", {"backup": "../../etc/passwd"}, 400),
        ("/restore/jobs", {"backup": 5}, 400),
        ("/restore/jobs", {"other": 1}, 400),
        ("/restore/jobs", None, 404),
        ("/restore/people", None, 404),
        ("/backup/people", None, 404),
        ("/restore", {"backups": {"people": "x.avro"}}, 400),
        ("/restore", {"backups": {"jobs": "jobs\\x.avro"}}, 400),
        ("/restore", {"backups": {"jobs": "x.avro", "other": "x.avro"}}, 400),
    ],
)
def test_restore_errors(client, path, body, status):
    response = client.post(path, json=body) if body is not None else client.post(path)
    assert response.status_code == status, response.json
    assert "error" in response.json


@pytest.mark.parametrize("path", ["/restore/jobs", "/restore"])
@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"null", "invalid_parameters"),
        (b"[]", "invalid_parameters"),
        (b"false", "invalid_parameters"),
        (b"0", "invalid_parameters"),
        (b'""', "invalid_parameters"),
        (b" ", "invalid_request"),
        (b"\t", "invalid_request"),
    ],
)
def test_a_restore_body_that_is_not_an_object_is_refused_not_taken_for_no_body(
    client, path, data, code
):
    backup(client, "jobs")
    response = client.post(path, data=data, content_type="application/json")
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == code


def test_a_failure_half_way_through_a_restore_leaves_the_table_as_it_was(
    app, client, settings, filled
):
    made = backup(client, "hired_employees")
    client.post(
        "/batch/hired_employees",
        json={
            "rows": [
                {
                    "id": 900,
                    "name": "After",
                    "datetime": "2021-01-01T00:00:00Z",
                    "department_id": 1,
                    "job_id": 1,
                }
            ]
        },
    )
    before = snapshot(client)

    class FailingStore(FolderBackupStore):
        @contextmanager
        def read(self, name):
            with super().read(name) as file:
                rows = file.rows  # the rows are read once, as they are inserted

                def failing():
                    for n, row in enumerate(rows()):
                        if n == 150:
                            raise RuntimeError("disk went away")
                        yield row

                file.rows = failing
                yield file

    services = app.extensions["hr_services"]
    backups = Backups(services.backups.uow_factory, FailingStore(settings.backup_dir))
    with pytest.raises(RuntimeError, match="disk went away"):
        backups.restore({"hired_employees": made["backup"]})
    assert snapshot(client) == before

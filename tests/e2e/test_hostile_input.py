"""Hostile bodies and files: never a 500, and every row accounted for."""

import io
import json

import pytest

from tests.conftest import load

NASTY_ROWS = [
    {"id": 1, "department": "\x00"},
    {"id": 2, "department": "a\x00b"},
    {"id": 3, "department": "\ud800"},
    {"id": 4, "department": "'; DROP TABLE departments; --"},
    {"id": 5, "department": "🙂" * 255},
    {"id": 6, "department": "🙂" * 256},
    {"id": 7, "department": ["list"]},
    {"id": 8, "department": {"nested": {"deep": [1, 2, 3]}}},
    {"id": 10**30, "department": "big"},
    {"id": -(10**30), "department": "small"},
    {"id": 1.5, "department": "float"},
    {"id": None, "department": None},
    {"\x00": 1},
    {"\ud800": 1, "id": 11, "department": "x"},
    {},
    [],
    0,
    True,
    None,
    "",
    {"id": 12, "department": "=cmd|' /C calc'!A0"},
]


def post_rows(client, table, rows):
    body = json.dumps({"rows": rows})  # ASCII escapes carry the lone surrogates
    return client.post(f"/batch/{table}", data=body, content_type="application/json")


@pytest.mark.parametrize("table", ["departments", "jobs", "hired_employees"])
def test_nasty_batch_rows_are_rejected_or_stored_never_a_500(client, table):
    response = post_rows(client, table, NASTY_ROWS)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["processed"] == len(NASTY_ROWS)
    assert body["processed"] == body["inserted"] + body["already_exists"] + body["rejected"]
    assert (
        client.get("/rejections", query_string={"batch_id": body["batch_id"]}).json["total"]
        == body["rejected"]
    )


def test_nasty_department_rows_get_the_right_reasons(client):
    body = post_rows(client, "departments", NASTY_ROWS).json
    reasons = {r["index"]: r["reason"] for r in body["rejections"]}
    assert reasons == {
        0: "invalid_text",
        1: "invalid_text",
        2: "invalid_text",
        5: "too_long",
        6: "invalid_text",
        7: "invalid_text",
        8: "out_of_range",
        9: "out_of_range",
        10: "invalid_integer",
        11: "required",
        12: "unknown_field",
        13: "unknown_field",
        14: "required",
        15: "invalid_row",
        16: "invalid_row",
        17: "invalid_row",
        18: "invalid_row",
        19: "invalid_row",
    }
    stored = {r["id"]: r["department"] for r in client.get("/departments").json["items"]}
    assert stored == {4: "'; DROP TABLE departments; --", 5: "🙂" * 255, 12: "=cmd|' /C calc'!A0"}


@pytest.mark.parametrize(
    "data",
    [
        b'{"rows": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"rows": [{"id": ' + b"9" * 5000 + b', "job": "x"}]}',
        b'{"rows": [{"id": 1, "job": "\\ud800"}]',
        b"\x00\x01\x02",
    ],
)
def test_hostile_bodies_are_a_4xx(client, data):
    response = client.post("/batch/jobs", data=data, content_type="application/json")
    assert 400 <= response.status_code < 500, response.json
    assert client.get("/jobs").json["total"] == 0


HOSTILE_FILES = [
    b"\x00" * 1000,
    bytes(range(256)) * 20,
    b"\n\n\n",
    b'1,"never closed\n2,Ops\n',
    b"1,Sales\r2,Ops\r3,Legal\r",
    b'"' * 10_000,
    b"id,department\n",
    b"1,\x00Sales\n2,Ops\n",
    "1,Ventas\n2,販売\n".encode("utf-16"),
    b",,,,,,,,,,\n" * 50,
]


@pytest.mark.parametrize("data", HOSTILE_FILES)
def test_hostile_files_load_without_a_crash_and_account_for_every_record(client, data):
    task = load(
        client,
        "/upload/departments",
        data={"file": (io.BytesIO(data), "x.csv")},
        content_type="multipart/form-data",
    )
    assert task["state"] == "SUCCESS", task["error"]
    result = task["result"]
    assert result["processed"] == result["inserted"] + result["already_exists"] + result["rejected"]
    stored = client.get("/rejections", query_string={"task_id": task["task_id"]}).json["total"]
    assert stored == result["rejected"]
    assert client.get("/departments").json["total"] == result["inserted"]


# --- NUL characters and lone surrogates, which no database stores --------------------------

NOT_STORABLE = "Must not hold a NUL character or a lone surrogate."


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/task-status/%00"),
        ("GET", "/task-status/a%00b"),
        ("GET", "/task-status/%00%00%00"),
        ("GET", "/docs/assets/swagger-ui.css%00"),
        ("POST", "/batch/jobs%00"),
        ("POST", "/upload/%00jobs"),
        ("POST", "/backup/jobs%00"),
        ("POST", "/restore/jobs%00"),
    ],
)
def test_a_nul_in_a_path_is_a_404(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("/rejections?batch_id=x%00y", "batch_id"),
        ("/rejections?task_id=%00", "task_id"),
        ("/rejections?table=jobs&task_id=a%00", "task_id"),
        ("/rejections?batch_id=%00&page=2", "batch_id"),
    ],
)
def test_a_nul_in_an_id_parameter_is_an_invalid_parameter(client, query, parameter):
    response = client.get(query)
    assert response.status_code == 400
    assert response.json == {
        "error": {
            "code": "invalid_parameters",
            "message": f"{parameter}: {NOT_STORABLE}",
            "details": {parameter: [NOT_STORABLE]},
        }
    }


@pytest.mark.parametrize(
    "query",
    [
        "/rejections?table=%00",
        "/rejections?table=jobs%00",
        "/backups?table=%00",
        "/report/hired-by-quarter?format=%00",
        "/report/hiring-above-average?format=csv%00",
        "/report/hiring-above-average?year=2021%00",
        "/departments?page=%00",
        "/task-list?per_page=1%00",
        "/jobs?%00=1",
    ],
)
def test_a_nul_in_any_other_parameter_is_an_invalid_parameter(client, query):
    response = client.get(query)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parameters"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/restore/jobs", {"backup": "jobs-\x00.avro"}),
        ("/restore/jobs", {"backup": "jobs-\ud800.avro"}),
        ("/restore", {"backups": {"jobs": "\x00"}}),
        ("/restore", {"backups": {"jobs": "\udfff.avro"}}),
        ("/restore", {"backups": {"jobs\x00": "jobs-x.avro"}}),
    ],
)
def test_a_nul_or_lone_surrogate_in_a_backup_name_is_an_invalid_parameter(client, path, body):
    data = json.dumps(body)  # ASCII escapes carry the lone surrogates
    response = client.post(path, data=data, content_type="application/json")
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "invalid_parameters"


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "ok\udfff"])
def test_a_lone_surrogate_or_nul_fails_every_text_parameter(value):
    from marshmallow import ValidationError

    from api.schemas import BackupArgs, RejectionArgs, ReportArgs

    for schema, name in (
        (RejectionArgs(), "task_id"),
        (RejectionArgs(), "batch_id"),
        (RejectionArgs(), "table"),
        (ReportArgs(), "format"),
        (BackupArgs(), "table"),
    ):
        with pytest.raises(ValidationError) as raised:
            schema.load({name: value})
        assert raised.value.messages == {name: [NOT_STORABLE]}


@pytest.mark.parametrize(
    ("table", "row", "field"),
    [
        ("jobs", {"id": 1, "job": "Ana\x00lyst"}, "job"),
        ("jobs", {"id": 2, "job": "\ud800"}, "job"),
        (
            "hired_employees",
            {
                "id": 3,
                "name": "Ana\x00",
                "datetime": "2021-01-01T00:00:00Z",
                "department_id": 1,
                "job_id": 1,
            },
            "name",
        ),
        (
            "hired_employees",
            {
                "id": 4,
                "name": "\udc00Ana",
                "datetime": "2021-01-01T00:00:00Z",
                "department_id": 1,
                "job_id": 1,
            },
            "name",
        ),
        (
            "hired_employees",
            {
                "id": 5,
                "name": "Ana",
                "datetime": "2021-01-01T00:00:00\x00Z",
                "department_id": 1,
                "job_id": 1,
            },
            "datetime",
        ),
    ],
)
def test_text_no_database_stores_is_a_rejection_kept_with_its_record(client, table, row, field):
    client.post("/batch/departments", json={"rows": [{"id": 1, "department": "Sales"}]})
    client.post("/batch/jobs", json={"rows": [{"id": 1, "job": "Clerk"}]})
    response = post_rows(client, table, [row])
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["inserted"], body["rejected"]) == (0, 1)
    [rejection] = body["rejections"]
    reason = "invalid_datetime" if field == "datetime" else "invalid_text"
    assert (rejection["index"], rejection["id"], rejection["field"], rejection["reason"]) == (
        0,
        row["id"],
        field,
        reason,
    )
    stored = client.get("/rejections", query_string={"batch_id": body["batch_id"]}).json
    assert stored["total"] == 1
    [kept] = stored["items"]
    assert (kept["record_id"], kept["field"], kept["reason"]) == (row["id"], field, reason)
    assert json.loads(kept["raw"]) == row  # the record as sent, its bad text as JSON escapes

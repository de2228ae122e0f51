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

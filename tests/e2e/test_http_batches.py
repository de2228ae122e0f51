import pytest

from config import Settings
from main import create_app

DEPTS = [{"id": 1, "department": "Sales"}, {"id": 2, "department": "Ops"}]


def totals(client):
    return (
        client.get("/departments").json["total"],
        client.get("/rejections").json["total"],
    )


def test_a_good_batch_is_inserted(client):
    response = client.post("/batch/departments", json={"rows": DEPTS})
    assert response.status_code == 200
    body = response.json
    assert {
        k: body[k] for k in ("table", "processed", "inserted", "already_exists", "rejected")
    } == {
        "table": "departments",
        "processed": 2,
        "inserted": 2,
        "already_exists": 0,
        "rejected": 0,
    }
    assert body["rejections"] == []
    assert client.get("/departments").json["items"] == DEPTS


def test_a_mixed_batch_inserts_the_good_rows_and_lists_every_rejection(client):
    client.post("/batch/departments", json={"rows": DEPTS})
    client.post("/batch/jobs", json={"rows": [{"id": 1, "job": "Clerk"}]})
    rows = [
        {
            "id": 1,
            "name": "Ana",
            "datetime": "2021-01-01T00:00:00Z",
            "department_id": 1,
            "job_id": 1,
        },
        {"id": 2, "name": "", "datetime": "2021-01-01T00:00:00Z", "department_id": 1, "job_id": 1},
        {"id": 3, "name": "Cy", "datetime": "2021-01-01", "department_id": 1, "job_id": 1},
        {
            "id": 4,
            "name": "Di",
            "datetime": "2021-01-01T00:00:00Z",
            "department_id": 9,
            "job_id": 1,
        },
        {
            "id": 1,
            "name": "Ana",
            "datetime": "2021-01-01T00:00:00Z",
            "department_id": 1,
            "job_id": 1,
        },
        "not a row",
        {
            "id": 6,
            "name": "Ed",
            "datetime": "2021-01-01T00:00:00Z",
            "department_id": 1,
            "job_id": 1,
            "x": 1,
        },
    ]
    body = client.post("/batch/hired_employees", json={"rows": rows}).json
    assert (body["processed"], body["inserted"], body["rejected"]) == (7, 1, 6)
    assert [(r["index"], r["id"], r["field"], r["reason"]) for r in body["rejections"]] == [
        (1, 2, "name", "required"),
        (2, 3, "datetime", "invalid_datetime"),
        (3, 4, "department_id", "unknown_department"),
        (4, 1, "id", "duplicate_id"),
        (5, None, None, "invalid_row"),
        (6, 6, "x", "unknown_field"),
    ]
    stored = client.get("/rejections", query_string={"batch_id": body["batch_id"]}).json
    assert stored["total"] == 6
    assert stored["items"][4]["raw"] == '"not a row"'
    assert stored["items"][0]["raw"].startswith('{"id": 2, "name": ""')


def test_the_same_batch_again_is_already_there_and_other_values_are_conflicts(client):
    client.post("/batch/departments", json={"rows": DEPTS})
    body = client.post(
        "/batch/departments",
        json={"rows": [{"id": 1, "department": "Sales"}, {"id": 2, "department": "Legal"}]},
    ).json
    assert (body["inserted"], body["already_exists"], body["rejected"]) == (0, 1, 1)
    assert body["rejections"][0]["reason"] == "conflict"
    assert client.get("/departments").json["items"] == DEPTS


@pytest.mark.parametrize(
    "body",
    [
        {"rows": []},
        {"rows": [{"id": 1, "department": "x"}] * 1001},
        {"rows": {"id": 1, "department": "x"}},
        {"rows": None},
        {"data": DEPTS},
        {"rows": DEPTS, "extra": 1},
        DEPTS,
        "rows",
        12,
        [],
    ],
)
def test_a_bad_envelope_is_a_422_and_writes_nothing(client, body):
    response = client.post("/batch/departments", json=body)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid_batch"
    assert totals(client) == (0, 0)


def test_a_json_null_body_is_a_422(client):
    response = client.post("/batch/departments", data=b"null", content_type="application/json")
    assert response.status_code == 422
    assert totals(client) == (0, 0)


@pytest.mark.parametrize("data", [b"{not json", b"", b"\xff\xfe", b'{"rows": [1,]}'])
def test_a_body_that_is_not_json_is_a_400(client, data):
    response = client.post("/batch/departments", data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert totals(client) == (0, 0)


def test_a_batch_for_an_unknown_table_is_a_404(client):
    response = client.post("/batch/people", json={"rows": DEPTS})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_table"


def test_a_thousand_rows_is_the_largest_batch(client):
    rows = [{"id": i, "job": f"Job {i}"} for i in range(1, 1001)]
    body = client.post("/batch/jobs", json={"rows": rows}).json
    assert (body["processed"], body["inserted"]) == (1000, 1000)


def test_writes_need_a_configured_api_key(settings):
    keyed = Settings(**{**settings.__dict__, "api_keys": ("k1", "k2")})
    app = create_app(keyed)
    try:
        client = app.test_client()
        missing = client.post("/batch/departments", json={"rows": DEPTS})
        wrong = client.post("/batch/departments", json={"rows": DEPTS}, headers={"X-API-Key": "k3"})
        good = client.post("/batch/departments", json={"rows": DEPTS}, headers={"X-API-Key": "k2"})
        assert [missing.status_code, wrong.status_code, good.status_code] == [401, 401, 200]
        assert missing.json["error"]["code"] == "unauthorized"
        assert client.get("/departments", headers={"X-API-Key": "k1"}).status_code == 200
    finally:
        app.extensions["hr_services"].close()


def test_a_body_over_the_limit_is_a_413(settings):
    small = Settings(**{**settings.__dict__, "max_upload_mb": 1})
    app = create_app(small)
    try:
        client = app.test_client()
        big = b'{"rows": [' + b'{"id": 1, "department": "x"},' * 40000 + b"1]}"
        response = client.post("/batch/departments", data=big, content_type="application/json")
        assert response.status_code == 413
        assert response.json["error"]["code"] == "request_entity_too_large"
        assert client.get("/departments").json["total"] == 0
    finally:
        app.extensions["hr_services"].close()

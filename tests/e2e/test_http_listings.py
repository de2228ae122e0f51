import pytest

from tests.conftest import load


def test_rows_are_listed_by_id_page_by_page(client):
    client.post("/batch/jobs", json={"rows": [{"id": i, "job": f"J{i}"} for i in (5, 1, 3)]})
    first = client.get("/jobs?per_page=2").json
    assert first == {
        "items": [{"id": 1, "job": "J1"}, {"id": 3, "job": "J3"}],
        "page": 1,
        "per_page": 2,
        "total": 3,
    }
    assert client.get("/jobs?per_page=2&page=2").json["items"] == [{"id": 5, "job": "J5"}]
    assert client.get("/jobs?page=9").json["items"] == []


def test_employees_are_listed_with_utc_datetimes(client):
    client.post("/batch/departments", json={"rows": [{"id": 1, "department": "D"}]})
    client.post("/batch/jobs", json={"rows": [{"id": 1, "job": "J"}]})
    row = {
        "id": 1,
        "name": "Zoë",
        "datetime": "2021-06-01T12:00:00+02:00",
        "department_id": 1,
        "job_id": 1,
    }
    client.post("/batch/hired_employees", json={"rows": [row]})
    assert client.get("/hired-employees").json["items"] == [
        {**row, "datetime": "2021-06-01T10:00:00Z"}
    ]


def test_rejections_are_filtered_by_table_task_and_batch(client):
    task = load(client, "/upload/departments")
    batch = client.post("/batch/jobs", json={"rows": [{"id": 1}, {"id": 2, "job": "x"}]}).json
    by_task = client.get(f"/rejections?task_id={task['task_id']}").json
    assert by_task["total"] == task["result"]["rejected"]
    assert {r["table"] for r in by_task["items"]} == {"departments"}
    by_batch = client.get(f"/rejections?batch_id={batch['batch_id']}").json
    assert [(r["index"], r["line"], r["reason"], r["table"]) for r in by_batch["items"]] == [
        (0, None, "required", "jobs")
    ]
    assert client.get("/rejections?table=jobs").json["total"] == 1
    assert client.get("/rejections?table=hired_employees").json["total"] == 0
    assert client.get("/rejections").json["total"] == by_task["total"] + 1


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=x", "per_page=0", "per_page=101", "per_page=-5", "colour=red"],
)
@pytest.mark.parametrize(
    "path", ["/departments", "/jobs", "/hired-employees", "/task-list", "/rejections"]
)
def test_bad_paging_is_a_400(client, path, query):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parameters"


def test_an_unknown_table_filter_is_a_400(client):
    response = client.get("/rejections?table=people")
    assert response.status_code == 400
    assert "table" in response.json["error"]["details"]

"""Writes Documentation/postman_collection.json: a request and status-code tests per route.

Run in order, the collection loads the sample files, waits for the task, inserts batches,
reads the listings and reports, and tries the error answers. Variables: baseUrl, apiKey
(sent in X-API-Key by every request: an admin key, when keys are configured).
"""

from __future__ import annotations

import json
from pathlib import Path

from api.listings import listing_path
from domain.tables import TABLES

OUT = Path(__file__).resolve().parent.parent / "Documentation" / "postman_collection.json"


def request(
    name: str,
    method: str,
    path: str,
    status: int,
    *,
    body: object = None,
    checks: list[str] | None = None,
    form_file: str | None = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> dict[str, object]:
    lines = [
        f'pm.test("{method} {path} answers {status}", function () {{',
        f"    pm.response.to.have.status({status});",
        "});",
        *(checks or []),
    ]
    req: dict[str, object] = {
        "method": method,
        "header": [{"key": "X-API-Key", "value": "{{apiKey}}"}],
        "url": "{{baseUrl}}" + path,
    }
    for key, value in (headers or {}).items():
        req["header"] = [*req["header"], {"key": key, "value": value}]  # type: ignore[misc]
    if body is not None or raw_body is not None:
        req["header"] = [*req["header"], {"key": "Content-Type", "value": content_type}]  # type: ignore[misc]
        req["body"] = {
            "mode": "raw",
            "raw": raw_body if raw_body is not None else json.dumps(body, indent=2),
        }
    if form_file is not None:
        req["body"] = {
            "mode": "formdata",
            "formdata": [{"key": "file", "type": "file", "src": form_file}],
        }
    return {
        "name": name,
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": lines}}],
        "request": req,
    }


def error_code(code: str) -> list[str]:
    return [
        f'pm.test("error code is {code}", function () {{',
        f'    pm.expect(pm.response.json().error.code).to.eql("{code}");',
        "});",
    ]


def content_type(mimetype: str) -> str:
    return (
        f'pm.test("is {mimetype}", function () {{ '
        f'pm.expect(pm.response.headers.get("Content-Type")).to.include("{mimetype}"); }});'
    )


SAVE_TASK = [
    'pm.collectionVariables.set("taskId", pm.response.json().task_id);',
    'pm.collectionVariables.set("polls", 0);',
]
POLL_TASK = [
    "const task = pm.response.json();",
    'const polls = Number(pm.collectionVariables.get("polls")) + 1;',
    'pm.collectionVariables.set("polls", polls);',
    'if (["PENDING", "STARTED"].includes(task.state) && polls < 200) {',
    "    setTimeout(function () {}, 100);",
    "    postman.setNextRequest(pm.info.requestName);",
    "} else {",
    '    pm.test("the load succeeded", function () { pm.expect(task.state).to.eql("SUCCESS"); });',
    "}",
]

DEPARTMENT = {"id": 9001, "department": "Postman Department"}
JOB = {"id": 9001, "job": "Postman Job"}
IDEMPOTENCY_KEY = "postman-departments-9001"
EMPLOYEE = {
    "id": 90001,
    "name": "Postman Employee",
    "datetime": "2021-05-04T10:00:00Z",
    "department_id": 9001,
    "job_id": 9001,
}


def items() -> list[dict[str, object]]:
    return [
        request("Liveness", "GET", "/health", 200),
        request("Readiness", "GET", "/health/ready", 200),
        request("Load all files", "POST", "/upload-files", 202, checks=SAVE_TASK),
        request(
            "Task status (polls until done)",
            "GET",
            "/task-status/{{taskId}}",
            200,
            checks=POLL_TASK,
        ),
        request(
            "Load one table from the source", "POST", "/upload/departments", 202, checks=SAVE_TASK
        ),
        request(
            "Task status of the table load", "GET", "/task-status/{{taskId}}", 200, checks=POLL_TASK
        ),
        request(
            "Load an uploaded file",
            "POST",
            "/upload/jobs",
            202,
            checks=SAVE_TASK,
            form_file="sample_data/jobs.csv",
        ),
        request(
            "Task status of the upload", "GET", "/task-status/{{taskId}}", 200, checks=POLL_TASK
        ),
        request(
            "Load a text/csv body",
            "POST",
            "/upload/jobs",
            202,
            checks=SAVE_TASK,
            raw_body="id,job\n9100,Archivist\n",
            content_type="text/csv",
        ),
        request(
            "Task status of the text/csv upload",
            "GET",
            "/task-status/{{taskId}}",
            200,
            checks=POLL_TASK,
        ),
        request("Task list", "GET", "/task-list?per_page=10", 200),
        request(
            "Cancel a finished task",
            "POST",
            "/task/{{taskId}}/cancel",
            409,
            checks=error_code("invalid_state"),
        ),
        request(
            "Retry a task that succeeded",
            "POST",
            "/task/{{taskId}}/retry",
            409,
            checks=error_code("invalid_state"),
        ),
        request(
            "Cancel an unknown task",
            "POST",
            "/task/no-such-task/cancel",
            404,
            checks=error_code("not_found"),
        ),
        request(
            "Retry an unknown task",
            "POST",
            "/task/no-such-task/retry",
            404,
            checks=error_code("not_found"),
        ),
        request(
            "Unknown task", "GET", "/task-status/no-such-task", 404, checks=error_code("not_found")
        ),
        request(
            "Upload to an unknown table",
            "POST",
            "/upload/people",
            404,
            checks=error_code("unknown_table"),
        ),
        request(
            "Batch of departments", "POST", "/batch/departments", 200, body={"rows": [DEPARTMENT]}
        ),
        request("Batch of jobs", "POST", "/batch/jobs", 200, body={"rows": [JOB]}),
        request(
            "Batch of employees with a bad row",
            "POST",
            "/batch/hired_employees",
            200,
            body={"rows": [EMPLOYEE, {**EMPLOYEE, "id": 90002, "job_id": 999999}]},
            checks=[
                'pm.test("one row rejected as unknown_job", function () {',
                "    const body = pm.response.json();",
                "    pm.expect(body.rejected).to.eql(1);",
                '    pm.expect(body.rejections[0].reason).to.eql("unknown_job");',
                "});",
            ],
        ),
        request(
            "Batch with an Idempotency-Key",
            "POST",
            "/batch/departments",
            200,
            body={"rows": [DEPARTMENT]},
            headers={"Idempotency-Key": IDEMPOTENCY_KEY},
        ),
        request(
            "The same batch sent again with its key: replayed",
            "POST",
            "/batch/departments",
            200,
            body={"rows": [DEPARTMENT]},
            headers={"Idempotency-Key": IDEMPOTENCY_KEY},
            checks=[
                'pm.test("the first answer, replayed", function () {',
                '    pm.expect(pm.response.headers.get("Idempotent-Replayed")).to.eql("true");',
                "});",
            ],
        ),
        request(
            "The same key with another batch",
            "POST",
            "/batch/departments",
            422,
            body={"rows": [JOB]},
            headers={"Idempotency-Key": IDEMPOTENCY_KEY},
            checks=error_code("idempotency_key_reused"),
        ),
        request(
            "Empty batch",
            "POST",
            "/batch/jobs",
            422,
            body={"rows": []},
            checks=error_code("invalid_batch"),
        ),
        request(
            "Body that is not JSON",
            "POST",
            "/batch/jobs",
            400,
            raw_body="{not json",
            checks=error_code("invalid_request"),
        ),
        request(
            "Batch sent as text/plain",
            "POST",
            "/batch/jobs",
            415,
            raw_body=json.dumps({"rows": [JOB]}),
            content_type="text/plain",
            checks=error_code("unsupported_media_type"),
        ),
        request("Batch for an unknown table", "POST", "/batch/people", 404, body={"rows": [JOB]}),
        *(
            request(spec.name.replace("_", " ").capitalize(), "GET", f"{path}?per_page=5", 200)
            for spec, path in ((s, listing_path(s)) for s in TABLES.values())
        ),
        request(
            "Bad paging", "GET", "/jobs?per_page=1000", 400, checks=error_code("invalid_parameters")
        ),
        request("Rejections", "GET", "/rejections?table=hired_employees", 200),
        request("Hired by quarter", "GET", "/report/hired-by-quarter?year=2021", 200),
        request(
            "Hired by quarter as CSV",
            "GET",
            "/report/hired-by-quarter?year=2021&format=csv",
            200,
            checks=[
                'pm.test("is CSV", function () { pm.expect(pm.response.headers.get("Content-Type")).to.include("text/csv"); });'
            ],
        ),
        request("Hiring above average", "GET", "/report/hiring-above-average?year=2021", 200),
        request(
            "Hiring above average as CSV",
            "GET",
            "/report/hiring-above-average?year=2021&format=csv",
            200,
        ),
        request(
            "Hired by quarter as an SVG chart",
            "GET",
            "/report/hired-by-quarter?year=2021&format=svg",
            200,
            checks=[content_type("image/svg+xml")],
        ),
        request(
            "Hiring above average as a PNG chart",
            "GET",
            "/report/hiring-above-average?year=2021&format=png",
            200,
            checks=[content_type("image/png")],
        ),
        request(
            "Hired by quarter as an HTML page",
            "GET",
            "/report/hired-by-quarter?year=2021&format=html",
            200,
            checks=[content_type("text/html")],
        ),
        request(
            "Report in an unknown format",
            "GET",
            "/report/hiring-above-average?year=2021&format=pdf",
            400,
            checks=error_code("invalid_parameters"),
        ),
        request(
            "Report for a year out of range",
            "GET",
            "/report/hired-by-quarter?year=1800",
            400,
            checks=error_code("invalid_parameters"),
        ),
        request(
            "Back up a table",
            "POST",
            "/backup/jobs",
            201,
            checks=[
                'pm.collectionVariables.set("backupName", pm.response.json().backup);',
            ],
        ),
        request("Back up every table", "POST", "/backup", 201),
        request("Backups", "GET", "/backups?table=jobs", 200),
        request(
            "Restore a table from a named backup",
            "POST",
            "/restore/jobs",
            200,
            body={"backup": "{{backupName}}"},
        ),
        request("Restore a table from its newest backup", "POST", "/restore/departments", 200),
        request("Restore every table together", "POST", "/restore", 200),
        request(
            "Restore from a backup that does not exist",
            "POST",
            "/restore/jobs",
            404,
            body={"backup": "jobs-none.avro"},
        ),
        request(
            "Audit trail, newest first",
            "GET",
            "/audit?per_page=20",
            200,
            checks=[
                'pm.test("the batches are in it", function () {',
                "    const actions = pm.response.json().items.map(function (row) { return row.action; });",
                '    pm.expect(actions).to.include("batch");',
                "});",
            ],
        ),
        request(
            "Audit trail of restores since 2020",
            "GET",
            "/audit?action=restore&since=2020-01-01T00:00:00Z",
            200,
        ),
        request(
            "Audit trail with an unknown action",
            "GET",
            "/audit?action=delete",
            400,
            checks=error_code("invalid_parameters"),
        ),
        request("OpenAPI document", "GET", "/openapi.json", 200),
        request("API docs page", "GET", "/docs", 200),
        request("Console page for a year", "GET", "/?year=2021", 200),
        request("Metrics", "GET", "/metrics", 200),
    ]


def main() -> None:
    collection = {
        "info": {
            "name": "HR migration service",
            "description": "Every route with status-code tests. Run in order; set baseUrl, and apiKey to an admin key when keys are configured (every request sends it in X-API-Key).",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": [
            {"key": "baseUrl", "value": "http://127.0.0.1:8000"},
            {"key": "apiKey", "value": ""},
            {"key": "taskId", "value": ""},
            {"key": "polls", "value": "0"},
            {"key": "backupName", "value": ""},
        ],
        "item": items(),
    }
    OUT.write_text(json.dumps(collection, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Requests are what they say: JSON routes take JSON only, an upload is one multipart 'file'
or a text/csv body (or nothing: the source's own file), and a body over MAX_UPLOAD_MB is a 413
before it is parsed, whether its length is declared or it comes in chunks."""

from __future__ import annotations

import http.client
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import Settings
from main import create_app
from tests.conftest import load, wait_for_task
from tests.live_server import free_port, running

ROWS = {"rows": [{"id": 1, "job": "Analyst"}]}
MIB = 1024 * 1024


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What a request body may be does not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'hr.sqlite3'}"


@pytest.fixture
def small_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(settings, max_upload_mb=1))
    yield app
    app.extensions["hr_services"].close()


def chunked(client: FlaskClient, path: str, data: bytes, content_type: str):
    """A POST whose body comes in chunks, without a Content-Length, as a server hands it on."""
    return client.post(
        path,
        input_stream=io.BytesIO(data),
        headers={"Transfer-Encoding": "chunked", "Content-Type": content_type},
        environ_overrides={"wsgi.input_terminated": True},
    )


def jobs(client: FlaskClient) -> int:
    total: int = client.get("/jobs").json["total"]
    return total


def uploads(source_dir: Path) -> list[Path]:
    folder = source_dir / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_a_batch_that_is_not_sent_as_json_is_a_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/batch/jobs", data=json.dumps(ROWS), headers=headers)
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert jobs(client) == 0


def test_json_with_a_charset_is_json(client):
    response = client.post(
        "/batch/jobs",
        data=json.dumps(ROWS),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200
    assert jobs(client) == 1


@pytest.mark.parametrize("path", ["/restore/jobs", "/restore", "/backup", "/upload-files"])
def test_other_post_routes_take_json_or_nothing(client, path):
    form = client.post(path, data="a=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    # a cross-site form posts an empty body with its content type: refused too
    empty = client.post(path, data=b"", content_type="text/plain")
    assert empty.status_code == 415
    assert not client.get("/backups").json["items"]
    assert client.get("/task-list").json["total"] == 0


def test_a_post_without_a_body_still_works(client):
    assert client.post("/backup").status_code == 201


def test_an_upload_with_two_file_parts_is_a_400(client, source_dir):
    data = {
        "file": [
            (io.BytesIO(b"501,Welder\n"), "a.csv"),
            (io.BytesIO(b"502,Painter\n"), "b.csv"),
        ]
    }
    response = client.post("/upload/jobs", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert response.json["error"]["details"] == {"parts": ["file", "file"]}
    assert client.get("/task-list").json["total"] == 0
    assert uploads(source_dir) == []


@pytest.mark.parametrize(
    "data",
    [
        {"file": (io.BytesIO(b"501,Welder\n"), "a.csv"), "note": "hello"},
        {"file": (io.BytesIO(b"501,Welder\n"), "a.csv"), "other": (io.BytesIO(b"x"), "x.csv")},
        {"file": "501,Welder"},  # a plain field, not a file
        {},
    ],
)
def test_an_upload_with_other_parts_or_no_file_part_is_a_400(client, source_dir, data):
    response = client.post("/upload/jobs", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert client.get("/task-list").json["total"] == 0
    assert uploads(source_dir) == []


def test_a_text_csv_body_is_the_uploaded_file(client, source_dir):
    body = b"id,job\n501,Welder\n502,\n"
    task = load(client, "/upload/jobs", data=body, content_type="text/csv")
    assert task["source"].startswith("uploads/jobs-")
    assert (source_dir / task["source"]).read_bytes() == body
    assert (task["result"]["inserted"], task["result"]["rejected"]) == (1, 1)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "application/csv"],
)
def test_an_upload_of_another_type_is_a_415(client, source_dir, content_type):
    response = client.post("/upload/jobs", data=b"501,Welder\n", content_type=content_type)
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert client.get("/task-list").json["total"] == 0
    assert uploads(source_dir) == []


def test_an_upload_without_any_body_loads_the_sources_own_file(client, source_dir):
    task = load(client, "/upload/jobs")
    assert task["source"] == "jobs.csv"
    assert uploads(source_dir) == []


def test_a_chunked_json_body_over_the_limit_is_a_413_not_a_400(small_app):
    client = small_app.test_client()
    body = b'{"rows": [' + b'{"id": 1, "job": "x"},' * 60_000 + b"1]}"
    assert len(body) > MIB
    response = chunked(client, "/batch/jobs", body, "application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
    assert jobs(client) == 0


def test_a_chunked_json_body_under_the_limit_is_read_whole(small_app):
    client = small_app.test_client()
    response = chunked(client, "/batch/jobs", json.dumps(ROWS).encode(), "application/json")
    assert response.status_code == 200, response.json
    assert jobs(client) == 1


def test_a_chunked_upload_over_the_limit_is_a_413_and_stores_nothing(small_app, source_dir):
    client = small_app.test_client()
    body = b"501,Welder\n" * (3 * MIB // 11)
    for content_type in ("text/csv", "multipart/form-data; boundary=xyz"):
        response = chunked(client, "/upload/jobs", body, content_type)
        assert response.status_code == 413
        assert response.json["error"]["code"] == "request_entity_too_large"
    assert client.get("/task-list").json["total"] == 0
    assert uploads(source_dir) == []


def test_a_chunked_csv_upload_under_the_limit_is_stored_whole(small_app, source_dir):
    client = small_app.test_client()
    body = b"".join(b"%d,Job %d\n" % (n, n) for n in range(1000, 60_000))
    assert 0.5 * MIB < len(body) < MIB
    response = chunked(client, "/upload/jobs", body, "text/csv")
    assert response.status_code == 202, response.json
    task = wait_for_task(client, response.json["task_id"])
    assert (source_dir / task["source"]).read_bytes() == body
    assert task["result"]["inserted"] == 59_000


def test_a_declared_length_over_the_limit_is_a_413_before_the_body_is_read(small_app):
    client = small_app.test_client()
    big = io.BytesIO(b"x" * (2 * MIB))
    response = client.post(
        "/upload/jobs",
        input_stream=big,
        headers={"Content-Type": "text/csv", "Content-Length": str(2 * MIB)},
    )
    assert response.status_code == 413
    assert big.tell() == 0  # not a byte of it read


def test_the_openapi_document_says_what_bodies_are_taken(client):
    spec = client.get("/openapi.json").json
    upload = spec["paths"]["/upload/{table}"]["post"]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data", "text/csv"}
    for path, item in spec["paths"].items():
        if "post" in item:
            assert {"413", "415"} <= set(item["post"]["responses"]), path


def test_over_http_a_chunked_body_over_the_limit_is_a_413(tmp_path, source_dir):
    """The development server hands a chunked body on as it comes; so does gunicorn
    (tests/e2e/test_serving.py)."""
    port = free_port()
    env = {
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "CSV_SOURCE_DIR": str(source_dir),
        "MAX_UPLOAD_MB": "1",
    }
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "main.py"], env, f"{url}/health", tmp_path / "server.log"):
        status, body = post_chunked(port, "/batch/jobs", "application/json", MIB + 10)
        assert (status, body["error"]["code"]) == (413, "request_entity_too_large")
        status, body = post_chunked(port, "/upload/jobs", "text/csv", 2 * MIB)
        assert (status, body["error"]["code"]) == (413, "request_entity_too_large")
    assert uploads(source_dir) == []


def post_chunked(port: int, path: str, content_type: str, size: int) -> tuple[int, dict]:
    def pieces() -> Iterator[bytes]:
        sent = 0
        while sent < size:
            piece = b"1" * min(64 * 1024, size - sent)
            sent += len(piece)
            yield piece

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            path,
            body=pieces(),
            headers={"Content-Type": content_type},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    except (BrokenPipeError, ConnectionResetError):
        # the server answered and closed before the whole body was sent: read its answer
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()

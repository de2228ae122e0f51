"""Idempotency keys over HTTP, on SQLite and PostgreSQL: a write sent again under the same
Idempotency-Key is answered as the first time and not done again."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import g, request
from sqlalchemy import select, update

from core.errors import DatabaseUnavailable
from infra.db.engine import make_engine
from infra.db.schema import idempotency_keys
from main import create_app
from tests.conftest import wait_for_task

DEPTS = {"rows": [{"id": 1, "department": "Sales"}, {"id": 2, "department": "Ops"}]}
BAD_JOBS = {"rows": [{"id": n, "job": ""} for n in range(1, 6)] + [{"id": 10, "job": "Clerk"}]}
KEY = {"Idempotency-Key": "4f1c9a2e-batch-1"}


def key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


def totals(client) -> tuple[int, int, int, int]:
    return (
        client.get("/departments").json["total"],
        client.get("/jobs").json["total"],
        client.get("/rejections").json["total"],
        client.get("/task-list").json["total"],
    )


@pytest.fixture
def engine(settings):
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def test_a_batch_sent_again_with_its_key_is_replayed_and_nothing_is_written_again(client):
    first = client.post("/batch/departments", json=DEPTS, headers=KEY)
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    again = client.post("/batch/departments", json=DEPTS, headers=KEY)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.get_data() == first.get_data()  # the same batch id, the same counts
    assert totals(client)[0] == 2


def test_twenty_resends_of_a_batch_with_bad_rows_store_its_rejections_once(client):
    """The finding: 20 identical batches stored their rejections 20 times."""
    answers = [client.post("/batch/jobs", json=BAD_JOBS, headers=KEY) for _ in range(20)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.get_data() for a in answers}) == 1
    assert answers[0].json["rejected"] == 5
    assert client.get("/rejections").json["total"] == 5
    assert client.get("/jobs").json["total"] == 1


def test_the_same_key_with_another_body_or_path_is_a_422_and_writes_nothing(client):
    client.post("/batch/departments", json=DEPTS, headers=KEY)
    before = totals(client)
    other = {"rows": [{"id": 3, "department": "Legal"}]}
    for path, body in (("/batch/departments", other), ("/batch/jobs", DEPTS)):
        refused = client.post(path, json=body, headers=KEY)
        assert refused.status_code == 422
        assert refused.json["error"]["code"] == "idempotency_key_reused"
    assert totals(client) == before
    # the key still replays its own request
    assert client.post("/batch/departments", json=DEPTS, headers=KEY).status_code == 200


def test_the_body_is_compared_byte_for_byte(client):
    client.post(
        "/batch/departments",
        data=b'{"rows": [{"id": 1, "department": "A"}]}',
        content_type="application/json",
        headers=KEY,
    )
    spaced = client.post(
        "/batch/departments",
        data=b'{"rows": [{"id": 1, "department": "A"}] }',
        content_type="application/json",
        headers=KEY,
    )
    assert spaced.json["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("bad", ["x" * 256, "caf\u00e9", "tab\tkey", " padded"])
def test_a_key_too_long_or_not_printable_ascii_is_a_400_and_nothing_is_done(client, bad):
    response = client.post("/batch/departments", json=DEPTS, headers=key(bad))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_idempotency_key"
    assert totals(client)[0] == 0


def test_a_body_over_the_limit_is_a_413_and_leaves_the_key_free(settings):
    app = create_app(replace(settings, max_upload_mb=1))
    try:
        client = app.test_client()
        big = {"rows": [{"id": 1, "department": "x" * (2 * 1024 * 1024)}]}
        assert client.post("/batch/departments", json=big, headers=KEY).status_code == 413
        ran = client.post("/batch/departments", json=DEPTS, headers=KEY)
        assert ran.status_code == 200
        assert "Idempotent-Replayed" not in ran.headers
    finally:
        app.extensions["hr_services"].close()


def test_a_key_of_255_printable_characters_is_taken(client):
    long_key = ("k" * 127) + " " + ("~" * 127)
    assert client.post("/batch/departments", json=DEPTS, headers=key(long_key)).status_code == 200
    again = client.post("/batch/departments", json=DEPTS, headers=key(long_key))
    assert again.headers["Idempotent-Replayed"] == "true"


def test_refusals_are_replayed_too(client):
    missing = client.post("/batch/people", json=DEPTS, headers=KEY)
    assert missing.status_code == 404
    again = client.post("/batch/people", json=DEPTS, headers=KEY)
    assert (again.status_code, again.get_data()) == (404, missing.get_data())
    assert again.headers["Idempotent-Replayed"] == "true"


def multipart(boundary: str, content: bytes) -> tuple[bytes, str]:
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="jobs.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_an_upload_sent_again_is_one_task_and_one_file_whatever_the_boundary(client, source_dir):
    content = b"1,Clerk\n2,Driver\n"
    body, mime = multipart("aaaa1111", content)
    first = client.post("/upload/jobs", data=body, content_type=mime, headers=KEY)
    assert first.status_code == 202
    wait_for_task(client, first.json["task_id"])
    body, mime = multipart("bbbb2222", content)  # curl picks a new boundary each time
    again = client.post("/upload/jobs", data=body, content_type=mime, headers=KEY)
    assert (again.status_code, again.json) == (202, first.json)
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert client.get("/task-list").json["total"] == 1
    assert len(list((source_dir / "uploads").iterdir())) == 1
    body, mime = multipart("cccc3333", b"1,Clerk\n3,Baker\n")
    other = client.post("/upload/jobs", data=body, content_type=mime, headers=KEY)
    assert other.json["error"]["code"] == "idempotency_key_reused"
    assert len(list((source_dir / "uploads").iterdir())) == 1


def test_a_load_of_every_file_sent_again_is_one_task(client):
    first = client.post("/upload-files", headers=KEY)
    assert first.status_code == 202
    again = client.post("/upload-files", headers=KEY)
    assert (again.status_code, again.json) == (202, first.json)
    wait_for_task(client, first.json["task_id"])
    assert client.get("/task-list").json["total"] == 1


def test_a_backup_sent_again_is_one_backup(client):
    client.post("/batch/departments", json=DEPTS)
    first = client.post("/backup/departments", headers=KEY)
    again = client.post("/backup/departments", headers=KEY)
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert len(client.get("/backups").json["items"]) == 1
    both = client.post("/backup", headers=key("all-1"))
    assert client.post("/backup", headers=key("all-1")).get_data() == both.get_data()
    assert len(client.get("/backups").json["items"]) == 4


def test_a_restore_sent_again_does_not_restore_again(client):
    client.post("/batch/departments", json=DEPTS)
    client.post("/backup/departments")
    restored = client.post("/restore/departments", headers=KEY)
    assert restored.status_code == 200
    client.post("/batch/departments", json={"rows": [{"id": 3, "department": "Legal"}]})
    again = client.post("/restore/departments", headers=KEY)
    assert (again.status_code, again.get_data()) == (200, restored.get_data())
    assert client.get("/departments").json["total"] == 3  # Legal is still there
    everything = client.post("/restore", json={}, headers=key("all-1"))
    assert everything.status_code == 404  # no backup of jobs: refused, and kept so
    assert client.post("/restore", json={}, headers=key("all-1")).status_code == 404


def test_an_answer_of_5xx_is_not_kept_and_the_key_may_be_sent_again(app, client, monkeypatch):
    batches = app.extensions["hr_services"].batches
    real = batches.insert
    monkeypatch.setattr(batches, "insert", lambda *a: (_ for _ in ()).throw(DatabaseUnavailable()))
    down = client.post("/batch/departments", json=DEPTS, headers=KEY)
    assert down.status_code == 503
    monkeypatch.setattr(batches, "insert", lambda *a: (_ for _ in ()).throw(RuntimeError("bug")))
    assert client.post("/batch/departments", json=DEPTS, headers=KEY).status_code == 500
    monkeypatch.setattr(batches, "insert", real)
    ran = client.post("/batch/departments", json=DEPTS, headers=KEY)
    assert ran.status_code == 200
    assert "Idempotent-Replayed" not in ran.headers
    assert totals(client)[0] == 2


def test_a_request_still_running_under_its_key_makes_the_same_one_a_409(app, client, monkeypatch):
    batches = app.extensions["hr_services"].batches
    real, entered, go_on, calls = batches.insert, threading.Event(), threading.Event(), []

    def slow(*args):
        calls.append(args)
        entered.set()
        assert go_on.wait(30)
        return real(*args)

    monkeypatch.setattr(batches, "insert", slow)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(
            lambda: app.test_client().post("/batch/departments", json=DEPTS, headers=KEY)
        )
        assert entered.wait(30)
        busy = client.post("/batch/departments", json=DEPTS, headers=KEY)
        assert busy.status_code == 409
        assert busy.json["error"]["code"] == "idempotency_key_in_use"
        assert busy.headers["Retry-After"] == "1"
        go_on.set()
        assert first.result().status_code == 200
    assert (
        client.post("/batch/departments", json=DEPTS, headers=KEY).headers["Idempotent-Replayed"]
        == "true"
    )
    assert len(calls) == 1
    assert totals(client)[0] == 2


def test_requests_racing_with_one_key_run_once(app):
    """Eight requests at once under one key: the database's unique key lets exactly one run."""
    start = threading.Barrier(8)

    def send(_):
        with app.test_client() as own:
            start.wait()
            return own.post("/batch/jobs", json=BAD_JOBS, headers=KEY)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    ran = [a for a in answers if a.status_code == 200 and "Idempotent-Replayed" not in a.headers]
    assert len(ran) == 1
    for answer in answers:
        if answer.status_code == 200:
            assert answer.get_data() == ran[0].get_data()
        else:
            assert answer.json["error"]["code"] == "idempotency_key_in_use"
    client = app.test_client()
    assert client.get("/rejections").json["total"] == 5
    assert client.get("/jobs").json["total"] == 1


def test_keys_are_scoped_per_api_key_name(app, client):
    @app.before_request
    def authenticate():  # as the authentication of API keys does
        g.caller = SimpleNamespace(key_name=request.headers.get("X-Test-Key"), role="writer")

    client.post("/batch/departments", json=DEPTS, headers={**KEY, "X-Test-Key": "etl"})
    other = {"rows": [{"id": 3, "department": "Legal"}]}
    mine = client.post("/batch/departments", json=other, headers={**KEY, "X-Test-Key": "etl"})
    assert mine.status_code == 422
    theirs = client.post("/batch/departments", json=other, headers={**KEY, "X-Test-Key": "bi"})
    assert theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs.headers


def test_an_expired_key_is_taken_afresh_and_swept(app, client, engine):
    client.post("/batch/departments", json=DEPTS, headers=KEY)
    client.post("/batch/departments", json=DEPTS, headers=key("second"))
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(update(idempotency_keys).values(expires_at=past))
    other = {"rows": [{"id": 3, "department": "Legal"}]}
    taken = client.post("/batch/departments", json=other, headers=KEY)
    assert taken.status_code == 200
    assert "Idempotent-Replayed" not in taken.headers
    app.extensions["hr_services"].idempotency.sweep_every = timedelta(0)
    client.post("/batch/departments", json=other, headers=key("third"))
    with engine.connect() as conn:
        kept = sorted(conn.execute(select(idempotency_keys.c.idempotency_key)).scalars())
    assert kept == ["4f1c9a2e-batch-1", "third"]  # "second" expired and was swept


def test_keys_are_kept_for_the_configured_hours(client, engine):
    client.post("/batch/departments", json=DEPTS, headers=KEY)
    with engine.connect() as conn:
        row = conn.execute(select(idempotency_keys)).one()
    assert row.expires_at - row.created_at == timedelta(hours=24)
    assert row.state == "done"
    assert row.status == 200


def test_the_openapi_document_declares_the_key_on_exactly_the_idempotent_routes(app, client):
    spec = client.get("/openapi.json").json
    declared = {
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    marked = {
        f"{method} {rule.rule.replace('<', '{').replace('>', '}')}"
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "idempotent", False)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert declared == marked
    assert len(marked) == 7
    batch = spec["paths"]["/batch/{table}"]["post"]
    assert {"400", "409", "422"} <= set(batch["responses"])
    assert "Idempotent-Replayed" in batch["responses"]["200"]["headers"]

"""A part the service needs cannot be reached: every route that needs it answers 503 with
Retry-After and a message naming the part, never a host, port, path, container or driver text;
/health/ready says which part is down; the service comes back by itself when the part does."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from config import Settings
from main import create_app
from tests.azurite import ACCOUNT, connection_string
from tests.conftest import SAMPLE_DIR, _empty_postgres
from tests.live_server import free_port
from tests.tcp_proxy import TcpProxy

KEY = "down-test-key"
AUTH = {"X-API-Key": KEY}
TASK_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
# Words of drivers' and systems' messages, none of which may reach a client.
DRIVER_WORDS = (
    "127.0.0.1",
    "localhost",
    "psycopg",
    "postgres",
    "sqlalchemy",
    "OperationalError",
    "Errno",
    "refused",
    "Traceback",
    "azure",
    "HTTPConnection",
    ACCOUNT,
)
DATABASE_DOWN = {
    "error": {
        "code": "service_unavailable",
        "message": "the database is unreachable",
        "details": None,
    }
}
SOURCE_DOWN = {
    "error": {
        "code": "source_unavailable",
        "message": "the CSV source is unreachable",
        "details": None,
    }
}
BACKUP_STORE_DOWN = {
    "error": {
        "code": "service_unavailable",
        "message": "the backup store is unreachable",
        "details": None,
    }
}


def csv_file() -> dict[str, Any]:
    return {"file": (io.BytesIO(b"900,Archivist\n"), "jobs.csv")}


# (method, path, request keywords) of every route that reads or writes the database.
DATABASE_ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/departments", {}),
    ("GET", "/jobs?page=2&per_page=10", {}),
    ("GET", "/hired-employees", {}),
    ("GET", "/rejections", {}),
    ("GET", f"/rejections?table=jobs&task_id={TASK_ID}", {}),
    ("GET", "/rejections?batch_id=b", {}),
    ("GET", f"/task-status/{TASK_ID}", {}),
    ("GET", "/task-list", {}),
    ("POST", "/batch/jobs", {"json": {"rows": [{"id": 1, "job": "Analyst"}]}}),
    (
        "POST",
        "/batch/hired_employees",
        {
            "json": {
                "rows": [
                    {
                        "id": 1,
                        "name": "Ana",
                        "datetime": "2021-01-01T00:00:00Z",
                        "department_id": 1,
                        "job_id": 1,
                    }
                ]
            }
        },
    ),
    ("GET", "/report/hired-by-quarter", {}),
    ("GET", "/report/hired-by-quarter?year=2021&format=csv", {}),
    ("GET", "/report/hiring-above-average?year=2021", {}),
    ("GET", "/report/hiring-above-average?year=2021&format=csv", {}),
    ("POST", "/backup/jobs", {}),
    ("POST", "/backup", {}),
    ("POST", "/restore/jobs", {}),
    ("POST", "/restore", {}),
    ("POST", "/upload-files", {}),
    ("POST", "/upload/jobs", {}),
]
MULTIPART_UPLOAD = ("POST", "/upload/jobs", {"content_type": "multipart/form-data"})


def call(client: FlaskClient, method: str, path: str, kwargs: dict[str, Any]) -> Any:
    kwargs = dict(kwargs)
    if kwargs.get("content_type") == "multipart/form-data":
        kwargs["data"] = csv_file()
    return client.open(path, method=method, headers=AUTH, **kwargs)


def assert_private_free(response: Any, *private: str) -> None:
    text = response.get_data(as_text=True)
    for word in (*DRIVER_WORDS, *private):
        assert word.lower() not in text.lower(), (word, text)


def assert_unavailable(response: Any, expected: dict[str, Any], *private: str) -> None:
    assert (response.status_code, response.json) == (503, expected)
    assert response.headers["Retry-After"] == "5"
    assert_private_free(response, *private)


def assert_ready(response: Any, down: list[str], *private: str) -> None:
    checks = {
        part: "down" if part in down else "ok"
        for part in ("database", "csv_source", "backup_store", "task_queue")
    }
    expected = {"status": "unavailable" if down else "ok", "checks": checks, "down": down}
    assert (response.status_code, response.json) == (503 if down else 200, expected)
    assert_private_free(response, *private)


def make_app(settings: Settings) -> Flask:
    app = create_app(settings)
    app.testing = True
    return app


def base_settings(folder: Path, database_url: str) -> Settings:
    source = folder / "source"
    if not source.exists():
        shutil.copytree(SAMPLE_DIR, source)
    return Settings(
        database_url=database_url,
        csv_source_dir=source,
        backup_dir=folder / "backups",
        api_keys=(f"down:{KEY}:admin",),
    )


def forwarded(postgres_url: str) -> tuple[TcpProxy, str]:
    """A proxy to the test database, cut, and the database's URL through it."""
    url = make_url(postgres_url)
    forwarder = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    forwarder.cut()
    through = url.set(host="127.0.0.1", port=forwarder.port)
    return forwarder, through.render_as_string(hide_password=False)


# --- the database, never reached since the service started --------------------------------


@pytest.fixture(scope="module")
def never_reached(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, int]]:
    port = free_port()  # nothing listens there
    folder = tmp_path_factory.mktemp("never-reached")
    app = make_app(base_settings(folder, f"postgresql+psycopg://postgres@127.0.0.1:{port}/hr"))
    yield app.test_client(), port
    app.extensions["hr_services"].close()


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [*DATABASE_ROUTES, MULTIPART_UPLOAD, ("GET", "/backups", {})],
)
def test_a_database_never_reached_is_a_503_from_every_route(never_reached, method, path, kwargs):
    client, port = never_reached
    assert_unavailable(call(client, method, path, kwargs), DATABASE_DOWN, str(port))


def test_the_service_starts_and_is_alive_but_not_ready_without_its_database(never_reached):
    client, port = never_reached
    assert client.get("/health").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/metrics", headers=AUTH).status_code == 200
    assert_ready(client.get("/health/ready"), ["database"], str(port))


def test_a_post_without_a_key_is_still_a_401(never_reached):
    client, _ = never_reached
    assert client.post("/batch/jobs", json={"rows": [{"id": 1, "job": "a"}]}).status_code == 401


# --- the database, gone while the service runs ----------------------------------------------


@pytest.fixture(scope="module")
def went_away(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FlaskClient, int]]:
    """An app that stored rows and made backups, whose database then became unreachable."""
    _empty_postgres(postgres_url)
    forwarder, url = forwarded(postgres_url)
    forwarder.restore()
    app = make_app(base_settings(tmp_path_factory.mktemp("went-away"), url))
    client = app.test_client()
    try:
        stored = client.post("/batch/jobs", headers=AUTH, json={"rows": [{"id": 1, "job": "a"}]})
        assert stored.status_code == 200, stored.json
        assert client.post("/backup", headers=AUTH).status_code == 201
        forwarder.cut()
        yield client, forwarder.port
    finally:
        forwarder.cut()
        app.extensions["hr_services"].close()


@pytest.mark.postgres
@pytest.mark.parametrize(("method", "path", "kwargs"), [*DATABASE_ROUTES, MULTIPART_UPLOAD])
def test_a_database_gone_is_a_503_from_every_route_that_needs_it(went_away, method, path, kwargs):
    client, port = went_away
    assert_unavailable(call(client, method, path, kwargs), DATABASE_DOWN, str(port))


@pytest.mark.postgres
def test_routes_that_need_no_database_go_on_without_it(went_away):
    client, port = went_away
    listed = client.get("/backups", headers=AUTH)
    assert listed.status_code == 200
    assert len(listed.json["items"]) == 3
    assert client.get("/health").status_code == 200
    assert_ready(client.get("/health/ready"), ["database"], str(port))


# --- the database comes back ----------------------------------------------------------------


@pytest.mark.postgres
def test_the_service_recovers_by_itself_when_its_database_comes_back(postgres_database, tmp_path):
    forwarder, url = forwarded(postgres_database)
    app = make_app(base_settings(tmp_path, url))  # started while the database is down
    client = app.test_client()
    try:
        assert_unavailable(
            client.get("/departments", headers=AUTH), DATABASE_DOWN, str(forwarder.port)
        )
        assert_ready(client.get("/health/ready"), ["database"], str(forwarder.port))

        forwarder.restore()  # the schema is created by the first request that reaches it
        assert_ready(client.get("/health/ready"), [])
        assert client.get("/departments", headers=AUTH).json["total"] == 0
        batch = {"rows": [{"id": 1, "department": "Legal"}]}
        assert client.post("/batch/departments", headers=AUTH, json=batch).json["inserted"] == 1

        forwarder.cut()
        assert_unavailable(
            client.get("/departments", headers=AUTH), DATABASE_DOWN, str(forwarder.port)
        )
        assert_unavailable(
            client.post("/batch/departments", headers=AUTH, json=batch),
            DATABASE_DOWN,
            str(forwarder.port),
        )
        assert_ready(client.get("/health/ready"), ["database"], str(forwarder.port))

        forwarder.restore()
        assert client.get("/departments", headers=AUTH).json["items"] == [
            {"id": 1, "department": "Legal"}
        ]
        assert_ready(client.get("/health/ready"), [])
    finally:
        forwarder.cut()
        app.extensions["hr_services"].close()


# --- the CSV source and the backup store ----------------------------------------------------

SOURCE_ROUTES = [
    ("POST", "/upload-files", {}),
    ("POST", "/upload/jobs", {}),
    MULTIPART_UPLOAD,
]
BACKUP_ROUTES = [
    ("POST", "/backup/jobs", {}),
    ("POST", "/backup", {}),
    ("GET", "/backups", {}),
    ("GET", "/backups?table=jobs", {}),
    ("POST", "/restore/jobs", {}),
    ("POST", "/restore/jobs", {"json": {"backup": "jobs-20260101T000000000000Z-00000000.avro"}}),
    ("POST", "/restore", {}),
]


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return base_settings(tmp_path, f"sqlite:///{tmp_path / 'hr.sqlite3'}")


@pytest.mark.parametrize("gone", ["removed", "a file"])
def test_a_csv_source_folder_gone_is_a_503_naming_the_source_not_its_path(sqlite_settings, gone):
    app = make_app(sqlite_settings)
    client = app.test_client()
    folder = sqlite_settings.csv_source_dir
    shutil.rmtree(folder)
    if gone == "a file":
        folder.write_text("not a folder")
    for method, path, kwargs in SOURCE_ROUTES:
        assert_unavailable(call(client, method, path, kwargs), SOURCE_DOWN, str(folder))
    assert_ready(client.get("/health/ready"), ["csv_source"], str(folder))
    assert not folder.is_dir()  # an upload never creates the folder again
    assert client.get("/task-list", headers=AUTH).json["total"] == 0
    app.extensions["hr_services"].close()


@pytest.mark.parametrize("broken", ["a file", "under a file"])
def test_a_backup_folder_that_cannot_be_used_is_a_503_naming_the_store_not_its_path(
    tmp_path, broken
):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    folder = blocker if broken == "a file" else blocker / "backups"
    settings = base_settings(tmp_path, f"sqlite:///{tmp_path / 'hr.sqlite3'}")
    app = make_app(replace(settings, backup_dir=folder))
    client = app.test_client()
    for method, path, kwargs in BACKUP_ROUTES:
        assert_unavailable(
            call(client, method, path, kwargs), BACKUP_STORE_DOWN, str(tmp_path), "blocker"
        )
    assert_ready(client.get("/health/ready"), ["backup_store"], str(tmp_path))
    app.extensions["hr_services"].close()


def test_a_backup_folder_not_made_yet_is_ready_and_empty(sqlite_settings):
    app = make_app(sqlite_settings)
    client = app.test_client()
    assert not sqlite_settings.backup_dir.exists()
    assert_ready(client.get("/health/ready"), [])
    assert client.get("/backups", headers=AUTH).json == {"items": []}
    assert client.post("/restore/jobs", headers=AUTH).status_code == 404
    app.extensions["hr_services"].close()


@pytest.mark.azurite
def test_unreachable_blob_storage_is_a_503_naming_the_part_not_the_account(sqlite_settings):
    """The source's and the backups' containers on a storage account nothing answers for."""
    port = free_port()
    settings = replace(
        sqlite_settings,
        azure_storage_connection_string=connection_string(port),
        azure_storage_container="hr-csv-secret-name",
        azure_backup_container="hr-backups-secret-name",
    )
    app = make_app(settings)
    client = app.test_client()
    private = (str(port), "secret-name")
    assert_unavailable(client.post("/upload-files", headers=AUTH), SOURCE_DOWN, *private)
    assert_unavailable(call(client, *MULTIPART_UPLOAD), SOURCE_DOWN, *private)
    assert_unavailable(client.post("/backup/jobs", headers=AUTH), BACKUP_STORE_DOWN, *private)
    assert_unavailable(client.get("/backups", headers=AUTH), BACKUP_STORE_DOWN, *private)
    assert_ready(client.get("/health/ready"), ["csv_source", "backup_store"], *private)
    app.extensions["hr_services"].close()


@pytest.mark.azurite
def test_a_missing_backup_container_is_a_503(sqlite_settings, azurite_connection_string):
    settings = replace(
        sqlite_settings,
        azure_storage_connection_string=azurite_connection_string,
        azure_storage_container="no-such-source-container",
        azure_backup_container="no-such-backup-container",
    )
    app = make_app(settings)
    client = app.test_client()
    private = ("no-such",)
    assert_unavailable(client.post("/backup/jobs", headers=AUTH), BACKUP_STORE_DOWN, *private)
    assert_unavailable(client.get("/backups", headers=AUTH), BACKUP_STORE_DOWN, *private)
    assert_unavailable(client.post("/upload-files", headers=AUTH), SOURCE_DOWN, *private)
    assert_ready(client.get("/health/ready"), ["csv_source", "backup_store"], *private)
    app.extensions["hr_services"].close()

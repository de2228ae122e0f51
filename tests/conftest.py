"""Fixtures shared by every test: settings, databases, the app and its client.

Tests that need a real service (PostgreSQL, Redis, Azurite) or the historical files in
../shared skip when it is missing, except where REQUIRE_SERVICES (or CI) is set: there a
missing service is a failure.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import Settings
from main import create_app

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT / "Documentation" / "sample_data"
CHALLENGE_DIR = PROJECT.parent / "shared" / "data" / "challenge"
# Tests poll task status many times a second from one address: a limit they never reach.
# (tests/e2e/test_rate_limits.py tests the limit itself.)
GENEROUS_RATE_LIMIT = "1000000 per minute"
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def services_required() -> bool:
    flag = os.environ.get("REQUIRE_SERVICES") or os.environ.get("CI") or ""
    return flag.lower() in ("1", "true", "yes")


def unavailable(what: str) -> None:
    """Skip, or fail where services are required."""
    if services_required():
        pytest.fail(f"{what} (REQUIRE_SERVICES/CI is set, so this is a failure)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at its end."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(POSTGRES_ADMIN_URL)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"hr_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL is not reachable at {admin.host}:{admin.port}: {error}")
    yield admin.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs on SQLite and on PostgreSQL, on an empty database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hr.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    shutil.copytree(SAMPLE_DIR, folder)
    return folder


@pytest.fixture
def settings(database_url: str, source_dir: Path, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        csv_source_dir=source_dir,
        backup_dir=tmp_path / "backups",
        rate_limit=GENEROUS_RATE_LIMIT,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings)
    application.testing = True
    yield application
    application.extensions["hr_services"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def wait_for_task(client: FlaskClient, task_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/task-status/{task_id}")
        assert status.status_code == 200, status.json
        body: dict[str, Any] = status.json
        if body["state"] in ("SUCCESS", "FAILURE", "CANCELLED"):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still {body['state']} after {timeout}s")
        time.sleep(0.05)


def load(client: FlaskClient, path: str = "/upload-files", **kwargs: Any) -> dict[str, Any]:
    """POST a load and wait for its task to end; returns the final task status."""
    response = client.post(path, **kwargs)
    assert response.status_code == 202, response.json
    return wait_for_task(client, response.json["task_id"])


@pytest.fixture(scope="session")
def azurite_connection_string(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.azurite import AZURITE, azurite

    if not AZURITE.exists():
        unavailable("Azurite is not installed: run `npm ci` (make test does)")
    with azurite(tmp_path_factory.mktemp("azurite")) as connection:
        yield connection


@pytest.fixture
def blob_container(azurite_connection_string: str) -> Iterator[Any]:
    """A new, empty container in Azurite, deleted after the test."""
    from azure.storage.blob import ContainerClient

    container = ContainerClient.from_connection_string(
        azurite_connection_string, f"csv-{uuid.uuid4().hex[:12]}"
    )
    container.create_container()
    yield container
    container.delete_container()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis of TEST_REDIS_URL (database 15 by default), emptied for this session."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"Redis is not reachable at {url}: {error}")
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def postgres_database(postgres_url: str) -> str:
    _empty_postgres(postgres_url)
    return postgres_url

"""A load whose PostgreSQL goes away half way, through a TCP proxy whose link is cut: it waits
for the database and ends with every row stored once, or fails once it has waited too long."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from config import Settings
from main import create_app
from tests.conftest import GENEROUS_RATE_LIMIT, wait_for_task
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres

EMPLOYEES = 200_000
REJECTED = EMPLOYEES // 100  # every hundredth row has no job


def write_files(folder: Path) -> None:
    (folder / "departments.csv").write_text("".join(f"{i},Department {i}\n" for i in range(1, 13)))
    (folder / "jobs.csv").write_text("".join(f"{i},Job {i}\n" for i in range(1, 184)))
    with (folder / "hired_employees.csv").open("w") as out:
        for i in range(1, EMPLOYEES + 1):
            job = "" if i % 100 == 0 else str(i % 183 + 1)
            out.write(f"{i},Person {i},2021-{i % 12 + 1:02d}-15T10:00:00Z,{i % 12 + 1},{job}\n")


@pytest.fixture
def proxy(postgres_database: str) -> Iterator[TcpProxy]:
    url = make_url(postgres_database)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as forwarder:
        yield forwarder


@pytest.fixture
def make_app(postgres_database: str, proxy: TcpProxy, tmp_path: Path) -> Iterator[Any]:
    write_files(tmp_path)
    apps: list[Flask] = []

    def make(retry_seconds: float) -> FlaskClient:
        url = make_url(postgres_database).set(host="127.0.0.1", port=proxy.port)
        settings = Settings(
            database_url=url.render_as_string(hide_password=False),
            csv_source_dir=tmp_path,
            backup_dir=tmp_path / "backups",
            load_retry_seconds=retry_seconds,
            rate_limit=GENEROUS_RATE_LIMIT,
        )
        app = create_app(settings)
        apps.append(app)
        client = app.test_client()
        for table in ("departments", "jobs"):
            assert (
                wait_for_task(client, client.post(f"/upload/{table}").json["task_id"])["state"]
                == "SUCCESS"
            )
        return client

    yield make
    for app in apps:
        app.extensions["hr_services"].close()


def cut_mid_load(client: FlaskClient, proxy: TcpProxy) -> str:
    """Start the load of the employees and cut the database's link once a chunk is stored."""
    task_id: str = client.post("/upload/hired_employees").json["task_id"]
    deadline = time.monotonic() + 60
    while True:
        status = client.get(f"/task-status/{task_id}").json
        if status["progress"]["rows_read"] >= 50_000:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.01)
    proxy.cut()
    assert status["state"] == "STARTED"
    assert status["progress"]["rows_read"] < EMPLOYEES
    return task_id


def test_a_load_whose_database_drops_goes_on_when_it_is_back_and_stores_each_row_once(
    make_app, proxy
):
    client = make_app(retry_seconds=60)
    task_id = cut_mid_load(client, proxy)
    time.sleep(2)
    proxy.restore()
    task = wait_for_task(client, task_id, timeout=120)
    assert (task["state"], task["error"], task["attempts"]) == ("SUCCESS", None, 1)
    result = task["result"]
    assert (result["processed"], result["rejected"]) == (EMPLOYEES, REJECTED)
    assert result["inserted"] + result["already_exists"] == EMPLOYEES - REJECTED
    assert result["already_exists"] >= 50_000 - 500  # stored before the cut, found again
    assert task["progress"]["rows_read"] == EMPLOYEES
    assert client.get("/hired-employees?per_page=1").json["total"] == EMPLOYEES - REJECTED
    # the rejections of the attempt cut short were forgotten: each bad row once
    assert client.get(f"/rejections?task_id={task_id}&per_page=1").json["total"] == REJECTED
    services = client.application.extensions["hr_services"]
    assert services.consistency.hire_count_differences() == []
    assert services.listings.rows("hired_employees", 1, 1)[1] == EMPLOYEES - REJECTED


def test_a_load_whose_database_stays_away_past_the_bound_fails_once_it_is_back(make_app, proxy):
    client = make_app(retry_seconds=2)
    task_id = cut_mid_load(client, proxy)
    time.sleep(4)  # past the 2 s the load waits
    proxy.restore()
    task = wait_for_task(client, task_id, timeout=120)
    assert (task["state"], task["error"]) == ("FAILURE", "the database was unreachable for 2 s")
    assert task["result"] is None
    assert task["finished_at"] is not None

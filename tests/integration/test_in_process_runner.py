"""The in-process runner against a real database: tasks whose leases ran out are resumed."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from config import Settings
from infra.db.engine import make_engine
from infra.db.schema import load_tasks
from main import create_app
from tests.conftest import wait_for_task


def leave_started(settings, task_id, expires_at, attempts=1):
    """Put a finished task back as a process killed mid-load leaves it: STARTED, held."""
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(
            update(load_tasks)
            .where(load_tasks.c.id == task_id)
            .values(
                state="STARTED",
                result=None,
                lease_owner="another-host:4242:0123abcd/5678ef90",
                lease_expires_at=expires_at.replace(tzinfo=None),
                attempts=attempts,
            )
        )
    engine.dispose()


def test_a_load_whose_lease_ran_out_is_resumed_by_the_next_process_at_start(settings):
    first = create_app(settings)
    client = first.test_client()
    task_id = client.post("/upload/departments").json["task_id"]
    assert wait_for_task(client, task_id)["attempts"] == 1
    first.extensions["hr_services"].close()
    leave_started(settings, task_id, datetime.now(UTC) - timedelta(seconds=1))

    second = create_app(Settings(**settings.__dict__))
    try:
        task = wait_for_task(second.test_client(), task_id)
        assert (task["state"], task["attempts"]) == ("SUCCESS", 2)
        assert task["result"]["already_exists"] == 14
    finally:
        second.extensions["hr_services"].close()


def test_a_load_whose_lease_still_holds_is_left_to_its_holder(settings):
    first = create_app(settings)
    client = first.test_client()
    task_id = client.post("/upload/departments").json["task_id"]
    wait_for_task(client, task_id)
    first.extensions["hr_services"].close()
    leave_started(settings, task_id, datetime.now(UTC) + timedelta(minutes=5))

    second = create_app(Settings(**settings.__dict__))
    try:
        assert second.extensions["hr_services"].loads.maintain() == []
        task = second.test_client().get(f"/task-status/{task_id}").json
        assert (task["state"], task["attempts"], task["result"]) == ("STARTED", 1, None)
    finally:
        second.extensions["hr_services"].close()


def test_a_process_resumes_a_task_whose_lease_runs_out_while_it_runs(settings):
    app = create_app(Settings(**{**settings.__dict__, "task_lease_seconds": 0.6}))
    try:
        client = app.test_client()
        task_id = client.post("/upload/jobs").json["task_id"]
        wait_for_task(client, task_id)
        leave_started(settings, task_id, datetime.now(UTC) + timedelta(seconds=0.3))
        # the process's upkeep looks every 0.2 s: it finds the lease run out and resumes it
        task = wait_for_task(client, task_id, timeout=10)
        assert (task["state"], task["attempts"]) == ("SUCCESS", 2)
    finally:
        app.extensions["hr_services"].close()


def test_a_load_whose_process_ended_at_each_of_three_attempts_fails(settings):
    first = create_app(settings)
    client = first.test_client()
    task_id = client.post("/upload/departments").json["task_id"]
    wait_for_task(client, task_id)
    first.extensions["hr_services"].close()
    leave_started(settings, task_id, datetime.now(UTC) - timedelta(seconds=1), attempts=3)

    second = create_app(Settings(**settings.__dict__))
    try:
        task = wait_for_task(second.test_client(), task_id)
        assert (task["state"], task["attempts"], task["error"]) == (
            "FAILURE",
            3,
            "stopped after 3 attempts: the process running it ended each time",
        )
    finally:
        second.extensions["hr_services"].close()

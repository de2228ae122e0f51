"""The in-process runner against a real database: tasks left by a stopped process resume."""

import socket
import subprocess
import sys

from sqlalchemy import update

from config import Settings
from infra.db.engine import make_engine
from infra.db.schema import load_tasks
from infra.tasks.in_process import InProcessTaskQueue
from main import create_app
from tests.conftest import wait_for_task


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_process_never_counts_itself_or_other_hosts_as_gone():
    queue = InProcessTaskQueue(lambda task_id: None)
    try:
        assert not queue.gone(queue.runner)
        assert not queue.gone(f"in-process:another-host:{dead_pid()}")
        assert not queue.gone("celery")
        assert queue.gone(f"in-process:{socket.gethostname()}:{dead_pid()}")
    finally:
        queue.shutdown()


def test_a_load_left_unfinished_by_a_stopped_process_is_resumed_at_start(settings):
    first = create_app(settings)
    client = first.test_client()
    task_id = client.post("/upload/departments").json["task_id"]
    wait_for_task(client, task_id)
    first.extensions["hr_services"].close()
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:  # as a process killed mid-load leaves it
        conn.execute(
            update(load_tasks)
            .where(load_tasks.c.id == task_id)
            .values(
                state="STARTED",
                runner=f"in-process:{socket.gethostname()}:{dead_pid()}",
                result=None,
            )
        )
    engine.dispose()

    second = create_app(Settings(**settings.__dict__))
    try:
        task = wait_for_task(second.test_client(), task_id)
        assert task["state"] == "SUCCESS"
        assert task["result"]["already_exists"] == 14
    finally:
        second.extensions["hr_services"].close()

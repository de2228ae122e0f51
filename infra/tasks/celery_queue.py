"""Load tasks on Celery workers through a broker (Redis), in the Flask pattern.

Task records stay in the SQL database: Celery only carries the task id. Acks are late and
a task whose worker dies is given to another worker, so a load may run twice: loads are
idempotent, and a task already finished is not run again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from flask import Flask

LOAD_TASK = "hr.load"
QUEUE = "hr-loads"


def make_celery(broker_url: str, visibility_timeout: int) -> Celery:
    celery = Celery("hr_migration")
    celery.conf.update(
        broker_url=broker_url,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=QUEUE,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": visibility_timeout},
        worker_hijack_root_logger=False,
    )
    return celery


def celery_init_app(app: Flask, celery: Celery, run: Callable[[str, int | None], None]) -> Celery:
    """Bind celery to app: tasks run inside the app context and call run(task_id, part)."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery.Task = FlaskTask

    @celery.task(name=LOAD_TASK, bind=True)  # type: ignore[untyped-decorator]
    def load(self: Task, task_id: str, part: int | None = None) -> None:
        run(task_id, part)

    celery.set_default()
    app.extensions["celery"] = celery
    return celery


class CeleryTaskQueue:
    """The broker keeps a task until a worker has finished it: nothing to resume here."""

    runner = "celery"

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def gone(self, runner: str) -> bool:
        return False

    def enqueue(self, task_id: str, part: int | None = None) -> None:
        self.celery.send_task(LOAD_TASK, args=[task_id, part], queue=QUEUE)

    def check(self) -> None:
        with self.celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)

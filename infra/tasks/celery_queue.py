"""Load tasks on Celery workers through a broker (Redis), in the Flask pattern.

Task records stay in the SQL database: Celery only carries the task id. Acks are late and
a task whose worker dies is given to another worker; a run starts only if it gets the task's
lease, so a task delivered twice runs once at a time. A worker that starts, and every third
of a lease after, queues again the tasks whose leases have run out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from celery.signals import worker_ready, worker_shutdown
from flask import Flask
from kombu.exceptions import KombuError

from core.errors import QueueUnavailable

LOAD_TASK = "hr.load"
log = logging.getLogger(__name__)
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


def celery_init_app(
    app: Flask,
    celery: Celery,
    run: Callable[[str, int | None], None],
    keep_leases: Callable[[], Callable[[], None]],
) -> Celery:
    """Bind celery to app: tasks run inside the app context and call run(task_id, part); a
    worker of this app calls keep_leases() once it is ready, and the function it returns as
    it shuts down."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery.Task = FlaskTask

    @celery.task(name=LOAD_TASK, bind=True)  # type: ignore[untyped-decorator]
    def load(self: Task, task_id: str, part: int | None = None) -> None:
        run(task_id, part)

    stops: list[Callable[[], None]] = []

    def ready(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is celery:
            stops.append(keep_leases())

    def shutdown(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is celery:
            while stops:
                stops.pop()()

    worker_ready.connect(ready, weak=False)
    worker_shutdown.connect(shutdown, weak=False)
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


class CeleryTaskQueue:
    """The broker keeps a task until a worker has finished it."""

    runner = "celery"
    durable = True

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def enqueue(self, task_id: str, part: int | None = None) -> None:
        try:
            self.celery.send_task(LOAD_TASK, args=[task_id, part], queue=QUEUE)
        except (KombuError, OSError) as error:
            raise _unreachable(error) from error

    def check(self) -> None:
        try:
            with self.celery.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=3)
        except (KombuError, OSError) as error:
            raise _unreachable(error) from error


def _unreachable(error: Exception) -> QueueUnavailable:
    """The broker's own message (its address) goes to the log only."""
    log.warning("task queue unreachable: %s", error)
    return QueueUnavailable()

"""Runs load tasks on a thread pool inside the web process: the default with no broker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class InProcessTaskQueue:
    """Queued tasks live in this process's memory, held under its lease: should the process
    stop, their leases run out and another process takes them over."""

    runner = "in-process"
    durable = False

    def __init__(self, workers: int = 2) -> None:
        self._run: Callable[[str, int | None], None] | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="load-task")

    def serve(self, run: Callable[[str, int | None], None]) -> None:
        """Run queued tasks with run(task_id, part): the use case that the queue serves."""
        self._run = run

    def enqueue(self, task_id: str, part: int | None = None) -> None:
        if self._run is None:
            raise RuntimeError("the in-process queue serves no runner yet: call serve() first")
        self._pool.submit(self._run, task_id, part).add_done_callback(_log_error)

    def check(self) -> None:
        """A thread pool in this process is always there."""

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


def _log_error(future: Future[None]) -> None:
    error = future.exception()
    if error is not None:
        log.error("load task crashed", exc_info=error)

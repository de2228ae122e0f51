"""Runs load tasks on a thread pool inside the web process: the default with no broker."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


PREFIX = "in-process"


class InProcessTaskQueue:
    """Tasks are lost with the process: another process on the host resumes them."""

    def __init__(self, run: Callable[[str, int | None], None], workers: int = 2) -> None:
        self._run = run
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="load-task")
        self.runner = f"{PREFIX}:{socket.gethostname()}:{os.getpid()}"

    def gone(self, runner: str) -> bool:
        """An in-process runner of this host whose process no longer exists."""
        kind, _, rest = runner.partition(":")
        host, _, pid = rest.rpartition(":")
        if kind != PREFIX or host != socket.gethostname() or not pid.isdigit():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def enqueue(self, task_id: str, part: int | None = None) -> None:
        self._pool.submit(self._run, task_id, part).add_done_callback(_log_error)

    def check(self) -> None:
        """A thread pool in this process is always there."""

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


def _log_error(future: Future[None]) -> None:
    error = future.exception()
    if error is not None:
        log.error("load task crashed", exc_info=error)

"""One writing transaction at a time on a SQLite database, queued rather than polled.

SQLite lets one transaction write at a time. One that finds the database locked sleeps and
tries again, sleeping longer each time, up to 100 ms: under a few busy writers, a transaction
of 10 ms can wait ten times as long while the database is free. The units of work of this
service queue on a lock instead, which wakes the next writer as soon as the last one is done:
a thread lock among the threads of a process, and an flock on a file beside the database
among processes (where the system has flock).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

try:
    import fcntl
except ImportError:  # no flock here: the threads of a process still queue
    fcntl = None  # type: ignore[assignment]

LOCK_FILE_SUFFIX = "-writer"

log = logging.getLogger(__name__)


class WriterQueue:
    """The queue of writers of one SQLite database file (or of an in-memory database)."""

    def __init__(self, database: str | None) -> None:
        self.lock_path = (
            None if _in_memory(database) or fcntl is None else f"{database}{LOCK_FILE_SUFFIX}"
        )
        self._threads = threading.RLock()
        self._file: IO[bytes] | None = None
        self._depth = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this writer's turn and hold it; a thread may nest its turns."""
        with self._threads:
            outermost = self._depth == 0
            if outermost:
                self._lock_file(True)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if outermost:
                    self._lock_file(False)

    def _lock_file(self, lock: bool) -> None:
        if self.lock_path is None or fcntl is None:
            return
        try:
            if self._file is None:
                self._file = open(self.lock_path, "ab")  # noqa: SIM115 - kept open
            fcntl.flock(self._file, fcntl.LOCK_EX if lock else fcntl.LOCK_UN)
        except OSError as error:
            if not lock:
                raise
            # A file system without flock (some network shares): the threads of this
            # process still queue; other processes wait in SQLite's busy handler.
            log.warning("no lock file for SQLite writers at %s: %s", self.lock_path, error)
            self.lock_path = None

    def after_fork(self) -> None:
        """A forked process starts with a lock and a file of its own.

        A child shares its parent's open file, and with it the parent's flock; and it may
        inherit the thread lock held by a thread that it does not have.
        """
        self._threads = threading.RLock()
        if self._file is not None:
            self._file.close()  # the parent's flock stays: the parent still has the file
            self._file = None
        self._depth = 0


def _in_memory(database: str | None) -> bool:
    return not database or database == ":memory:" or database.startswith("file::memory:")


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def writer_queue(database: str | None) -> WriterQueue:
    """The queue of a database file, shared by every engine of this process on it."""
    key = ":memory:" if _in_memory(database) else os.path.abspath(database or "")
    with _queues_lock:
        if key not in _queues:
            _queues[key] = WriterQueue(database)
        return _queues[key]


def _after_fork() -> None:
    global _queues_lock
    _queues_lock = threading.Lock()
    for queue in _queues.values():
        queue.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)

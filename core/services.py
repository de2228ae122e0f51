"""What the composition root hands to the entry points: the use cases."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from core.audit import AuditTrail
from core.backups import Backups
from core.batches import Batches
from core.consistency import Consistency
from core.idempotency import Idempotency
from core.listings import Listings
from core.ports import BackupStore, CsvSource, ReadModel, TaskQueue
from core.reports import Reports
from core.source_files import SourceFiles
from core.tasks import LoadTasks

log = logging.getLogger(__name__)


class Once:
    """Work that must have succeeded once before the service can answer from its database
    (migrations, resuming orphaned loads). Tried at startup; until it succeeds (the database
    unreachable), every call tries it again and raises what it raised."""

    def __init__(self, work: Callable[[], None]) -> None:
        self._work = work
        self._done = False
        self._lock = threading.Lock()

    def __call__(self) -> None:
        if self._done:
            return
        with self._lock:
            if not self._done:
                self._work()
                self._done = True


def _nothing() -> None:
    """Nothing to prepare."""


@dataclass
class Readiness:
    """Whether each part the service needs can be reached."""

    database: ReadModel
    source: CsvSource
    backup_store: BackupStore
    queue: TaskQueue
    prepare: Callable[[], None] = _nothing

    def parts(self) -> dict[str, str]:
        """'ok' or 'down' for each part; why a part is down is logged."""
        checks = {
            "database": self._check_database,
            "csv_source": self.source.check,
            "backup_store": self.backup_store.check,
            "task_queue": self.queue.check,
        }
        status: dict[str, str] = {}
        for name, check in checks.items():
            try:
                check()
                status[name] = "ok"
            except Exception as error:  # noqa: BLE001 - every failure is reported by name
                cause = error.__cause__ or error.__context__
                log.warning(
                    "not ready: %s is down: %s: %s%s",
                    name,
                    type(error).__name__,
                    error,
                    f" ({type(cause).__name__}: {cause})" if cause is not None else "",
                )
                status[name] = "down"
        return status

    def _check_database(self) -> None:
        self.prepare()
        self.database.check()


@dataclass
class Services:
    """The use cases, each built once by the composition root; what entry points call."""

    loads: LoadTasks
    batches: Batches
    reports: Reports
    listings: Listings
    backups: Backups
    consistency: Consistency
    source_files: SourceFiles
    readiness: Readiness
    idempotency: Idempotency
    audit: AuditTrail
    closers: list[Callable[[], None]] = field(default_factory=list)
    # Makes the database ready (schema migrated) if it is not yet; raises
    # DatabaseUnavailable while it cannot be reached.
    prepare: Callable[[], None] = _nothing

    def close(self) -> None:
        """Let running tasks finish and release connections."""
        for close in self.closers:
            close()

"""What the composition root hands to the entry points: the use cases and their ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.backups import Backups
from core.ports import CsvSource, ReadModel, ReportQueries, TaskQueue, UnitOfWorkFactory
from core.tasks import LoadTasks


@dataclass
class Services:
    uow_factory: UnitOfWorkFactory
    loads: LoadTasks
    reports: ReportQueries
    read_model: ReadModel
    source: CsvSource
    queue: TaskQueue
    backups: Backups
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Let running tasks finish and release connections."""
        for close in self.closers:
            close()

    def health(self) -> dict[str, str]:
        """'ok' or the error of each part the service needs."""
        checks = {
            "database": self.read_model.check,
            "csv_source": self.source.check,
            "task_queue": self.queue.check,
        }
        status: dict[str, str] = {}
        for name, check in checks.items():
            try:
                check()
                status[name] = "ok"
            except Exception as error:  # noqa: BLE001 - every failure is reported by name
                status[name] = f"unavailable: {type(error).__name__}: {error}"
        return status

"""The ports of the core: what it needs from databases, storage and task runners."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import IO, Any, Protocol, Self

from domain.backups import BackupInfo, BackupMeta
from domain.rejections import Rejection
from domain.reports import HireKey
from domain.tables import TableSpec
from domain.validation_types import Values


@dataclass(frozen=True)
class Origin:
    """Where rows came from: a load task or a JSON batch."""

    task_id: str | None = None
    batch_id: str | None = None


class RowRepository(Protocol):
    def ids(self, table: str) -> set[int]: ...

    def existing(self, table: str, ids: Collection[int]) -> dict[int, Values]: ...

    def insert(self, table: str, rows: Sequence[Values]) -> None:
        """Insert rows whose ids are not stored; raise ConcurrentWrite if one is.

        Rows of hired_employees add to the hires per department, job, year and quarter
        that the reports read, in the same transaction.
        """

    def insert_new(self, table: str, rows: Sequence[Values]) -> set[int]:
        """Insert the rows whose ids are not stored, nor being stored by another writer
        (waiting for it to end); return the ids this call inserted. Hire counts as insert's.

        Raise ConcurrentWrite only where the database broke a deadlock.
        """

    def hire_counts(self) -> Counter[HireKey]:
        """The stored hires per department, job, year and quarter that the reports read."""

    def scan(self, table: str) -> Iterator[Values]:
        """Every row of table by id, streamed."""

    def referenced(self, table: str, column: str) -> set[int]:
        """The distinct values of a reference column."""

    def delete_all(self, table: str) -> None: ...

    def delete_hire_counts(self) -> None: ...


class RejectionRepository(Protocol):
    def add(self, rejections: Sequence[Rejection], origin: Origin) -> None: ...

    def forget(self, origin: Origin, lines: tuple[int, int | None] | None = None) -> None:
        """Delete what an earlier attempt of the same task stored (on those lines only)."""


class UnitOfWork(Protocol):
    """One transaction: nothing is kept unless commit() is called."""

    @property
    def rows(self) -> RowRepository: ...

    @property
    def rejections(self) -> RejectionRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, snapshot: bool = False, exclusive: bool = False) -> UnitOfWork:
        """A new unit of work; with snapshot, every read in it sees the same data.

        A unit of work that writes holds the data tables against restores; an exclusive one
        (a restore) holds them alone: writes wait for it, and it for writes, within bounds
        (RestoreInProgress, WritesInProgress past them).
        """


class CsvSource(Protocol):
    """Where the CSV files are: a local folder or a blob container."""

    def open(
        self, name: str, start: int = 0, end: int | None = None
    ) -> AbstractContextManager[IO[bytes]]:
        """A binary stream of the file, or of bytes start..end of it; raise
        SourceFileNotFound if there is none."""

    def exists(self, name: str) -> bool: ...

    def size(self, name: str) -> int: ...

    def save(self, name: str, stream: IO[bytes]) -> None: ...

    def check(self) -> None:
        """Raise SourceUnavailable if the source cannot be reached."""


@dataclass
class TaskRecord:
    id: str
    table: str
    source: str
    state: str = "PENDING"
    rows_read: int = 0
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    runner: str | None = None


@dataclass
class PartRecord:
    task_id: str
    part: int
    start: int
    end: int | None
    first_line: int
    state: str = "PENDING"
    rows_read: int = 0
    result: dict[str, Any] | None = None


class TaskStore(Protocol):
    def create(self, task: TaskRecord) -> None: ...

    def get(self, task_id: str) -> TaskRecord | None: ...

    def started(self, task_id: str, at: datetime) -> None: ...

    def progress(self, task_id: str, rows_read: int) -> None: ...

    def finished(self, task_id: str, at: datetime, result: dict[str, Any]) -> None: ...

    def failed(self, task_id: str, at: datetime, error: str) -> None: ...

    def page(self, page: int, per_page: int) -> tuple[list[TaskRecord], int]: ...

    def unfinished(self) -> list[TaskRecord]:
        """Tasks PENDING or STARTED."""

    def claim(self, task_id: str, old_runner: str | None, new_runner: str) -> bool:
        """Give the task to new_runner if old_runner still has it; True if this call did."""

    def add_parts(self, parts: Sequence[PartRecord]) -> None: ...

    def parts(self, task_id: str) -> list[PartRecord]: ...

    def part_progress(self, task_id: str, part: int, rows_read: int) -> None:
        """Record a part's rows read; the task's rows read become the sum of its parts'."""

    def finish_part(
        self, task_id: str, part: int, result: dict[str, Any]
    ) -> list[PartRecord] | None:
        """Record a part's result; return every part if this was the last to finish.

        Parts finishing at once are serialised, so exactly one sees all of them done.
        """


class TaskQueue(Protocol):
    runner: str  # who runs the tasks queued here, recorded with each task

    def enqueue(self, task_id: str, part: int | None = None) -> None: ...

    def gone(self, runner: str) -> bool:
        """True if runner is known to have stopped, with the tasks it held."""

    def check(self) -> None:
        """Raise if the queue cannot take tasks."""


@dataclass(frozen=True)
class QuarterCounts:
    department: str
    job: str
    q1: int
    q2: int
    q3: int
    q4: int


@dataclass(frozen=True)
class DepartmentHires:
    id: int
    department: str
    hired: int


class ReportQueries(Protocol):
    def hires_by_quarter(self, year: int) -> list[QuarterCounts]:
        """Hires of the year per (department, job) with any, one count a quarter."""

    def hires_by_department(self, year: int) -> list[DepartmentHires]:
        """Hires of the year per department with any."""


@dataclass(frozen=True)
class RejectionFilter:
    table: str | None = None
    task_id: str | None = None
    batch_id: str | None = None


class ReadModel(Protocol):
    """Plain listings of what is stored."""

    def rows(self, table: str, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]: ...

    def rejections(
        self, where: RejectionFilter, page: int, per_page: int
    ) -> tuple[list[dict[str, Any]], int]: ...

    def check(self) -> None:
        """Raise DatabaseUnavailable if the database cannot be reached."""


class BackupFile(Protocol):
    meta: BackupMeta

    def rows(self) -> Iterator[Values]:
        """The rows of the file, streamed; raise InvalidBackup if the file is damaged."""


class BackupStore(Protocol):
    """Where backups are kept (a folder or a blob container), in their file format."""

    def write(self, name: str, spec: TableSpec, meta: BackupMeta, rows: Iterable[Values]) -> int:
        """Write a new backup (never over another); returns its size in bytes."""

    def read(self, name: str) -> AbstractContextManager[BackupFile]:
        """Open a backup; raise NotFound, or InvalidBackup if its header cannot be read."""

    def list(self) -> list[BackupInfo]: ...

    def check(self) -> None:
        """Raise BackupStoreUnavailable if the store cannot be reached."""

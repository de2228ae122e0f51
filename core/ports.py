"""The ports of the core: what it needs from databases, storage and task runners."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import IO, Any, NamedTuple, Protocol, Self

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
        """Insert rows whose ids are not stored; raise ConcurrentWrite if one is."""

    def insert_new(self, table: str, rows: Sequence[Values]) -> set[int]:
        """Insert the rows whose ids are not stored, nor being stored by another writer
        (waiting for it to end); return the ids this call inserted.

        Raise ConcurrentWrite only where the database broke a deadlock.
        """

    def scan(self, table: str) -> Iterator[Values]:
        """Every row of table by id, streamed."""

    def referenced(self, table: str, column: str) -> set[int]:
        """The distinct values of a reference column."""

    def delete_all(self, table: str) -> None: ...


class HireCounts(Protocol):
    """The report summary: hires per department, job, year and quarter.

    Core keeps it equal to the aggregate of the stored employees, in the transaction that
    changes them; the report queries read it.
    """

    def add(self, counts: Mapping[HireKey, int]) -> None:
        """Add to the stored counts; raise ConcurrentWrite where the database broke a deadlock."""

    def clear(self) -> None: ...

    def all(self) -> Counter[HireKey]:
        """Every stored count (zeros left out)."""


class RejectionRepository(Protocol):
    def add(self, rejections: Sequence[Rejection], origin: Origin) -> None: ...

    def forget(self, origin: Origin, lines: tuple[int, int | None] | None = None) -> None:
        """Delete what an earlier attempt of the same task stored (on those lines only)."""


@dataclass(frozen=True)
class AuditEntry:
    """A row of the audit trail: who did or read what, through which request, and how it
    ended (the HTTP status answered)."""

    at: datetime
    action: str
    route: str  # the method and path (with its query) of the request
    outcome: int
    key_name: str | None = None
    role: str | None = None
    target: str | None = None  # a table, a task id or a batch id
    request_id: str | None = None
    rows: dict[str, Any] | None = None  # counts: inserted, rejected, restored, returned...
    id: int | None = None  # given by the log


class AuditRepository(Protocol):
    """The audit trail, within a unit of work: a row written with the change it records."""

    def add(self, entry: AuditEntry) -> None: ...


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    key_name: str | None = None
    since: datetime | None = None  # at or after
    until: datetime | None = None  # before


class AuditLog(Protocol):
    """The audit trail, in transactions of its own."""

    def add(self, entry: AuditEntry) -> None: ...

    def page(self, where: AuditFilter, page: int, per_page: int) -> tuple[list[AuditEntry], int]:
        """Entries, newest first, and how many match in all."""


class UnitOfWork(Protocol):
    """One transaction: nothing is kept unless commit() is called."""

    @property
    def rows(self) -> RowRepository: ...

    @property
    def rejections(self) -> RejectionRepository: ...

    @property
    def hire_counts(self) -> HireCounts: ...

    @property
    def audit(self) -> AuditRepository: ...

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

    def delete(self, name: str) -> None:
        """Remove a file, if it is there."""

    def check(self) -> None:
        """Raise SourceUnavailable if the source cannot be reached."""

    def create(self) -> bool:
        """Create the source (its container or folder) if it is missing; True if it was."""


class Progress(NamedTuple):
    """How far a load has got: the records it has processed (stored or rejected), and the
    bytes of its file read to get there, line ends included."""

    rows_read: int
    bytes_read: int


ACTIVE = ("PENDING", "STARTED")  # the states of a task (or part) that has yet to end
FINISHED = ("SUCCESS", "FAILURE", "CANCELLED")  # the states of one that ended


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
    # Bytes of its files read so far, and their sizes (None: not known); a split task's are
    # the sums of its parts'.
    bytes_read: int = 0
    bytes_total: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    runner: str | None = None  # the kind of queue it was submitted to
    # Who holds the task while it is PENDING or STARTED, until when: a process that runs it,
    # or that holds it queued in its memory. None: the broker holds it (or, once split, its
    # parts do). A lease that has run out is taken over by any process.
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    attempts: int = 0  # times a process has started it


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
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    attempts: int = 0
    bytes_read: int = 0
    bytes_total: int | None = None  # the size of its byte range


@dataclass(frozen=True)
class Lease:
    """The lease on a task, or on one part of it (part is None for the task itself)."""

    task_id: str
    part: int | None
    owner: str | None
    expires_at: datetime | None
    attempts: int


class TaskStore(Protocol):
    """Task records. A lease is held by an owner (a name unique to a process, or to one
    run in it) until a moment; every change of a lease is one conditional update, so
    that of processes trying at once exactly one gets it."""

    def create(self, task: TaskRecord, audit: AuditEntry | None = None) -> None:
        """Record a new task, and the audit entry of its submission in the same transaction."""

    def delete(self, task_id: str, audit: AuditEntry | None = None) -> None:
        """Remove a task that could not be queued, with its parts; record the audit entry
        of its withdrawal in the same transaction."""

    def get(self, task_id: str) -> TaskRecord | None: ...

    def page(self, page: int, per_page: int) -> tuple[list[TaskRecord], int]: ...

    def state_counts(self) -> dict[str, int]:
        """How many tasks there are in each state (states with none left out)."""

    def unfinished(self) -> list[TaskRecord]:
        """Tasks PENDING or STARTED."""

    def hold(
        self, task_id: str, part: int | None, owner: str, now: datetime, expires: datetime
    ) -> bool:
        """Give owner the lease of a task (or part) PENDING or STARTED that nobody holds, that
        owner holds, or whose lease ran out before now; True if this call did."""

    def claim(
        self,
        task_id: str,
        part: int | None,
        owner: str,
        queued_by: str,
        now: datetime,
        expires: datetime,
        limit: int,
    ) -> int | None:
        """Start a task (or part): STARTED, held by owner, one more attempt, if it is PENDING
        or STARTED, was started fewer than limit times, and nobody holds it, queued_by does
        (it was queued in that process), or its lease ran out before now. The attempts made
        so far, this one included; None if it is not to be run here.

        A task started is started at now; a run reads its file from the start, so the rows
        and bytes read are those of its parts that succeeded (none unless it is split); a
        part's are 0, and its task's their sums."""

    def renew(self, task_id: str, part: int | None, owner: str, expires: datetime) -> bool:
        """Extend owner's lease of a task (or part) still PENDING or STARTED; False if owner
        no longer holds it (it was cancelled, or taken over)."""

    def renew_held(self, owner: str, expires: datetime) -> None:
        """Extend every lease owner holds on tasks and parts PENDING or STARTED."""

    def release(self, task_id: str, part: int | None, owner: str) -> None:
        """End owner's lease, if it still holds it."""

    def expired(self, now: datetime) -> list[Lease]:
        """The leases of tasks and parts PENDING or STARTED that ran out before now."""

    def take_over(
        self, lease: Lease, owner: str | None, now: datetime, expires: datetime | None
    ) -> bool:
        """Hand a lease that ran out (still as it was read) to owner (None: to the broker);
        True if this call did."""

    def progress(
        self, task_id: str, read: Progress, bytes_total: int | None, owner: str, expires: datetime
    ) -> bool:
        """Record the rows and bytes read by owner, of bytes_total, in one update, which
        renews its lease; False if owner no longer holds the task STARTED."""

    def finished(
        self, task_id: str, at: datetime, result: dict[str, Any], owner: str | None
    ) -> bool:
        """SUCCESS, if owner holds the task STARTED (None: nobody does, as a split task whose
        parts ran it); the lease ends. False if it did not (cancelled, or taken over)."""

    def failed(
        self,
        task_id: str,
        at: datetime,
        error: str,
        owner: str | None = None,
        part: int | None = None,
    ) -> bool:
        """FAILURE with error, if the task is PENDING or STARTED and, if owner is given,
        owner holds it (or that part of it); its unfinished parts fail too. True if this
        call ended it."""

    def cancel(
        self,
        task_id: str,
        at: datetime,
        combine: Callable[[list[PartRecord]], dict[str, Any] | None],
        audit: AuditEntry | None = None,
    ) -> bool:
        """CANCELLED, with its unfinished parts, if the task is PENDING or STARTED; True if
        this call did. A split task's result becomes combine(its parts), and the audit entry
        is recorded, in the same transaction. The leases stay, so that the runs stopping
        record what they stored."""

    def stopped(self, task_id: str, result: dict[str, Any], read: Progress, owner: str) -> bool:
        """Record what a cancelled task's run had stored and read, if owner ran it; its
        lease ends."""

    def part_stopped(
        self,
        task_id: str,
        part: int,
        result: dict[str, Any],
        read: Progress,
        owner: str,
        combine: Callable[[list[PartRecord]], dict[str, Any] | None],
    ) -> bool:
        """Record what the run of a cancelled part had stored and read, if owner ran it,
        and make the task's result combine(its parts), its rows and bytes read their sums;
        serialised like finish_part."""

    def retry(
        self,
        task_id: str,
        owner: str | None,
        expires: datetime | None,
        audit: AuditEntry | None = None,
    ) -> bool:
        """PENDING again, attempts and result cleared, held by owner until expires (None:
        by the broker), if the task ended FAILURE or CANCELLED; its parts that did not
        succeed are PENDING again too, nothing read (they keep no lease), and its rows and
        bytes read are those of the parts that did; the audit entry is recorded in the same
        transaction. True if this call did."""

    def add_parts(self, parts: Sequence[PartRecord]) -> None:
        """Store the parts of a task; its bytes_total becomes the sum of theirs."""

    def parts(self, task_id: str) -> list[PartRecord]: ...

    def part_progress(
        self, task_id: str, part: int, read: Progress, owner: str, expires: datetime
    ) -> bool:
        """Record a part's rows and bytes read and renew owner's lease of it; the task's
        become the sums of its parts'. False if owner no longer holds the part STARTED."""

    def finish_part(
        self, task_id: str, part: int, result: dict[str, Any], owner: str
    ) -> list[PartRecord] | None:
        """Record a part's result if owner holds it STARTED, and return every part; None
        if owner does not hold it.

        Parts finishing at once are serialised, so exactly one sees all of them done.
        """


class TaskQueue(Protocol):
    runner: str  # the kind of queue, recorded with each task
    durable: bool  # True: queued tasks outlive this process (a broker keeps them)

    def enqueue(self, task_id: str, part: int | None = None) -> None:
        """Queue a run of the task (or part); raise QueueUnavailable if it cannot be."""

    def check(self) -> None:
        """Raise QueueUnavailable if the queue cannot take tasks."""


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

    def rejection_counts(self) -> list[tuple[str, str, int]]:
        """How many rows were rejected, by table and reason: (table, reason, count)."""

    def latest_rejections(self, limit: int) -> list[dict[str, Any]]:
        """The limit rejections stored last, newest first."""

    def check(self) -> None:
        """Raise DatabaseUnavailable if the database cannot be reached."""


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given to the first request sent with an idempotency key, to be replayed."""

    status: int
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class KeyRecord:
    """What is recorded of an idempotency key: the fingerprint of the request that took it,
    and its answer (None while that request runs)."""

    fingerprint: str
    answer: StoredAnswer | None


class IdempotencyStore(Protocol):
    """Idempotency keys, each unique within its scope (the caller's API key name)."""

    def claim(
        self, scope: str, key: str, fingerprint: str, now: datetime, expires: datetime
    ) -> KeyRecord | None:
        """Record the key as taken by a running request, until expires: None if this call
        did; else what is recorded of it. Of requests claiming one key at once, exactly one
        takes it. A key recorded until before now is taken afresh."""

    def finish(self, scope: str, key: str, answer: StoredAnswer) -> None:
        """Record the answer of the request that took the key."""

    def release(self, scope: str, key: str) -> None:
        """Forget a key whose request has no answer to keep, so it may be sent again."""

    def sweep(self, now: datetime) -> int:
        """Delete the keys recorded until before now; returns how many."""


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

    def create(self) -> bool:
        """Create the store (its container or folder) if it is missing; True if it was."""

    def check(self) -> None:
        """Raise BackupStoreUnavailable if the store cannot be reached."""

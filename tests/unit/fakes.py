"""State-keeping fakes of the core's ports."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import IO, Any, Self

from core.errors import QueueUnavailable, SourceFileNotFound
from core.ports import (
    ACTIVE,
    AuditEntry,
    AuditFilter,
    KeyRecord,
    Lease,
    Origin,
    PartRecord,
    Progress,
    StoredAnswer,
    TaskRecord,
)
from domain.rejections import Rejection
from domain.reports import HireKey
from domain.tables import TABLES
from domain.validation_types import Values


class FakeDatabase:
    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Values]] = {name: {} for name in TABLES}
        self.rejections: list[tuple[Rejection, Origin]] = []
        self.hire_counts: Counter[HireKey] = Counter()
        self.audit: list[AuditEntry] = []
        self.commits = 0


class FakeRows:
    def __init__(self, pending: dict[str, dict[int, Values]]) -> None:
        self.pending = pending

    def scan(self, table: str) -> Iterator[Values]:
        yield from (self.pending[table][i] for i in sorted(self.pending[table]))

    def referenced(self, table: str, column: str) -> set[int]:
        position = TABLES[table].column_names.index(column)
        return {row[position] for row in self.pending[table].values()}

    def delete_all(self, table: str) -> None:
        self.pending[table].clear()

    def ids(self, table: str) -> set[int]:
        return set(self.pending[table])

    def existing(self, table: str, ids: Collection[int]) -> dict[int, Values]:
        return {i: self.pending[table][i] for i in ids if i in self.pending[table]}

    def insert_new(self, table: str, rows: Sequence[Values]) -> set[int]:
        new = [row for row in rows if row[0] not in self.pending[table]]
        self.insert(table, new)
        return {row[0] for row in new}

    def insert(self, table: str, rows: Sequence[Values]) -> None:
        for row in rows:
            assert row[0] not in self.pending[table], f"id {row[0]} inserted twice"
            self.pending[table][row[0]] = row


class FakeHireCounts:
    def __init__(self, counts: Counter[HireKey]) -> None:
        self.counts = counts

    def add(self, counts: Mapping[HireKey, int]) -> None:
        self.counts.update(counts)

    def clear(self) -> None:
        self.counts.clear()

    def all(self) -> Counter[HireKey]:
        return +self.counts


class FakeRejections:
    def __init__(self, pending: list[tuple[Rejection, Origin]]) -> None:
        self.pending = pending

    def add(self, rejections: Sequence[Rejection], origin: Origin) -> None:
        self.pending.extend((r, origin) for r in rejections)

    def forget(self, origin: Origin, lines: tuple[int, int | None] | None = None) -> None:
        def kept(rejection: Rejection, o: Origin) -> bool:
            if o != origin:
                return True
            if lines is None or rejection.line is None:
                return False
            first, last = lines
            return not (first <= rejection.line and (last is None or rejection.line <= last))

        self.pending[:] = [(r, o) for r, o in self.pending if kept(r, o)]


class FakeAudit:
    def __init__(self, pending: list[AuditEntry]) -> None:
        self.pending = pending

    def add(self, entry: AuditEntry) -> None:
        self.pending.append(entry)


class FakeAuditLog:
    """The audit trail in its own transactions."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def add(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def page(self, where: AuditFilter, page: int, per_page: int) -> tuple[list[AuditEntry], int]:
        found = [
            e
            for e in reversed(self.entries)
            if (where.action is None or e.action == where.action)
            and (where.key_name is None or e.key_name == where.key_name)
            and (where.since is None or e.at >= where.since)
            and (where.until is None or e.at < where.until)
        ]
        return found[(page - 1) * per_page : page * per_page], len(found)


class FakeUnitOfWork:
    """Keeps changes apart until commit(), like a transaction."""

    def __init__(self, db: FakeDatabase, snapshot: bool = False, exclusive: bool = False) -> None:
        self.db = db
        self.exclusive = exclusive

    def __enter__(self) -> Self:
        self._tables = {name: dict(rows) for name, rows in self.db.tables.items()}
        self._rejections = list(self.db.rejections)
        self._counts = Counter(self.db.hire_counts)
        self._audit = list(self.db.audit)
        self.rows = FakeRows(self._tables)
        self.rejections = FakeRejections(self._rejections)
        self.hire_counts = FakeHireCounts(self._counts)
        self.audit = FakeAudit(self._audit)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass

    def commit(self) -> None:
        self.db.tables = self._tables
        self.db.rejections = self._rejections
        self.db.hire_counts = self._counts
        self.db.audit = self._audit
        self.db.commits += 1


class FakeSource:
    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files = dict(files or {})

    @contextmanager
    def open(self, name: str, start: int = 0, end: int | None = None) -> Iterator[IO[bytes]]:
        if name not in self.files:
            raise SourceFileNotFound(f"{name} missing")
        yield io.BytesIO(self.files[name][start:end])

    def size(self, name: str) -> int:
        if name not in self.files:
            raise SourceFileNotFound(f"{name} missing")
        return len(self.files[name])

    def exists(self, name: str) -> bool:
        return name in self.files

    def save(self, name: str, stream: IO[bytes]) -> None:
        self.files[name] = stream.read()

    def delete(self, name: str) -> None:
        self.files.pop(name, None)

    def create(self) -> bool:
        return False

    def check(self) -> None:
        pass


class FakeTaskStore:
    """Task records in memory, with the conditions of the SQL store's updates."""

    def __init__(self) -> None:
        self.tasks: dict[str, TaskRecord] = {}
        self.part_records: dict[tuple[str, int], PartRecord] = {}
        self.progress_seen: list[int] = []  # the task's rows read, at each progress write
        self.bytes_seen: list[int] = []  # and its bytes read
        self.audit: list[AuditEntry] = []  # written with the task records

    def create(self, task: TaskRecord, audit: AuditEntry | None = None) -> None:
        self.tasks[task.id] = task
        self.audit += [audit] if audit is not None else []

    def delete(self, task_id: str, audit: AuditEntry | None = None) -> None:
        self.tasks.pop(task_id, None)
        for key in [k for k in self.part_records if k[0] == task_id]:
            del self.part_records[key]
        self.audit += [audit] if audit is not None else []

    def get(self, task_id: str) -> TaskRecord | None:
        return self.tasks.get(task_id)

    def page(self, page: int, per_page: int) -> tuple[list[TaskRecord], int]:
        items = sorted(
            self.tasks.values(), key=lambda t: t.created_at or datetime.min, reverse=True
        )
        return items[(page - 1) * per_page : page * per_page], len(items)

    def state_counts(self) -> dict[str, int]:
        return dict(Counter(t.state for t in self.tasks.values()))

    def unfinished(self) -> list[TaskRecord]:
        return [t for t in self.tasks.values() if t.state in ACTIVE]

    def _row(self, task_id: str, part: int | None) -> TaskRecord | PartRecord | None:
        if part is None:
            return self.tasks.get(task_id)
        return self.part_records.get((task_id, part))

    def hold(
        self, task_id: str, part: int | None, owner: str, now: datetime, expires: datetime
    ) -> bool:
        row = self._row(task_id, part)
        if row is None or row.state not in ACTIVE or not _free(row, owner, now):
            return False
        row.lease_owner, row.lease_expires_at = owner, expires
        return True

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
        row = self._row(task_id, part)
        if row is None or row.state not in ACTIVE or not _free(row, queued_by, now):
            return None
        if row.attempts >= limit:
            return None
        row.state, row.lease_owner, row.lease_expires_at = "STARTED", owner, expires
        row.attempts += 1
        if isinstance(row, TaskRecord):
            split = bool(self.parts(task_id))
            row.started_at = (row.started_at or now) if split else now
            row.finished_at, row.error = None, None
        else:
            row.rows_read = row.bytes_read = 0
        self._sum_parts(task_id)
        return row.attempts

    def _sum_parts(self, task_id: str) -> None:
        """The task's rows and bytes read become the sums of its parts'."""
        task, parts = self.tasks[task_id], self.parts(task_id)
        task.rows_read = sum(p.rows_read for p in parts)
        task.bytes_read = sum(p.bytes_read for p in parts)

    def renew(self, task_id: str, part: int | None, owner: str, expires: datetime) -> bool:
        row = self._row(task_id, part)
        if row is None or row.state not in ACTIVE or row.lease_owner != owner:
            return False
        row.lease_expires_at = expires
        return True

    def renew_held(self, owner: str, expires: datetime) -> None:
        for row in [*self.tasks.values(), *self.part_records.values()]:
            if row.state in ACTIVE and row.lease_owner == owner:
                row.lease_expires_at = expires

    def release(self, task_id: str, part: int | None, owner: str) -> None:
        row = self._row(task_id, part)
        if row is not None and row.lease_owner == owner:
            row.lease_owner = row.lease_expires_at = None

    def expired(self, now: datetime) -> list[Lease]:
        rows: list[TaskRecord | PartRecord] = [*self.tasks.values(), *self.part_records.values()]
        return [
            Lease(
                r.id if isinstance(r, TaskRecord) else r.task_id,
                None if isinstance(r, TaskRecord) else r.part,
                r.lease_owner,
                r.lease_expires_at,
                r.attempts,
            )
            for r in rows
            if r.state in ACTIVE and r.lease_expires_at is not None and r.lease_expires_at < now
        ]

    def take_over(
        self, lease: Lease, owner: str | None, now: datetime, expires: datetime | None
    ) -> bool:
        row = self._row(lease.task_id, lease.part)
        if (
            row is None
            or row.state not in ACTIVE
            or row.lease_owner != lease.owner
            or row.lease_expires_at is None
            or row.lease_expires_at >= now
        ):
            return False
        row.lease_owner, row.lease_expires_at = owner, expires
        return True

    def _held(self, task_id: str, part: int | None, owner: str | None) -> bool:
        row = self._row(task_id, part)
        return row is not None and row.state == "STARTED" and row.lease_owner == owner

    def progress(
        self, task_id: str, read: Progress, bytes_total: int | None, owner: str, expires: datetime
    ) -> bool:
        if not self._held(task_id, None, owner):
            return False
        task = self.tasks[task_id]
        task.rows_read, task.bytes_read, task.bytes_total = (
            read.rows_read,
            read.bytes_read,
            bytes_total,
        )
        task.lease_expires_at = expires
        self.progress_seen.append(task.rows_read)
        self.bytes_seen.append(task.bytes_read)
        return True

    def finished(
        self, task_id: str, at: datetime, result: dict[str, Any], owner: str | None
    ) -> bool:
        if not self._held(task_id, None, owner):
            return False
        task = self.tasks[task_id]
        task.state, task.finished_at, task.result = "SUCCESS", at, result
        task.lease_owner = task.lease_expires_at = None
        return True

    def failed(
        self,
        task_id: str,
        at: datetime,
        error: str,
        owner: str | None = None,
        part: int | None = None,
    ) -> bool:
        task = self.tasks[task_id]
        if task.state not in ACTIVE:
            return False
        if owner is not None:
            holder = self._row(task_id, part)
            if holder is None or holder.lease_owner != owner:
                return False
        task.state, task.finished_at, task.error = "FAILURE", at, error
        task.lease_owner = task.lease_expires_at = None
        for record in self.parts(task_id):
            if record.state in ACTIVE:
                record.state = "FAILURE"
                record.lease_owner = record.lease_expires_at = None
        return True

    def cancel(
        self,
        task_id: str,
        at: datetime,
        combine: Callable[[list[PartRecord]], dict[str, Any] | None],
        audit: AuditEntry | None = None,
    ) -> bool:
        task = self.tasks.get(task_id)
        if task is None or task.state not in ACTIVE:
            return False
        task.state, task.finished_at = "CANCELLED", at
        self.audit += [audit] if audit is not None else []
        for record in self.parts(task_id):
            if record.state in ACTIVE:
                record.state = "CANCELLED"
        if self.parts(task_id):
            task.result = combine(self.parts(task_id))
            self._sum_parts(task_id)
        return True

    def stopped(self, task_id: str, result: dict[str, Any], read: Progress, owner: str) -> bool:
        task = self.tasks[task_id]
        if task.state != "CANCELLED" or task.lease_owner != owner:
            return False
        task.result, task.rows_read, task.bytes_read = result, read.rows_read, read.bytes_read
        task.lease_owner = task.lease_expires_at = None
        return True

    def part_stopped(
        self,
        task_id: str,
        part: int,
        result: dict[str, Any],
        read: Progress,
        owner: str,
        combine: Callable[[list[PartRecord]], dict[str, Any] | None],
    ) -> bool:
        record = self.part_records[(task_id, part)]
        if record.state != "CANCELLED" or record.lease_owner != owner:
            return False
        record.result, record.rows_read, record.bytes_read = result, read.rows_read, read.bytes_read
        record.lease_owner = record.lease_expires_at = None
        self.tasks[task_id].result = combine(self.parts(task_id))
        self._sum_parts(task_id)
        return True

    def retry(
        self,
        task_id: str,
        owner: str | None,
        expires: datetime | None,
        audit: AuditEntry | None = None,
    ) -> bool:
        task = self.tasks.get(task_id)
        if task is None or task.state not in ("FAILURE", "CANCELLED"):
            return False
        self.audit += [audit] if audit is not None else []
        task.state, task.attempts, task.result, task.error = "PENDING", 0, None, None
        task.started_at = task.finished_at = None
        task.lease_owner, task.lease_expires_at = owner, expires
        for record in self.parts(task_id):
            if record.state != "SUCCESS":
                record.state, record.attempts, record.result = "PENDING", 0, None
                record.rows_read = record.bytes_read = 0
                record.lease_owner = record.lease_expires_at = None
        self._sum_parts(task_id)
        return True

    def add_parts(self, parts: Sequence[PartRecord]) -> None:
        for part in parts:
            self.part_records[(part.task_id, part.part)] = part
        for task_id in {p.task_id for p in parts}:
            sizes = [p.bytes_total for p in self.parts(task_id)]
            self.tasks[task_id].bytes_total = (
                None if None in sizes else sum(size or 0 for size in sizes)
            )

    def parts(self, task_id: str) -> list[PartRecord]:
        return sorted(
            (p for (t, _), p in self.part_records.items() if t == task_id), key=lambda p: p.part
        )

    def part_progress(
        self, task_id: str, part: int, read: Progress, owner: str, expires: datetime
    ) -> bool:
        if not self._held(task_id, part, owner):
            return False
        record = self.part_records[(task_id, part)]
        record.rows_read, record.bytes_read = read.rows_read, read.bytes_read
        record.lease_expires_at = expires
        self._sum_parts(task_id)
        self.progress_seen.append(self.tasks[task_id].rows_read)
        self.bytes_seen.append(self.tasks[task_id].bytes_read)
        return True

    def finish_part(
        self, task_id: str, part: int, result: dict[str, Any], owner: str
    ) -> list[PartRecord] | None:
        if not self._held(task_id, part, owner):
            return None
        record = self.part_records[(task_id, part)]
        record.state, record.result, record.rows_read = "SUCCESS", result, result["processed"]
        record.lease_owner = record.lease_expires_at = None
        return self.parts(task_id)


def _free(row: TaskRecord | PartRecord, owner: str, now: datetime) -> bool:
    """Nobody holds the row, owner does, or its lease ran out."""
    return (
        row.lease_owner is None
        or row.lease_owner == owner
        or (row.lease_expires_at is not None and row.lease_expires_at < now)
    )


class FakeQueue:
    runner = "fake"

    def __init__(self, durable: bool = False) -> None:
        self.queued: list[str] = []
        self.durable = durable
        self.reachable = True  # False: check() fails
        self.accepting = True  # False: enqueue() fails (the broker went away after a check)

    def enqueue(self, task_id: str, part: int | None = None) -> None:
        if not (self.reachable and self.accepting):
            raise QueueUnavailable()
        self.queued.append(task_id if part is None else f"{task_id}#{part}")

    def check(self) -> None:
        if not self.reachable:
            raise QueueUnavailable()


class FakeIdempotencyStore:
    """Idempotency keys in memory, with the SQL store's conditions."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], dict[str, Any]] = {}
        self.sweeps = 0

    def claim(
        self, scope: str, key: str, fingerprint: str, now: datetime, expires: datetime
    ) -> KeyRecord | None:
        found = self.keys.get((scope, key))
        if found is None or found["expires"] <= now:
            self.keys[(scope, key)] = {
                "fingerprint": fingerprint,
                "answer": None,
                "expires": expires,
            }
            return None
        return KeyRecord(found["fingerprint"], found["answer"])

    def finish(self, scope: str, key: str, answer: StoredAnswer) -> None:
        found = self.keys.get((scope, key))
        if found is not None and found["answer"] is None:
            found["answer"] = answer

    def release(self, scope: str, key: str) -> None:
        found = self.keys.get((scope, key))
        if found is not None and found["answer"] is None:
            del self.keys[(scope, key)]

    def sweep(self, now: datetime) -> int:
        self.sweeps += 1
        expired = [k for k, v in self.keys.items() if v["expires"] < now]
        for k in expired:
            del self.keys[k]
        return len(expired)

"""State-keeping fakes of the core's ports."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import IO, Any, Self

from core.errors import SourceFileNotFound
from core.ports import Origin, PartRecord, TaskRecord
from domain.rejections import Rejection
from domain.reports import HireKey
from domain.tables import TABLES
from domain.validation_types import Values


class FakeDatabase:
    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Values]] = {name: {} for name in TABLES}
        self.rejections: list[tuple[Rejection, Origin]] = []
        self.hire_counts: Counter[HireKey] = Counter()
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


class FakeUnitOfWork:
    """Keeps changes apart until commit(), like a transaction."""

    def __init__(self, db: FakeDatabase, snapshot: bool = False, exclusive: bool = False) -> None:
        self.db = db
        self.exclusive = exclusive

    def __enter__(self) -> Self:
        self._tables = {name: dict(rows) for name, rows in self.db.tables.items()}
        self._rejections = list(self.db.rejections)
        self._counts = Counter(self.db.hire_counts)
        self.rows = FakeRows(self._tables)
        self.rejections = FakeRejections(self._rejections)
        self.hire_counts = FakeHireCounts(self._counts)
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
        return len(self.files[name])

    def exists(self, name: str) -> bool:
        return name in self.files

    def save(self, name: str, stream: IO[bytes]) -> None:
        self.files[name] = stream.read()

    def check(self) -> None:
        pass


class FakeTaskStore:
    def __init__(self) -> None:
        self.tasks: dict[str, TaskRecord] = {}
        self.part_records: dict[tuple[str, int], PartRecord] = {}
        self.progress_seen: list[int] = []

    def create(self, task: TaskRecord) -> None:
        self.tasks[task.id] = task

    def get(self, task_id: str) -> TaskRecord | None:
        return self.tasks.get(task_id)

    def started(self, task_id: str, at: datetime) -> None:
        self.tasks[task_id].state, self.tasks[task_id].started_at = "STARTED", at

    def progress(self, task_id: str, rows_read: int) -> None:
        self.tasks[task_id].rows_read = rows_read
        self.progress_seen.append(rows_read)

    def finished(self, task_id: str, at: datetime, result: dict[str, Any]) -> None:
        task = self.tasks[task_id]
        task.state, task.finished_at, task.result = "SUCCESS", at, result

    def failed(self, task_id: str, at: datetime, error: str) -> None:
        task = self.tasks[task_id]
        task.state, task.finished_at, task.error = "FAILURE", at, error

    def unfinished(self) -> list[TaskRecord]:
        return [t for t in self.tasks.values() if t.state in ("PENDING", "STARTED")]

    def claim(self, task_id: str, old_runner: str | None, new_runner: str) -> bool:
        task = self.tasks[task_id]
        if task.runner != old_runner or task.state not in ("PENDING", "STARTED"):
            return False
        task.runner = new_runner
        return True

    def add_parts(self, parts: Sequence[PartRecord]) -> None:
        for part in parts:
            self.part_records[(part.task_id, part.part)] = part

    def parts(self, task_id: str) -> list[PartRecord]:
        return sorted(
            (p for (t, _), p in self.part_records.items() if t == task_id), key=lambda p: p.part
        )

    def part_progress(self, task_id: str, part: int, rows_read: int) -> None:
        self.part_records[(task_id, part)].rows_read = rows_read
        self.progress(task_id, sum(p.rows_read for p in self.parts(task_id)))

    def finish_part(
        self, task_id: str, part: int, result: dict[str, Any]
    ) -> list[PartRecord] | None:
        record = self.part_records[(task_id, part)]
        record.state, record.result = "SUCCESS", result
        parts = self.parts(task_id)
        return parts if all(p.state == "SUCCESS" for p in parts) else None

    def page(self, page: int, per_page: int) -> tuple[list[TaskRecord], int]:
        items = sorted(
            self.tasks.values(), key=lambda t: t.created_at or datetime.min, reverse=True
        )
        return items[(page - 1) * per_page : page * per_page], len(items)


class FakeQueue:
    runner = "fake:1"

    def __init__(self, gone: tuple[str, ...] = ()) -> None:
        self.queued: list[str] = []
        self.gone_runners = gone

    def gone(self, runner: str) -> bool:
        return runner in self.gone_runners

    def enqueue(self, task_id: str, part: int | None = None) -> None:
        self.queued.append(task_id if part is None else f"{task_id}#{part}")

    def check(self) -> None:
        pass

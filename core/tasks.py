"""Load tasks: queued, run by a worker, their progress and result kept in the task store."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from core.csv_records import MAX_RECORD_BYTES
from core.errors import NotFound, SourceFileNotFound
from core.loading import KEPT_REJECTIONS, after_restores, load_csv
from core.ports import (
    CsvSource,
    Origin,
    PartRecord,
    TaskQueue,
    TaskRecord,
    TaskStore,
    UnitOfWorkFactory,
)
from core.splitting import split
from domain.tables import LOAD_ORDER, table_spec

ALL_TABLES = "all"
FINISHED = ("SUCCESS", "FAILURE")
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LoadTasks:
    uow_factory: UnitOfWorkFactory
    store: TaskStore
    source: CsvSource
    queue: TaskQueue
    clock: Callable[[], datetime] = field(default=_now)
    part_bytes: int = 0  # split a file larger than this over workers; 0: never
    max_record_bytes: int = MAX_RECORD_BYTES  # a longer CSV record is rejected unread

    def submit_all(self) -> TaskRecord:
        """Queue a load of every table from its file in the source, in load order."""
        names = [table_spec(t).csv_name for t in LOAD_ORDER]
        self._require(names)
        return self._submit(ALL_TABLES, ",".join(names))

    def submit(self, table: str, source_name: str | None = None) -> TaskRecord:
        """Queue a load of one table from source_name, by default the table's own file."""
        name = source_name or table_spec(table).csv_name
        self._require([name])
        return self._submit(table, name)

    def upload(self, table: str, stream: IO[bytes]) -> TaskRecord:
        """Store an uploaded file in the source under a new name, then queue its load."""
        spec = table_spec(table)
        name = f"uploads/{spec.name}-{self.clock():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.csv"
        self.source.save(name, stream)
        return self._submit(spec.name, name)

    def resume_orphans(self) -> list[str]:
        """Queue again the tasks whose runner has stopped; loads are idempotent."""
        resumed = []
        for task in self.store.unfinished():
            if task.runner is None or task.runner == self.queue.runner:
                continue
            if self.queue.gone(task.runner) and self.store.claim(
                task.id, task.runner, self.queue.runner
            ):
                log.warning("resuming load task %s left by %s", task.id, task.runner)
                self.queue.enqueue(task.id)
                resumed.append(task.id)
        return resumed

    def get(self, task_id: str) -> TaskRecord:
        task = self.store.get(task_id)
        if task is None:
            raise NotFound(f"no task with id {task_id!r}")
        return task

    def run(self, task_id: str, part: int | None = None) -> None:
        """Run a queued task, or one part of it, to its end; a failure is its error."""
        task = self.get(task_id)
        if task.state in FINISHED:  # delivered again after it ended: nothing to do
            return
        try:
            if part is not None:
                self._load_part(task, part)
            elif not self._split(task):
                self.store.started(task_id, self.clock())
                self.store.finished(task_id, self.clock(), self._load(task))
        except Exception as error:
            log.exception("load task %s failed", task_id)
            self.store.failed(task_id, self.clock(), f"{type(error).__name__}: {error}")

    def _split(self, task: TaskRecord) -> bool:
        """Queue the parts of a large single-table load; False if it is not split."""
        if self.part_bytes <= 0 or task.table == ALL_TABLES:
            return False
        parts = self.store.parts(task.id)
        if not parts:
            if self.source.size(task.source) <= self.part_bytes:
                return False
            with self.source.open(task.source) as stream:
                cuts = split(stream, self.part_bytes)
            if len(cuts) < 2:
                return False
            parts = [
                PartRecord(task.id, n, c.start, c.end, c.first_line) for n, c in enumerate(cuts)
            ]
            self.store.add_parts(parts)
        self.store.started(task.id, self.clock())
        for part in parts:
            if part.state != "SUCCESS":
                self.queue.enqueue(task.id, part.part)
        return True

    def _load_part(self, task: TaskRecord, number: int) -> None:
        parts = self.store.parts(task.id)
        part = parts[number]
        if part.state == "SUCCESS":
            return
        last_line = parts[number + 1].first_line - 1 if number + 1 < len(parts) else None
        origin = self._fresh_start(task, lines=(part.first_line, last_line))

        def progress(rows: int) -> None:
            self.store.part_progress(task.id, number, rows)

        with self.source.open(task.source, part.start, part.end) as stream:
            summary = load_csv(
                self.uow_factory,
                table_spec(task.table),
                stream,
                origin,
                progress,
                first_line=part.first_line,
                max_record=self.max_record_bytes,
            )
        done = self.store.finish_part(task.id, number, summary.as_dict())
        if done is not None:
            self.store.finished(task.id, self.clock(), merged([p.result or {} for p in done]))

    def _load(self, task: TaskRecord) -> dict[str, Any]:
        origin = self._fresh_start(task)
        if task.table == ALL_TABLES:
            pairs = list(zip(LOAD_ORDER, task.source.split(","), strict=True))
        else:
            pairs = [(task.table, task.source)]
        done = 0
        results: dict[str, Any] = {}
        for table, name in pairs:

            def progress(rows: int, before: int = done) -> None:
                self.store.progress(task.id, before + rows)

            with self.source.open(name) as stream:
                summary = load_csv(
                    self.uow_factory,
                    table_spec(table),
                    stream,
                    origin,
                    progress,
                    max_record=self.max_record_bytes,
                )
            done += summary.processed
            results[table] = summary.as_dict()
        if task.table == ALL_TABLES:
            return {"tables": results}
        single: dict[str, Any] = results[task.table]
        return single

    def _fresh_start(self, task: TaskRecord, lines: tuple[int, int | None] | None = None) -> Origin:
        """Forget the rejections an earlier attempt stored (on these lines), as it is run again."""
        origin = Origin(task_id=task.id)

        def forget() -> None:
            with self.uow_factory() as uow:
                uow.rejections.forget(origin, lines)
                uow.commit()

        after_restores(forget)
        return origin

    def _require(self, names: list[str]) -> None:
        missing = [n for n in names if not self.source.exists(n)]
        if missing:
            raise SourceFileNotFound(
                f"not in the CSV source: {', '.join(missing)}", {"missing": missing}
            )

    def _submit(self, table: str, source: str) -> TaskRecord:
        task = TaskRecord(
            id=str(uuid.uuid4()),
            table=table,
            source=source,
            created_at=self.clock(),
            runner=self.queue.runner,
        )
        self.store.create(task)
        self.queue.enqueue(task.id)
        return task


def merged(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The result of a split load: counts added up, the first rejections by line."""
    total: dict[str, Any] = {"table": results[0]["table"]}
    for key in ("processed", "inserted", "already_exists", "rejected"):
        total[key] = sum(r[key] for r in results)
    if all("lines_read" in r for r in results):
        total["lines_read"] = sum(r["lines_read"] for r in results)
    rejections = sorted((j for r in results for j in r["rejections"]), key=lambda j: j["line"])
    total["rejections"] = rejections[:KEPT_REJECTIONS]
    total["parts"] = len(results)
    return total

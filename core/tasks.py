"""Load tasks: queued, run by a worker, their progress and result kept in the task store.

A task, and each part of a split one, is held under a lease while it is PENDING or STARTED:
by the process that runs it (renewed by its progress and by a heartbeat), or by the process
whose memory holds it queued (renewed by that process's upkeep), or by nobody while a broker
holds it. Any process takes over, with one conditional update, a task whose lease has run
out, and queues it again; loads are idempotent, so a task run twice stores its rows once.

A PENDING or STARTED task can be cancelled: a run stops at its next chunk, keeping what
it stored, and records that as the task's result. A task that ended FAILURE or CANCELLED can
be retried: queued again under the same id, it goes on from what is stored.

A run whose database cannot be reached waits for it, backing off, up to retry_seconds of
one outage, then loads again from the start (rows stored before count as already_exists);
past that bound the task fails, once its failure can be written.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any, TypeVar

from core.audit import Action, Audit, withdrawn
from core.csv_records import MAX_RECORD_BYTES
from core.errors import (
    DatabaseUnavailable,
    InvalidState,
    NotFound,
    QueueUnavailable,
    SourceFileNotFound,
)
from core.loading import KEPT_REJECTIONS, after_restores, load_csv
from core.ports import (
    CsvSource,
    Origin,
    PartRecord,
    Progress,
    TaskQueue,
    TaskRecord,
    TaskStore,
    UnitOfWorkFactory,
)
from core.splitting import split
from core.task_progress import TaskProgress, progress_of
from domain.summary import Summary
from domain.tables import LOAD_ORDER, table_spec

ALL_TABLES = "all"
LEASE_SECONDS = 60.0
MAX_ATTEMPTS = 3  # a task (or part) started this many times without ending fails
RETRY_SECONDS = 300.0  # how long a run waits for its database to come back
FIRST_BACKOFF_SECONDS = 0.5  # the first wait for the database; each next one doubles...
MAX_BACKOFF_SECONDS = 30.0  # ...up to this
log = logging.getLogger(__name__)
T = TypeVar("T")


def _now() -> datetime:
    return datetime.now(UTC)


class _Stopped(Exception):
    """The run no longer holds its task STARTED: it was cancelled, or taken over."""


@dataclass
class _Stored:
    """What a run has stored: the summary of each table it loads, the last perhaps part way,
    and the bytes of its files (or its part) that the stored rows were read from."""

    summaries: dict[str, Summary] = field(default_factory=dict)
    bytes_read: int = 0

    def clear(self) -> None:
        """Nothing stored: the run loads its files again from the start."""
        self.summaries.clear()
        self.bytes_read = 0

    def start(self, table: str) -> Summary:
        self.summaries[table] = Summary(table, keep=KEPT_REJECTIONS)
        return self.summaries[table]

    def processed(self) -> int:
        return sum(summary.processed for summary in self.summaries.values())

    def read(self) -> Progress:
        return Progress(self.processed(), self.bytes_read)

    def result(self, task: TaskRecord) -> dict[str, Any]:
        """As the task's result: one table's summary, or each table's for a load of all."""
        results = {table: summary.as_dict() for table, summary in self.summaries.items()}
        if task.table == ALL_TABLES:
            return {"tables": results}
        return results.get(task.table) or Summary(task.table).as_dict()


class _Unreachable(Exception):
    """The database stayed unreachable for longer than a run waits."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the database was unreachable for {seconds:.0f} s")
        self.seconds = seconds


@dataclass
class _Outage:
    """Waits for an unreachable database: backing off from FIRST_BACKOFF_SECONDS, doubling
    up to MAX_BACKOFF_SECONDS, for at most bound seconds since it was first found away."""

    bound: float
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    began: float | None = None
    waits: int = 0

    def patiently(self, action: Callable[[], T]) -> T:
        """action(), done again after each wait while the database is unreachable."""
        while True:
            try:
                done = action()
            except DatabaseUnavailable:
                self.wait()
            else:
                self.over()
                return done

    def wait(self) -> None:
        """Wait before the next try; raise _Unreachable once the bound has passed."""
        now = self.monotonic()
        if self.began is None:
            self.began, self.waits = now, 0
        elapsed = now - self.began
        if elapsed >= self.bound:
            raise _Unreachable(elapsed)
        delay = min(FIRST_BACKOFF_SECONDS * 2**self.waits, MAX_BACKOFF_SECONDS)
        delay = min(delay, self.bound - elapsed)
        self.waits += 1
        log.warning("the database is unreachable; trying again in %.1f s", delay)
        self.sleep(delay)

    def over(self) -> None:
        """The database answered: the next outage is counted from its own start."""
        self.began = None


@dataclass
class LoadTasks:
    uow_factory: UnitOfWorkFactory
    store: TaskStore
    source: CsvSource
    queue: TaskQueue
    clock: Callable[[], datetime] = field(default=_now)
    part_bytes: int = 0  # split a file larger than this over workers; 0: never
    max_record_bytes: int = MAX_RECORD_BYTES  # a longer CSV record is rejected unread
    lease_seconds: float = LEASE_SECONDS  # how long a lease lasts unless renewed
    retry_seconds: float = RETRY_SECONDS  # how long a run waits for its database
    sleep: Callable[[float], None] = field(default=time.sleep)
    monotonic: Callable[[], float] = field(default=time.monotonic)
    _owner: str = field(default="", init=False, repr=False)
    _owner_pid: int = field(default=0, init=False, repr=False)

    @property
    def owner(self) -> str:
        """This process's name in leases, unique to it (a forked child gets its own)."""
        if self._owner_pid != os.getpid():
            self._owner_pid = os.getpid()
            self._owner = f"{socket.gethostname()[:64]}:{self._owner_pid}:{uuid.uuid4().hex[:8]}"
        return self._owner

    def submit_all(self, audit: Audit | None = None) -> TaskRecord:
        """Queue a load of every table from its file in the source, in load order."""
        names = [table_spec(t).csv_name for t in LOAD_ORDER]
        self._require(names)
        self.queue.check()
        return self._submit(ALL_TABLES, ",".join(names), Action.LOAD, audit)

    def submit(
        self, table: str, source_name: str | None = None, audit: Audit | None = None
    ) -> TaskRecord:
        """Queue a load of one table from source_name, by default the table's own file."""
        name = source_name or table_spec(table).csv_name
        self._require([name])
        self.queue.check()
        return self._submit(table, name, Action.LOAD, audit)

    def upload(self, table: str, stream: IO[bytes], audit: Audit | None = None) -> TaskRecord:
        """Store an uploaded file in the source under a new name, then queue its load.

        Nothing is stored if the queue cannot be reached; a file whose load could not be
        queued is deleted again. Audit rows of submissions go with their task records.
        """
        spec = table_spec(table)
        self.queue.check()
        name = f"uploads/{spec.name}-{self.clock():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.csv"
        self.source.save(name, stream)
        try:
            return self._submit(spec.name, name, Action.UPLOAD, audit)
        except Exception:
            self.source.delete(name)
            raise

    def get(self, task_id: str) -> TaskRecord:
        task = self.store.get(task_id)
        if task is None:
            raise NotFound(f"no task with id {task_id!r}")
        return task

    def page(self, page: int, per_page: int) -> tuple[list[TaskRecord], int]:
        """A page of the tasks, newest first, and how many there are."""
        return self.store.page(page, per_page)

    def state_counts(self) -> dict[str, int]:
        """How many tasks there are in each state."""
        return self.store.state_counts()

    def progress(self, task: TaskRecord) -> TaskProgress:
        """How far the task has got, as of now."""
        return progress_of(task, self.clock())

    def cancel(self, task_id: str, audit: Audit | None = None) -> TaskRecord:
        """Cancel a PENDING or STARTED task. Its run stops at the next chunk and records what
        it stored as the result; a split task's result adds up its parts' until then."""
        now = self.clock()
        entry = None if audit is None else audit.entry(Action.CANCEL, task_id, at=now)
        if not self.store.cancel(task_id, now, _combined, entry):
            task = self.get(task_id)
            raise InvalidState(
                f"task {task_id} is {task.state}: only a PENDING or STARTED task can be cancelled",
                {"state": task.state},
            )
        log.info("load task %s cancelled", task_id)
        return self.get(task_id)

    def retry(self, task_id: str, audit: Audit | None = None) -> TaskRecord:
        """Queue a task that ended FAILURE or CANCELLED again, under the same id, its attempts
        counted afresh; loads are idempotent, so it goes on from what is stored."""
        self.queue.check()
        now = self.clock()
        owner, expires = (None, None) if self.queue.durable else (self.owner, self._expiry(now))
        entry = None if audit is None else audit.entry(Action.RETRY, task_id, at=now)
        if not self.store.retry(task_id, owner, expires, entry):
            task = self.get(task_id)
            raise InvalidState(
                f"task {task_id} is {task.state}: only a task that ended FAILURE or "
                "CANCELLED can be retried",
                {"state": task.state},
            )
        try:
            self.queue.enqueue(task_id)
        except Exception as error:
            log.exception("load task %s could not be queued again", task_id)
            self.store.failed(
                task_id, self.clock(), "could not be queued: the task queue is unreachable"
            )
            raise QueueUnavailable() from error
        log.info("load task %s queued again", task_id)
        return self.get(task_id)

    def maintain(self) -> list[str]:
        """Renew the leases of what this process holds queued, and queue again every task
        and part whose lease has run out; returns those ("id", or "id#part")."""
        now = self.clock()
        if not self.queue.durable:
            self.store.renew_held(self.owner, self._expiry(now))
        resumed = []
        for lease in self.store.expired(now):
            name = lease.task_id if lease.part is None else f"{lease.task_id}#{lease.part}"
            if lease.attempts >= MAX_ATTEMPTS:
                if self.store.take_over(lease, self.owner, now, self._expiry(now)):
                    self._exhausted(lease.task_id, lease.part, self.owner, lease.attempts)
                continue
            if self.queue.durable:  # the broker holds it once queued
                taken = self.store.take_over(lease, None, now, None)
            else:
                taken = self.store.take_over(lease, self.owner, now, self._expiry(now))
            if not taken:  # another process was first
                continue
            log.warning("load task %s: the lease of %s ran out; queued again", name, lease.owner)
            try:
                self.queue.enqueue(lease.task_id, lease.part)
            except Exception:
                log.exception("load task %s could not be queued again", name)
                # held here with a lease already run out: the next pass tries again
                self.store.hold(lease.task_id, lease.part, self.owner, now, now)
                continue
            resumed.append(name)
        return resumed

    def keep_leases(self) -> Callable[[], None]:
        """Do maintain() now and every third of a lease, on a daemon thread; returns the
        function that stops it."""
        stop = threading.Event()

        def keep() -> None:
            while True:
                try:
                    self.maintain()
                except Exception:
                    log.exception("the leases of load tasks could not be looked after")
                if stop.wait(self.lease_seconds / 3):
                    return

        thread = threading.Thread(target=keep, name="load-task-leases", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join()

        return halt

    def run(self, task_id: str, part: int | None = None) -> None:
        """Run a queued task, or one part of it, to its end; a failure is its error.

        Nothing is done unless this run gets the task's lease: a task already ended, run
        by another process, or started MAX_ATTEMPTS times already (the upkeep fails it once
        its lease runs out) is left alone.
        """
        owner = f"{self.owner}/{uuid.uuid4().hex[:8]}"
        outage = self._outage(self.retry_seconds)

        def claim() -> int | None:
            now = self.clock()
            expires = self._expiry(now)
            return self.store.claim(task_id, part, owner, self.owner, now, expires, MAX_ATTEMPTS)

        try:
            claimed = outage.patiently(claim)
        except _Unreachable as error:
            log.error("load task %s could not be started (%s): queued again", task_id, error)
            try:
                self.queue.enqueue(task_id, part)
            except Exception:  # its lease runs out, and the upkeep queues it
                log.exception("load task %s could not be queued again", task_id)
            return
        if claimed is None:
            log.info("load task %s (part %s) is ended or held by another run", task_id, part)
            return
        stored = _Stored()
        try:
            with self._heartbeat(task_id, part, owner) as lost:
                task = outage.patiently(lambda: self.get(task_id))
                if part is not None:
                    self._load_part(task, part, owner, lost, outage, stored)
                elif not outage.patiently(lambda: self._split(task, owner)):
                    outage.patiently(lambda: self._load(task, owner, lost, outage, stored))
                    self._finish(task_id, stored.result(task), owner, outage, self.clock())
        except _Stopped:
            self._stopped(task_id, part, owner, stored, outage)
        except _Unreachable as error:
            log.error("load task %s failed: %s", task_id, error)
            self._fail(task_id, str(error), owner, part)
        except Exception as error:
            log.exception("load task %s failed", task_id)
            self._fail(task_id, f"{type(error).__name__}: {error}", owner, part)

    def _outage(self, bound: float) -> _Outage:
        return _Outage(bound, self.sleep, self.monotonic)

    def _finish(
        self,
        task_id: str,
        result: dict[str, Any],
        owner: str | None,
        outage: _Outage,
        ended: datetime,
    ) -> None:
        """Record the task's result, if owner still holds it (None: a split task's), as of
        the moment its load ended: waits for the database to write it do not count."""
        if outage.patiently(lambda: self.store.finished(task_id, ended, result, owner)):
            return
        # ended meanwhile, or the write went through but its answer was lost on the way
        if outage.patiently(lambda: self.get(task_id)).state != "SUCCESS":
            raise _Stopped

    def _stopped(
        self, task_id: str, part: int | None, owner: str, stored: _Stored, outage: _Outage
    ) -> None:
        """The run no longer holds its task STARTED: if it was cancelled, record what it stored."""
        try:
            task = outage.patiently(lambda: self.get(task_id))
            result = stored.result(task)
            if part is None:
                recorded = outage.patiently(
                    lambda: self.store.stopped(task_id, result, stored.read(), owner)
                )
            else:
                recorded = outage.patiently(
                    lambda: self.store.part_stopped(
                        task_id, part, result, stored.read(), owner, _combined
                    )
                )
        except _Unreachable as error:
            log.error("load task %s: what it stored could not be recorded: %s", task_id, error)
            return
        if recorded:
            log.info("load task %s (part %s) stopped, as it was cancelled", task_id, part)
        else:
            log.warning("load task %s (part %s) was taken over by another process", task_id, part)

    def _fail(self, task_id: str, error: str, owner: str, part: int | None) -> None:
        """Record the failure as of now, waiting for the database as long as a run would,
        and at least a lease: past that, the task is left to its lease running out."""
        failed_at = self.clock()
        outage = self._outage(max(self.retry_seconds, self.lease_seconds))
        try:
            outage.patiently(lambda: self.store.failed(task_id, failed_at, error, owner, part))
        except _Unreachable:
            log.error("load task %s: its failure could not be recorded: %s", task_id, error)

    def _exhausted(self, task_id: str, part: int | None, owner: str, attempts: int) -> None:
        """Fail a task (or part) whose process ended every time it was started."""
        what = "" if part is None else f"part {part} "
        error = f"{what}stopped after {attempts} attempts: the process running it ended each time"
        log.error("load task %s: %s", task_id, error)
        self.store.failed(task_id, self.clock(), error, owner, part)

    def _expiry(self, now: datetime | None = None) -> datetime:
        return (now or self.clock()) + timedelta(seconds=self.lease_seconds)

    @contextmanager
    def _heartbeat(self, task_id: str, part: int | None, owner: str) -> Iterator[threading.Event]:
        """Renew owner's lease every third of a lease while the block runs; the event is set
        once the lease is found lost."""
        lost, done = threading.Event(), threading.Event()

        def beat() -> None:
            while not done.wait(self.lease_seconds / 3):
                try:
                    if not self.store.renew(task_id, part, owner, self._expiry()):
                        lost.set()
                        return
                except Exception:  # the database may be away for a while: try again
                    log.warning("load task %s: lease not renewed", task_id, exc_info=True)

        thread = threading.Thread(target=beat, name="load-task-heartbeat", daemon=True)
        thread.start()
        try:
            yield lost
        finally:
            done.set()
            thread.join()

    def _split(self, task: TaskRecord, owner: str) -> bool:
        """Queue the parts of a large single-table load; False if it is not split.

        Once its parts are queued the task's own lease ends: each part holds its own. A task
        whose parts all succeeded already (retried after it was cancelled as its last part
        ended) has nothing to queue: it succeeds at once.
        """
        if self.part_bytes <= 0 or task.table == ALL_TABLES:
            return False
        parts = self.store.parts(task.id)
        if not parts:
            size = self.source.size(task.source)
            if size <= self.part_bytes:
                return False
            with self.source.open(task.source) as stream:
                cuts = split(stream, self.part_bytes)
            if len(cuts) < 2:
                return False
            parts = [
                PartRecord(
                    task.id,
                    n,
                    c.start,
                    c.end,
                    c.first_line,
                    bytes_total=(size if c.end is None else c.end) - c.start,
                )
                for n, c in enumerate(cuts)
            ]
            self.store.add_parts(parts)
        if all(part.state == "SUCCESS" for part in parts):
            if not self.store.finished(task.id, self.clock(), _combined(parts) or {}, owner):
                self.store.release(task.id, None, owner)  # cancelled meanwhile
            return True
        for part in parts:
            if part.state != "SUCCESS" and self._hold(task.id, part.part):
                self.queue.enqueue(task.id, part.part)
        self.store.release(task.id, None, owner)
        return True

    def _hold(self, task_id: str, part: int | None) -> bool:
        """Hold a task about to be queued in this process's memory; True if it may be."""
        if self.queue.durable:
            return True
        now = self.clock()
        return self.store.hold(task_id, part, self.owner, now, self._expiry(now))

    def _load_part(
        self,
        task: TaskRecord,
        number: int,
        owner: str,
        lost: threading.Event,
        outage: _Outage,
        stored: _Stored,
    ) -> None:
        parts = outage.patiently(lambda: self.store.parts(task.id))
        part = parts[number]
        last_line = parts[number + 1].first_line - 1 if number + 1 < len(parts) else None

        def progress(read: Progress) -> None:
            stored.bytes_read = read.bytes_read
            if lost.is_set() or not self.store.part_progress(
                task.id, number, read, owner, self._expiry()
            ):
                raise _Stopped
            outage.over()

        def load() -> Summary:
            stored.bytes_read = 0
            origin = self._fresh_start(task, lines=(part.first_line, last_line))
            with self.source.open(task.source, part.start, part.end) as stream:
                return load_csv(
                    self.uow_factory,
                    table_spec(task.table),
                    stream,
                    origin,
                    progress,
                    first_line=part.first_line,
                    summary=stored.start(task.table),
                    max_record=self.max_record_bytes,
                )

        result = outage.patiently(load).as_dict()
        done = outage.patiently(lambda: self.store.finish_part(task.id, number, result, owner))
        if done is None:  # taken over, or the write went through but its answer was lost
            done = outage.patiently(lambda: self.store.parts(task.id))
            if done[number].state != "SUCCESS":
                raise _Stopped
        if all(p.state == "SUCCESS" for p in done):  # this part was the last to end
            self._finish(task.id, _combined(done) or {}, None, outage, self.clock())

    def _load(
        self,
        task: TaskRecord,
        owner: str,
        lost: threading.Event,
        outage: _Outage,
        stored: _Stored,
    ) -> None:
        """Load the task's file (each table's, for a load of all), counting into stored;
        its progress is the rows and bytes read of all its files."""
        origin = self._fresh_start(task)
        stored.clear()
        if task.table == ALL_TABLES:
            pairs = list(zip(LOAD_ORDER, task.source.split(","), strict=True))
        else:
            pairs = [(task.table, task.source)]
        total = self._size(task, [name for _, name in pairs])
        done = 0
        for table, name in pairs:

            def progress(read: Progress, rows: int = done, before: int = stored.bytes_read) -> None:
                stored.bytes_read = before + read.bytes_read
                whole = Progress(rows + read.rows_read, stored.bytes_read)
                if lost.is_set() or not self.store.progress(
                    task.id, whole, total, owner, self._expiry()
                ):
                    raise _Stopped
                outage.over()

            summary = stored.start(table)
            with self.source.open(name) as stream:
                load_csv(
                    self.uow_factory,
                    table_spec(table),
                    stream,
                    origin,
                    progress,
                    summary=summary,
                    max_record=self.max_record_bytes,
                )
            done += summary.processed

    def _size(self, task: TaskRecord, names: list[str]) -> int | None:
        """The size of the files as their load starts; if one is missing (the load fails
        once it gets to it), the size they had when the task was submitted."""
        try:
            return sum(self.source.size(name) for name in names)
        except SourceFileNotFound:
            return task.bytes_total

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

    def _submit(
        self, table: str, source: str, action: Action = Action.LOAD, audit: Audit | None = None
    ) -> TaskRecord:
        now = self.clock()
        task = TaskRecord(
            id=str(uuid.uuid4()),
            table=table,
            source=source,
            created_at=now,
            runner=self.queue.runner,
            bytes_total=sum(self.source.size(name) for name in source.split(",")),
        )
        if not self.queue.durable:  # held by this process while in its memory
            task.lease_owner, task.lease_expires_at = self.owner, self._expiry(now)
        entry = None if audit is None else audit.entry(action, task.id, at=now)
        self.store.create(task, entry)
        try:
            self.queue.enqueue(task.id)
        except Exception as error:  # the broker went away since it was checked: no task is left
            log.exception("load task %s could not be queued", task.id)
            self.store.delete(task.id, None if entry is None else withdrawn(entry, error))
            raise
        return task


def _combined(parts: list[PartRecord]) -> dict[str, Any] | None:
    """The result of a split load from its parts' results so far; None if none has one."""
    results = [p.result for p in parts if p.result is not None]
    return merged(results) if results else None


def table_results(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The summary of each table a task's result holds: one, or one a table of a load of all."""
    if not result:
        return []
    tables: dict[str, dict[str, Any]] = result.get("tables", {})
    return list(tables.values()) if tables else [result]


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

"""Loading a CSV stream into a table, chunk by chunk."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import IO, TypeVar

from core.csv_records import MAX_RECORD_BYTES, Block, CsvReader, CsvRecord, PlainLines
from core.errors import RestoreInProgress
from core.ports import Origin, Progress, UnitOfWorkFactory
from core.saving import known_references, partition, save
from domain.rejections import Reason, Rejection
from domain.summary import Summary
from domain.tables import TableSpec
from domain.validation import Candidate, RowChecker

CHUNK_ROWS = 50_000
KEPT_REJECTIONS = 100
# A load makes millions of small objects that live for one chunk. The cyclic garbage collector
# runs its youngest pass every 700 allocations by default, and scans the chunk's rows again and
# again; once every 10,000 during loads makes a load about a fifth faster. Reference counting
# still frees each row as soon as its chunk is stored.
LOADING_GC_THRESHOLD = 10_000
# A chunk that meets a running restore waits for it to end, up to this long in all.
RESTORE_WAIT_SECONDS = 3600.0
log = logging.getLogger(__name__)
T = TypeVar("T")


def load_csv(
    uow_factory: UnitOfWorkFactory,
    spec: TableSpec,
    stream: IO[bytes],
    origin: Origin,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    chunk_rows: int = CHUNK_ROWS,
    first_line: int = 1,
    max_record: int = MAX_RECORD_BYTES,
    summary: Summary | None = None,
) -> Summary:
    """Check every record of the stream and store it; one transaction a chunk.

    A failure part way leaves the chunks before it stored; loading the file again is
    harmless, since stored rows with the same values count as already_exists. The stored
    rows are counted into summary, if one is given: a caller that stops the load part way
    (on_progress raising) reads there what was stored. After each chunk is stored,
    on_progress is told the rows processed so far and the bytes of the stream they took.
    """
    checker = RowChecker(spec, after_restores(lambda: known_references(uow_factory, spec)))
    if summary is None:
        summary = Summary(spec.name, keep=KEPT_REJECTIONS)
    summary.lines_read = 0
    reader = CsvReader(stream, spec.column_names, first_line, chunk_rows, max_record)

    def store(
        candidates: list[Candidate], rejections: list[Rejection], lines: int, read: int
    ) -> None:
        after_restores(lambda: save(uow_factory, spec, candidates, rejections, origin, summary))
        summary.lines_read = lines
        on_progress(Progress(summary.processed, read))

    # The database stores one chunk while the next is read and checked: one chunk in flight.
    with (
        _fewer_collections(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-store") as writer,
    ):
        pending: Future[None] | None = None
        for block in reader:
            candidates, rejections = _check(checker, spec, block)
            if pending is not None:
                pending.result()
            pending = writer.submit(
                store, candidates, rejections, reader.lines_read, reader.bytes_read
            )
        if pending is not None:
            pending.result()
    summary.lines_read = reader.lines_read
    return summary


def after_restores(action: Callable[[], T]) -> T:
    """Do action, waiting for as many restores as it meets (RESTORE_WAIT_SECONDS at most).

    A write waits a bounded time for a running restore, then gives up: a load's writes
    try again, and so go on after it.
    """
    deadline = time.monotonic() + RESTORE_WAIT_SECONDS
    while True:
        try:
            return action()
        except RestoreInProgress:
            if time.monotonic() > deadline:
                raise
            log.info("a load waits for a restore to end")


_loads_running = 0
_loads_lock = threading.Lock()
_threshold_before: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The collector's youngest threshold raised while any load of this process runs."""
    global _loads_running, _threshold_before
    with _loads_lock:
        if _loads_running == 0:
            _threshold_before = gc.get_threshold()
            gc.set_threshold(
                max(LOADING_GC_THRESHOLD, _threshold_before[0]), *_threshold_before[1:]
            )
        _loads_running += 1
    try:
        yield
    finally:
        with _loads_lock:
            _loads_running -= 1
            if _loads_running == 0:
                gc.set_threshold(*_threshold_before)


def _check(
    checker: RowChecker, spec: TableSpec, block: Block
) -> tuple[list[Candidate], list[Rejection]]:
    if isinstance(block, PlainLines):
        return checker.check_lines(block.lines, block.first_line)
    return partition(
        checker.check_csv(r.fields, r.line, r.raw)
        if r.error is None and not r.bad_encoding
        else _unreadable(spec, r)
        for r in block
    )


def _unreadable(spec: TableSpec, record: CsvRecord) -> Rejection:
    """The rejection of a record that is not valid UTF-8 or that the CSV parser cannot read."""
    if record.bad_encoding:
        return Rejection(
            spec.name,
            Reason.INVALID_ENCODING,
            "the line is not valid UTF-8",
            record.raw,
            line=record.line,
        )
    return Rejection(
        spec.name,
        record.problem or Reason.INVALID_ROW,
        f"the CSV record cannot be read: {record.error}",
        record.raw,
        line=record.line,
    )

"""How far a load task has got, in figures a client can show: its share of its files read,
its pace and the time it may take still."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from core.ports import FINISHED, TaskRecord


@dataclass(frozen=True)
class TaskProgress:
    rows_read: int  # records processed (stored or rejected)
    bytes_read: int  # bytes of its files those records were read from
    bytes_total: int | None  # the size of its files; None: not known
    percent: float | None  # 100 * bytes_read / bytes_total, rounded down; 100 once it succeeded
    rows_per_second: float | None  # rows_read over the time since it started (to its end)
    eta_seconds: float | None  # the bytes left at the pace it has read so far; 0 once ended

    def as_dict(self) -> dict[str, int | float | None]:
        return {
            "rows_read": self.rows_read,
            "bytes_read": self.bytes_read,
            "bytes_total": self.bytes_total,
            "percent": self.percent,
            "rows_per_second": self.rows_per_second,
            "eta_seconds": self.eta_seconds,
        }


def progress_of(task: TaskRecord, now: datetime) -> TaskProgress:
    """The progress of a task as of now (a task that ended: as of its end).

    A split task's rows and bytes are the sums of its parts', its time that since the task
    started: its parts run side by side, and its pace is theirs together.
    """
    ended = task.state in FINISHED
    read, total = task.bytes_read, task.bytes_total
    elapsed = _elapsed(task, now, ended)
    percent: float | None = None
    if task.state == "SUCCESS":
        percent = 100.0
    elif total is not None:
        percent = 0.0 if total <= 0 else math.floor(10_000 * min(read, total) / total) / 100
    rows_per_second = None if elapsed is None else round(task.rows_read / elapsed, 1)
    eta: float | None = None
    if ended:
        eta = 0.0
    elif elapsed is not None and total is not None and read > 0:
        eta = round(max(total - read, 0) * elapsed / read, 1)
    return TaskProgress(task.rows_read, read, total, percent, rows_per_second, eta)


def _elapsed(task: TaskRecord, now: datetime, ended: bool) -> float | None:
    """Seconds from its start to its end, or to now while it runs; None before it started,
    or if no time has passed (the clocks of two machines may not quite agree)."""
    end = task.finished_at if ended else now
    if task.started_at is None or end is None:
        return None
    seconds = (end - task.started_at).total_seconds()
    return seconds if seconds > 0 else None

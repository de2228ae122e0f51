"""Load task records in the SQL database, so status survives restarts of any process."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.engine import Row

from core.ports import PartRecord, TaskRecord
from infra.db.engine import READ_ONLY
from infra.db.schema import load_task_parts, load_tasks
from infra.db.values import from_db, to_db


class SqlTaskStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, task: TaskRecord) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(load_tasks).values(
                    id=task.id,
                    table_name=task.table,
                    source=task.source,
                    state=task.state,
                    rows_read=task.rows_read,
                    created_at=to_db(task.created_at),
                    runner=task.runner,
                )
            )

    def get(self, task_id: str) -> TaskRecord | None:
        with self._reading() as conn:
            row = conn.execute(select(load_tasks).where(load_tasks.c.id == task_id)).first()
        return None if row is None else _record(row)

    def started(self, task_id: str, at: datetime) -> None:
        self._set(task_id, state="STARTED", started_at=to_db(at), finished_at=None, error=None)

    def progress(self, task_id: str, rows_read: int) -> None:
        self._set(task_id, rows_read=rows_read)

    def finished(self, task_id: str, at: datetime, result: dict[str, Any]) -> None:
        self._set(task_id, state="SUCCESS", finished_at=to_db(at), result=json.dumps(result))

    def failed(self, task_id: str, at: datetime, error: str) -> None:
        self._set(task_id, state="FAILURE", finished_at=to_db(at), error=error)

    def page(self, page: int, per_page: int) -> tuple[list[TaskRecord], int]:
        query = (
            select(load_tasks)
            .order_by(load_tasks.c.created_at.desc(), load_tasks.c.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        with self._reading() as conn:
            total = conn.scalar(select(func.count()).select_from(load_tasks)) or 0
            rows = conn.execute(query).all()
        return [_record(r) for r in rows], total

    def unfinished(self) -> list[TaskRecord]:
        query = select(load_tasks).where(load_tasks.c.state.in_(("PENDING", "STARTED")))
        with self._reading() as conn:
            return [_record(r) for r in conn.execute(query)]

    def claim(self, task_id: str, old_runner: str | None, new_runner: str) -> bool:
        query = (
            update(load_tasks)
            .where(load_tasks.c.id == task_id, load_tasks.c.runner == old_runner)
            .where(load_tasks.c.state.in_(("PENDING", "STARTED")))
            .values(runner=new_runner)
        )
        with self.engine.begin() as conn:
            return conn.execute(query).rowcount == 1

    def add_parts(self, parts: Sequence[PartRecord]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(load_task_parts),
                [
                    {
                        "task_id": p.task_id,
                        "part": p.part,
                        "start_byte": p.start,
                        "end_byte": p.end,
                        "first_line": p.first_line,
                        "state": p.state,
                        "rows_read": p.rows_read,
                    }
                    for p in parts
                ],
            )

    def parts(self, task_id: str) -> list[PartRecord]:
        with self.engine.begin() as conn:
            return self._parts(conn, task_id)

    def part_progress(self, task_id: str, part: int, rows_read: int) -> None:
        p = load_task_parts
        total = select(func.sum(p.c.rows_read)).where(p.c.task_id == task_id).scalar_subquery()
        with self.engine.begin() as conn:
            conn.execute(
                update(p)
                .where(p.c.task_id == task_id, p.c.part == part)
                .values(rows_read=rows_read)
            )
            conn.execute(
                update(load_tasks).where(load_tasks.c.id == task_id).values(rows_read=total)
            )

    def finish_part(
        self, task_id: str, part: int, result: dict[str, Any]
    ) -> list[PartRecord] | None:
        p = load_task_parts
        with self.engine.begin() as conn:
            # the task's row is the lock that serialises parts finishing at once
            conn.execute(
                select(load_tasks.c.id).where(load_tasks.c.id == task_id).with_for_update()
            )
            conn.execute(
                update(p)
                .where(p.c.task_id == task_id, p.c.part == part)
                .values(state="SUCCESS", result=json.dumps(result), rows_read=result["processed"])
            )
            parts = self._parts(conn, task_id)
        return parts if all(x.state == "SUCCESS" for x in parts) else None

    @staticmethod
    def _parts(conn: Connection, task_id: str) -> list[PartRecord]:
        p = load_task_parts
        rows = conn.execute(select(p).where(p.c.task_id == task_id).order_by(p.c.part))
        return [
            PartRecord(
                task_id=r.task_id,
                part=r.part,
                start=r.start_byte,
                end=r.end_byte,
                first_line=r.first_line,
                state=r.state,
                rows_read=r.rows_read,
                result=json.loads(r.result) if r.result else None,
            )
            for r in rows
        ]

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A transaction that only reads: on SQLite it does not wait for a writer."""
        with self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn

    def _set(self, task_id: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(load_tasks).where(load_tasks.c.id == task_id).values(**values))


def _record(row: Row[Any]) -> TaskRecord:
    return TaskRecord(
        id=row.id,
        table=row.table_name,
        source=row.source,
        state=row.state,
        rows_read=row.rows_read,
        result=json.loads(row.result) if row.result else None,
        error=row.error,
        created_at=from_db(row.created_at),
        started_at=from_db(row.started_at),
        finished_at=from_db(row.finished_at),
        runner=row.runner,
    )

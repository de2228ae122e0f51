"""Load task records in the SQL database, so status survives restarts of any process.

Every change of a lease is one UPDATE whose WHERE clause holds the condition, so that of
processes trying at once exactly one changes the row (the database locks it for the others,
which then find the condition false).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row

from core.ports import ACTIVE, AuditEntry, Lease, PartRecord, Progress, TaskRecord
from infra.db.audit_log import write as write_audit
from infra.db.engine import READ_ONLY
from infra.db.schema import load_task_parts, load_tasks
from infra.db.values import from_db, to_db

_NO_LEASE = {"lease_owner": None, "lease_expires_at": None}


class SqlTaskStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, task: TaskRecord, audit: AuditEntry | None = None) -> None:
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
                    lease_owner=task.lease_owner,
                    lease_expires_at=to_db(task.lease_expires_at),
                    attempts=task.attempts,
                    bytes_read=task.bytes_read,
                    bytes_total=task.bytes_total,
                )
            )
            if audit is not None:
                write_audit(conn, audit)

    def delete(self, task_id: str, audit: AuditEntry | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(load_task_parts).where(load_task_parts.c.task_id == task_id))
            conn.execute(delete(load_tasks).where(load_tasks.c.id == task_id))
            if audit is not None:
                write_audit(conn, audit)

    def get(self, task_id: str) -> TaskRecord | None:
        with self._reading() as conn:
            row = conn.execute(select(load_tasks).where(load_tasks.c.id == task_id)).first()
        return None if row is None else _record(row)

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

    def state_counts(self) -> dict[str, int]:
        query = select(load_tasks.c.state, func.count()).group_by(load_tasks.c.state)
        with self._reading() as conn:
            return {str(state): int(n) for state, n in conn.execute(query)}

    def unfinished(self) -> list[TaskRecord]:
        query = select(load_tasks).where(load_tasks.c.state.in_(ACTIVE))
        with self._reading() as conn:
            return [_record(r) for r in conn.execute(query)]

    def hold(
        self, task_id: str, part: int | None, owner: str, now: datetime, expires: datetime
    ) -> bool:
        table, key = _keyed(task_id, part)
        free = or_(
            table.c.lease_owner.is_(None),
            table.c.lease_owner == owner,
            table.c.lease_expires_at < to_db(now),
        )
        query = (
            update(table)
            .where(*key, table.c.state.in_(ACTIVE), free)
            .values(lease_owner=owner, lease_expires_at=to_db(expires))
        )
        return self._changed(query)

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
        table, key = _keyed(task_id, part)
        free = or_(
            table.c.lease_owner.is_(None),
            table.c.lease_owner == queued_by,
            table.c.lease_expires_at < to_db(now),
        )
        values: dict[str, Any] = {
            "state": "STARTED",
            "lease_owner": owner,
            "lease_expires_at": to_db(expires),
            "attempts": table.c.attempts + 1,
        }
        if part is None:
            # A run reads its file from the start; a split task delivered again goes on with
            # its parts, from when it was first started.
            split = exists().where(load_task_parts.c.task_id == task_id)
            started = case((split, func.coalesce(table.c.started_at, to_db(now))), else_=to_db(now))
            values.update(started_at=started, finished_at=None, error=None)
            values.update(_sums_of_parts(task_id))
        else:
            values.update(rows_read=0, bytes_read=0)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(table)
                .where(*key, table.c.state.in_(ACTIVE), table.c.attempts < limit, free)
                .values(**values)
            )
            if changed.rowcount != 1:
                return None
            attempts: int = conn.execute(select(table.c.attempts).where(*key)).scalar_one()
            if part is not None:
                conn.execute(
                    update(load_tasks)
                    .where(load_tasks.c.id == task_id)
                    .values(_sums_of_parts(task_id))
                )
        return attempts

    def renew(self, task_id: str, part: int | None, owner: str, expires: datetime) -> bool:
        table, key = _keyed(task_id, part)
        query = (
            update(table)
            .where(*key, table.c.lease_owner == owner, table.c.state.in_(ACTIVE))
            .values(lease_expires_at=to_db(expires))
        )
        return self._changed(query)

    def renew_held(self, owner: str, expires: datetime) -> None:
        with self.engine.begin() as conn:
            for table in (load_tasks, load_task_parts):
                conn.execute(
                    update(table)
                    .where(table.c.lease_owner == owner, table.c.state.in_(ACTIVE))
                    .values(lease_expires_at=to_db(expires))
                )

    def release(self, task_id: str, part: int | None, owner: str) -> None:
        table, key = _keyed(task_id, part)
        self._changed(update(table).where(*key, table.c.lease_owner == owner).values(**_NO_LEASE))

    def expired(self, now: datetime) -> list[Lease]:
        t, p = load_tasks, load_task_parts
        ran_out = [t.c.state.in_(ACTIVE), t.c.lease_expires_at < to_db(now)]
        parts_ran_out = [p.c.state.in_(ACTIVE), p.c.lease_expires_at < to_db(now)]
        lease = (t.c.lease_owner, t.c.lease_expires_at, t.c.attempts)
        part_lease = (p.c.lease_owner, p.c.lease_expires_at, p.c.attempts)
        with self._reading() as conn:
            tasks = conn.execute(select(t.c.id, *lease).where(*ran_out)).all()
            parts = conn.execute(select(p.c.task_id, p.c.part, *part_lease).where(*parts_ran_out))
            return [Lease(r.id, None, r[1], from_db(r[2]), r[3]) for r in tasks] + [
                Lease(r.task_id, r.part, r[2], from_db(r[3]), r[4]) for r in parts
            ]

    def take_over(
        self, lease: Lease, owner: str | None, now: datetime, expires: datetime | None
    ) -> bool:
        table, key = _keyed(lease.task_id, lease.part)
        held_by = (
            table.c.lease_owner.is_(None)
            if lease.owner is None
            else table.c.lease_owner == lease.owner
        )
        query = (
            update(table)
            .where(*key, table.c.state.in_(ACTIVE), held_by, table.c.lease_expires_at < to_db(now))
            .values(lease_owner=owner, lease_expires_at=to_db(expires))
        )
        return self._changed(query)

    def progress(
        self, task_id: str, read: Progress, bytes_total: int | None, owner: str, expires: datetime
    ) -> bool:
        query = (
            update(load_tasks)
            .where(*_held(task_id, None, owner))
            .values(
                rows_read=read.rows_read,
                bytes_read=read.bytes_read,
                bytes_total=bytes_total,
                lease_expires_at=to_db(expires),
            )
        )
        return self._changed(query)

    def finished(
        self, task_id: str, at: datetime, result: dict[str, Any], owner: str | None
    ) -> bool:
        query = (
            update(load_tasks)
            .where(*_held(task_id, None, owner))
            .values(state="SUCCESS", finished_at=to_db(at), result=json.dumps(result), **_NO_LEASE)
        )
        return self._changed(query)

    def failed(
        self,
        task_id: str,
        at: datetime,
        error: str,
        owner: str | None = None,
        part: int | None = None,
    ) -> bool:
        t, p = load_tasks, load_task_parts
        where = [t.c.id == task_id, t.c.state.in_(ACTIVE)]
        if owner is not None and part is None:
            where.append(t.c.lease_owner == owner)
        with self.engine.begin() as conn:
            if owner is not None and part is not None:
                holder = conn.execute(
                    select(p.c.lease_owner)
                    .where(p.c.task_id == task_id, p.c.part == part)
                    .with_for_update()
                ).scalar()
                if holder != owner:
                    return False
            changed = conn.execute(
                update(t)
                .where(*where)
                .values(state="FAILURE", finished_at=to_db(at), error=error, **_NO_LEASE)
            )
            if changed.rowcount != 1:
                return False
            conn.execute(
                update(p)
                .where(p.c.task_id == task_id, p.c.state.in_(ACTIVE))
                .values(state="FAILURE", **_NO_LEASE)
            )
        return True

    def cancel(
        self,
        task_id: str,
        at: datetime,
        combine: Callable[[list[PartRecord]], dict[str, Any] | None],
        audit: AuditEntry | None = None,
    ) -> bool:
        t, p = load_tasks, load_task_parts
        with self.engine.begin() as conn:
            self._lock(conn, task_id)
            changed = conn.execute(
                update(t)
                .where(t.c.id == task_id, t.c.state.in_(ACTIVE))
                .values(state="CANCELLED", finished_at=to_db(at))
            )
            if changed.rowcount != 1:
                return False
            if audit is not None:
                write_audit(conn, audit)
            conn.execute(
                update(p)
                .where(p.c.task_id == task_id, p.c.state.in_(ACTIVE))
                .values(state="CANCELLED")
            )
            self._combine(conn, task_id, combine)
        return True

    def stopped(self, task_id: str, result: dict[str, Any], read: Progress, owner: str) -> bool:
        t = load_tasks
        query = (
            update(t)
            .where(t.c.id == task_id, t.c.state == "CANCELLED", t.c.lease_owner == owner)
            .values(
                result=json.dumps(result),
                rows_read=read.rows_read,
                bytes_read=read.bytes_read,
                **_NO_LEASE,
            )
        )
        return self._changed(query)

    def part_stopped(
        self,
        task_id: str,
        part: int,
        result: dict[str, Any],
        read: Progress,
        owner: str,
        combine: Callable[[list[PartRecord]], dict[str, Any] | None],
    ) -> bool:
        p = load_task_parts
        with self.engine.begin() as conn:
            self._lock(conn, task_id)
            changed = conn.execute(
                update(p)
                .where(
                    p.c.task_id == task_id,
                    p.c.part == part,
                    p.c.state == "CANCELLED",
                    p.c.lease_owner == owner,
                )
                .values(
                    result=json.dumps(result),
                    rows_read=read.rows_read,
                    bytes_read=read.bytes_read,
                    **_NO_LEASE,
                )
            )
            if changed.rowcount != 1:
                return False
            self._combine(conn, task_id, combine)
        return True

    def retry(
        self,
        task_id: str,
        owner: str | None,
        expires: datetime | None,
        audit: AuditEntry | None = None,
    ) -> bool:
        t, p = load_tasks, load_task_parts
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(t)
                .where(t.c.id == task_id, t.c.state.in_(("FAILURE", "CANCELLED")))
                .values(
                    state="PENDING",
                    attempts=0,
                    result=None,
                    error=None,
                    started_at=None,
                    finished_at=None,
                    lease_owner=owner,
                    lease_expires_at=to_db(expires),
                )
            )
            if changed.rowcount != 1:
                return False
            if audit is not None:
                write_audit(conn, audit)
            conn.execute(
                update(p)
                .where(p.c.task_id == task_id, p.c.state != "SUCCESS")
                .values(
                    state="PENDING",
                    attempts=0,
                    result=None,
                    rows_read=0,
                    bytes_read=0,
                    **_NO_LEASE,
                )
            )
            conn.execute(update(t).where(t.c.id == task_id).values(_sums_of_parts(task_id)))
        return True

    def add_parts(self, parts: Sequence[PartRecord]) -> None:
        sizes: dict[str, list[int | None]] = {}
        for part in parts:
            sizes.setdefault(part.task_id, []).append(part.bytes_total)
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
                        "lease_owner": p.lease_owner,
                        "lease_expires_at": to_db(p.lease_expires_at),
                        "attempts": p.attempts,
                        "bytes_read": p.bytes_read,
                        "bytes_total": p.bytes_total,
                    }
                    for p in parts
                ],
            )
            for task_id, each in sizes.items():
                size = None if None in each else sum(s or 0 for s in each)
                conn.execute(
                    update(load_tasks).where(load_tasks.c.id == task_id).values(bytes_total=size)
                )

    def parts(self, task_id: str) -> list[PartRecord]:
        with self.engine.begin() as conn:
            return self._parts(conn, task_id)

    def part_progress(
        self, task_id: str, part: int, read: Progress, owner: str, expires: datetime
    ) -> bool:
        p = load_task_parts
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(p)
                .where(*_held(task_id, part, owner))
                .values(
                    rows_read=read.rows_read,
                    bytes_read=read.bytes_read,
                    lease_expires_at=to_db(expires),
                )
            )
            if changed.rowcount != 1:
                return False
            conn.execute(
                update(load_tasks).where(load_tasks.c.id == task_id).values(_sums_of_parts(task_id))
            )
        return True

    def finish_part(
        self, task_id: str, part: int, result: dict[str, Any], owner: str
    ) -> list[PartRecord] | None:
        p = load_task_parts
        with self.engine.begin() as conn:
            self._lock(conn, task_id)  # so that parts finishing at once take turns
            changed = conn.execute(
                update(p)
                .where(*_held(task_id, part, owner))
                .values(
                    state="SUCCESS",
                    result=json.dumps(result),
                    rows_read=result["processed"],
                    **_NO_LEASE,
                )
            )
            if changed.rowcount != 1:
                return None
            return self._parts(conn, task_id)

    @staticmethod
    def _lock(conn: Connection, task_id: str) -> None:
        """Lock the task's row: changes of its parts' results are serialised on it."""
        conn.execute(select(load_tasks.c.id).where(load_tasks.c.id == task_id).with_for_update())

    def _combine(
        self,
        conn: Connection,
        task_id: str,
        combine: Callable[[list[PartRecord]], dict[str, Any] | None],
    ) -> None:
        """Make a split task's result (and rows and bytes read) what its parts' add up to."""
        parts = self._parts(conn, task_id)
        if parts:
            result = combine(parts)
            conn.execute(
                update(load_tasks)
                .where(load_tasks.c.id == task_id)
                .values(
                    result=None if result is None else json.dumps(result),
                    rows_read=sum(p.rows_read for p in parts),
                    bytes_read=sum(p.bytes_read for p in parts),
                )
            )

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
                lease_owner=r.lease_owner,
                lease_expires_at=from_db(r.lease_expires_at),
                attempts=r.attempts,
                bytes_read=r.bytes_read,
                bytes_total=r.bytes_total,
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

    def _changed(self, query: Any) -> bool:
        """Run an UPDATE; True if it changed one row."""
        with self.engine.begin() as conn:
            return bool(conn.execute(query).rowcount == 1)


def _keyed(task_id: str, part: int | None) -> tuple[Table, list[ColumnElement[bool]]]:
    """The table of a task (part None) or of one of its parts, and the row's key."""
    if part is None:
        return load_tasks, [load_tasks.c.id == task_id]
    p = load_task_parts
    return p, [p.c.task_id == task_id, p.c.part == part]


def _held(task_id: str, part: int | None, owner: str | None) -> list[ColumnElement[bool]]:
    """The row of a task (or part), STARTED and held by owner (None: held by nobody)."""
    table, key = _keyed(task_id, part)
    holder = table.c.lease_owner.is_(None) if owner is None else table.c.lease_owner == owner
    return [*key, table.c.state == "STARTED", holder]


def _sums_of_parts(task_id: str) -> dict[str, Any]:
    """A task's rows and bytes read as the sums of its parts' (0 without parts)."""
    p = load_task_parts
    return {
        name: func.coalesce(
            select(func.sum(column)).where(p.c.task_id == task_id).scalar_subquery(), 0
        )
        for name, column in (("rows_read", p.c.rows_read), ("bytes_read", p.c.bytes_read))
    }


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
        lease_owner=row.lease_owner,
        lease_expires_at=from_db(row.lease_expires_at),
        attempts=row.attempts,
        bytes_read=row.bytes_read,
        bytes_total=row.bytes_total,
    )

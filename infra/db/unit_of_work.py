"""One database transaction holding the row, rejection and audit repositories."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, delete

from core.ports import Origin
from domain.rejections import Rejection
from infra.db.audit_log import SqlAuditRepository
from infra.db.hire_counts import PostgresHireCounts, SqlHireCounts, SqliteHireCounts
from infra.db.postgres_rows import PostgresRowRepository
from infra.db.rows import SqlRowRepository
from infra.db.schema import rejections
from infra.db.sqlite_rows import SqliteRowRepository
from infra.db.sqlite_writers import writer_queue
from infra.db.values import storable
from infra.db.write_guard import RestoreLock, hold_postgres, hold_sql_server

# Isolation that gives every read of a transaction the same data. SQLite's transactions
# already do (the engine begins them IMMEDIATE).
_SNAPSHOT_LEVEL = {"postgresql": "REPEATABLE READ", "mssql": "SERIALIZABLE"}
# How long a write waits for a running restore, and a restore for running writes.
GUARD_WAIT_SECONDS = 10.0
_GUARDS = {"postgresql": hold_postgres, "mssql": hold_sql_server}


class SqlRejectionRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, items: Sequence[Rejection], origin: Origin) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        params = [
            {
                "table_name": r.table,
                "task_id": origin.task_id,
                "batch_id": origin.batch_id,
                "line": r.line,
                "position": r.index,
                "record_id": r.record_id,
                "field": storable(r.field[:64]) if r.field else None,
                "reason": r.reason.value,
                "message": storable(r.message[:1024]),
                "raw": storable(r.raw),
                "created_at": now,
            }
            for r in items
        ]
        self.connection.execute(rejections.insert(), params)

    def forget(self, origin: Origin, lines: tuple[int, int | None] | None = None) -> None:
        if origin.task_id is None:
            return
        query = delete(rejections).where(rejections.c.task_id == origin.task_id)
        if lines is not None:
            first, last = lines
            query = query.where(rejections.c.line >= first)
            if last is not None:
                query = query.where(rejections.c.line <= last)
        self.connection.execute(query)


# Where a database has a faster way to store rows than executemany.
_ROW_REPOSITORIES: dict[str, type[SqlRowRepository]] = {
    "postgresql": PostgresRowRepository,
    "sqlite": SqliteRowRepository,
}
_HIRE_COUNTS: dict[str, type[SqlHireCounts]] = {
    "postgresql": PostgresHireCounts,
    "sqlite": SqliteHireCounts,
}


class SqlUnitOfWork:
    rows: SqlRowRepository
    rejections: SqlRejectionRepository
    hire_counts: SqlHireCounts
    audit: SqlAuditRepository

    def __init__(
        self,
        engine: Engine,
        snapshot: bool = False,
        exclusive: bool = False,
        wait: float = GUARD_WAIT_SECONDS,
    ) -> None:
        self.engine = engine
        self.snapshot = snapshot
        self.exclusive = exclusive
        self.wait = wait
        self._rows_class = _ROW_REPOSITORIES.get(engine.dialect.name, SqlRowRepository)
        self._counts_class = _HIRE_COUNTS.get(engine.dialect.name, SqlHireCounts)

    def __enter__(self) -> Self:
        """Begin; a writing unit of work first takes the guard against restores, or as one."""
        dialect = self.engine.dialect.name
        guarded = not self.snapshot
        with ExitStack() as held:
            if dialect == "sqlite":
                if guarded:
                    lock = RestoreLock(self.engine.url.database)
                    held.enter_context(lock.hold(self.exclusive, self.wait))
                held.enter_context(writer_queue(self.engine.url.database).turn())
            self.connection = held.enter_context(self.engine.connect())
            if self.snapshot and dialect in _SNAPSHOT_LEVEL:
                self.connection.execution_options(isolation_level=_SNAPSHOT_LEVEL[dialect])
            self.transaction = self.connection.begin()
            if guarded and dialect in _GUARDS:
                _GUARDS[dialect](self.connection, self.exclusive, self.wait)
            self._held = held.pop_all()
        self.rows = self._rows_class(self.connection)
        self.rejections = SqlRejectionRepository(self.connection)
        self.hire_counts = self._counts_class(self.connection)
        self.audit = SqlAuditRepository(self.connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back what was not committed, close the connection, let the next writer in."""
        self._held.close()

    def commit(self) -> None:
        self.transaction.commit()

"""One database transaction holding the row and rejection repositories."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import IntegrityError

from core.errors import ConcurrentWrite
from core.ports import Origin
from domain.rejections import Rejection
from domain.validation import Values
from infra.db.schema import DATA_TABLES, rejections
from infra.db.values import row_from_db, to_db

# SQL Server takes at most 2100 parameters in one statement.
IN_LIST_SIZE = 1000


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SqlRowRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def ids(self, table: str) -> set[int]:
        t = DATA_TABLES[table]
        return set(self.connection.scalars(select(t.c.id)))

    def existing(self, table: str, ids: Collection[int]) -> dict[int, Values]:
        t = DATA_TABLES[table]
        found: dict[int, Values] = {}
        for chunk in batched(list(ids), IN_LIST_SIZE):
            for row in self.connection.execute(select(t).where(t.c.id.in_(chunk))):
                found[row[0]] = row_from_db(row)
        return found

    def insert(self, table: str, rows: Sequence[Values]) -> None:
        t = DATA_TABLES[table]
        names = [c.name for c in t.columns]
        params = [{n: to_db(v) for n, v in zip(names, row, strict=True)} for row in rows]
        try:
            self.connection.execute(t.insert(), params)
        except IntegrityError as error:
            raise ConcurrentWrite(str(error.orig)) from error


def storable(text: str) -> str:
    """Text every database takes: no NUL characters, no lone surrogates (each becomes U+FFFD)."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


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

    def forget(self, origin: Origin) -> None:
        if origin.task_id is not None:
            self.connection.execute(
                delete(rejections).where(rejections.c.task_id == origin.task_id)
            )


class SqlUnitOfWork:
    rows: SqlRowRepository
    rejections: SqlRejectionRepository

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Self:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.rows = SqlRowRepository(self.connection)
        self.rejections = SqlRejectionRepository(self.connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.transaction.is_active:
            self.transaction.rollback()
        self.connection.close()

    def commit(self) -> None:
        self.transaction.commit()

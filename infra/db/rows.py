"""The data tables through SQLAlchemy Core: reads for every database, writes for SQL Server.

SQLite and PostgreSQL store rows through subclasses with faster paths.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError

from core.errors import ConcurrentWrite
from domain.tables import Kind, table_spec
from domain.validation_types import Values
from infra.db.schema import data_table
from infra.db.values import row_reader

# SQL Server takes at most 2100 parameters in one statement.
IN_LIST_SIZE = 1000
# Rows a single INSERT executemany takes: SQL Server's fast_executemany holds them all in memory.
INSERT_CHUNK = 1000
# Rows fetched at a time when a whole table is read (through a server-side cursor where there is one).
SCAN_BATCH = 5000


def _moments(table: str) -> list[int]:
    """Where the table's datetime columns are."""
    return [i for i, c in enumerate(table_spec(table).columns) if c.kind is Kind.DATETIME]


def _reader(table: str) -> Callable[[Sequence[Any]], Values]:
    return row_reader(_moments(table))


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SqlRowRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def ids(self, table: str) -> set[int]:
        t = data_table(table)
        return set(self.connection.scalars(select(t.c.id)))

    def existing(self, table: str, ids: Collection[int]) -> dict[int, Values]:
        """The stored rows among ids: one range scan when the ids are dense, else IN lists."""
        if not ids:
            return {}
        t, read = data_table(table), _reader(table)
        low, high = min(ids), max(ids)
        if high - low < 2 * len(ids):
            wanted = set(ids)
            query = select(t).where(t.c.id.between(low, high))
            return {r[0]: read(r) for r in self.connection.execute(query) if r[0] in wanted}
        found: dict[int, Values] = {}
        for chunk in batched(list(ids), IN_LIST_SIZE):
            for row in self.connection.execute(select(t).where(t.c.id.in_(chunk))):
                found[row[0]] = read(row)
        return found

    def insert(self, table: str, rows: Sequence[Values]) -> None:
        self._write(table, rows)

    def insert_new(self, table: str, rows: Sequence[Values]) -> set[int]:
        """Insert the rows whose ids no one has stored, in id order; return the ids inserted.

        A row that another transaction stores meanwhile is left out, not an error: the
        database's own conflict handling settles concurrent writers of the same ids.
        """
        return self._write_new(table, sorted(rows, key=lambda row: row[0]))

    def _write_new(self, table: str, rows: Sequence[Values]) -> set[int]:
        """SQL Server: each row in a savepoint of its own, a duplicate key rolled back alone."""
        statement = data_table(table).insert().compile(dialect=self.connection.dialect)
        convert = self._converter(table)
        inserted: set[int] = set()
        for row in rows:
            try:
                with self.connection.begin_nested():
                    self.connection.exec_driver_sql(str(statement), [convert(row)])
            except IntegrityError:
                continue
            inserted.add(row[0])
        return inserted

    def _write(self, table: str, rows: Sequence[Values]) -> None:
        """A driver-level executemany of tuples: no per-row dictionaries."""
        statement = str(data_table(table).insert().compile(dialect=self.connection.dialect))
        convert = self._converter(table)
        try:
            for chunk in batched(rows, INSERT_CHUNK):
                self.connection.exec_driver_sql(statement, [convert(row) for row in chunk])
        except IntegrityError as error:
            raise ConcurrentWrite(str(error.orig)) from error

    def _converter(self, table: str) -> Callable[[Values], Values]:
        """Datetimes as the driver takes them: naive UTC; on SQLite, in SQLAlchemy's text form."""
        moments = _moments(table)
        if not moments:
            return lambda row: row
        sqlite = self.connection.dialect.name == "sqlite"

        def convert(row: Values) -> Values:
            values = list(row)
            for i in moments:
                naive = values[i].replace(tzinfo=None)
                values[i] = naive.isoformat(" ", "microseconds") if sqlite else naive
            return tuple(values)

        return convert

    def scan(self, table: str) -> Iterator[Values]:
        t = data_table(table)
        result = self.connection.execution_options(yield_per=SCAN_BATCH).execute(
            select(t).order_by(t.c.id)
        )
        read = _reader(table)
        for row in result:
            yield read(row)

    def referenced(self, table: str, column: str) -> set[int]:
        t = data_table(table)
        return set(self.connection.scalars(select(t.c[column]).distinct()))

    def delete_all(self, table: str) -> None:
        self.connection.execute(delete(data_table(table)))

"""The data tables through SQLAlchemy Core: reads for every database, writes for SQL Server.

SQLite and PostgreSQL store rows and hire counts through subclasses with faster paths.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError

from core.errors import ConcurrentWrite
from domain import reports
from domain.reports import HireKey
from domain.tables import Kind, table_spec
from domain.validation_types import Values
from infra.db.schema import DATA_TABLES, QUARTERS, hire_counts
from infra.db.values import row_reader

# SQL Server takes at most 2100 parameters in one statement.
IN_LIST_SIZE = 1000
# Rows a single INSERT executemany takes: SQL Server's fast_executemany holds them all in memory.
INSERT_CHUNK = 1000
# Rows fetched at a time when a whole table is read (through a server-side cursor where there is one).
SCAN_BATCH = 5000


# A hire count row: department_id, job_id, year, then the hires of Q1 to Q4.
HireRow = tuple[int, int, int, int, int, int, int]
HIRE_COUNT_COLUMNS = tuple(c.name for c in hire_counts.columns)
# What SQLite's and PostgreSQL's INSERT into hire_counts end with: a stored count is added to.
ADD_TO_STORED_COUNTS = "ON CONFLICT (year, department_id, job_id) DO UPDATE SET " + ", ".join(
    f"{q} = hire_counts.{q} + excluded.{q}" for q in QUARTERS
)
_COLUMN_LIST = ", ".join(HIRE_COUNT_COLUMNS)
# SQL Server has no ON CONFLICT: MERGE adds to the counts or inserts them.
SQL_SERVER_MERGE = (
    "MERGE hire_counts WITH (HOLDLOCK) AS target "
    f"USING (VALUES ({', '.join('?' for _ in HIRE_COUNT_COLUMNS)})) AS source ({_COLUMN_LIST}) "
    "ON target.year = source.year AND target.department_id = source.department_id "
    "AND target.job_id = source.job_id "
    "WHEN MATCHED THEN UPDATE SET "
    + ", ".join(f"{q} = target.{q} + source.{q}" for q in QUARTERS)
    + f" WHEN NOT MATCHED THEN INSERT ({_COLUMN_LIST}) "
    f"VALUES ({', '.join(f'source.{c}' for c in HIRE_COUNT_COLUMNS)});"
)


def hire_rows(counts: Mapping[HireKey, int]) -> list[HireRow]:
    """The counts as rows of hire_counts, in primary-key order.

    Loads that add to the same counts at once thus lock them in the same order, and wait
    for each other rather than deadlock.
    """
    rows: dict[tuple[int, int, int], list[int]] = {}
    for (department, job, year, quarter), hires in counts.items():
        quarters = rows.setdefault((department, job, year), [0, 0, 0, 0])
        quarters[quarter - 1] += hires
    return [
        (department, job, year, q[0], q[1], q[2], q[3])
        for (department, job, year), q in sorted(
            rows.items(), key=lambda item: (item[0][2], item[0][0], item[0][1])
        )
    ]


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
        t = DATA_TABLES[table]
        return set(self.connection.scalars(select(t.c.id)))

    def existing(self, table: str, ids: Collection[int]) -> dict[int, Values]:
        """The stored rows among ids: one range scan when the ids are dense, else IN lists."""
        if not ids:
            return {}
        t, read = DATA_TABLES[table], _reader(table)
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
        """Insert rows; rows of hired_employees add to the hire counts in the same transaction."""
        self._write(table, rows)
        if table == "hired_employees":
            self._add_hire_counts(reports.hire_counts(rows))

    def insert_new(self, table: str, rows: Sequence[Values]) -> set[int]:
        """Insert the rows whose ids no one has stored, in id order; return the ids inserted.

        A row that another transaction stores meanwhile is left out, not an error: the
        database's own conflict handling settles concurrent writers of the same ids.
        """
        ordered = sorted(rows, key=lambda row: row[0])
        inserted = self._write_new(table, ordered)
        if table == "hired_employees":
            self._add_hire_counts(reports.hire_counts(r for r in ordered if r[0] in inserted))
        return inserted

    def _write_new(self, table: str, rows: Sequence[Values]) -> set[int]:
        """SQL Server: each row in a savepoint of its own, a duplicate key rolled back alone."""
        statement = DATA_TABLES[table].insert().compile(dialect=self.connection.dialect)
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

    def hire_counts(self) -> Counter[HireKey]:
        """The stored hire counts, by department, job, year and quarter (zeros left out)."""
        counts: Counter[HireKey] = Counter()
        for department, job, year, *quarters in self.connection.execute(
            select(
                hire_counts.c.department_id,
                hire_counts.c.job_id,
                hire_counts.c.year,
                *(hire_counts.c[q] for q in QUARTERS),
            )
        ):
            for quarter, hires in enumerate(quarters, 1):
                if hires:
                    counts[(department, job, year, quarter)] = hires
        return counts

    def _write(self, table: str, rows: Sequence[Values]) -> None:
        """A driver-level executemany of tuples: no per-row dictionaries."""
        statement = str(DATA_TABLES[table].insert().compile(dialect=self.connection.dialect))
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
        t = DATA_TABLES[table]
        result = self.connection.execution_options(yield_per=SCAN_BATCH).execute(
            select(t).order_by(t.c.id)
        )
        read = _reader(table)
        for row in result:
            yield read(row)

    def referenced(self, table: str, column: str) -> set[int]:
        t = DATA_TABLES[table]
        return set(self.connection.scalars(select(t.c[column]).distinct()))

    def delete_all(self, table: str) -> None:
        self.connection.execute(delete(DATA_TABLES[table]))

    def _add_hire_counts(self, counts: Mapping[HireKey, int]) -> None:
        """SQL Server's MERGE; SQLite and PostgreSQL have repositories of their own."""
        if counts:
            self.connection.exec_driver_sql(SQL_SERVER_MERGE, hire_rows(counts))

    def delete_hire_counts(self) -> None:
        self.connection.execute(delete(hire_counts))

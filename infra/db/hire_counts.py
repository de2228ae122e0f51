"""The report summary: hires per department, job, year and quarter, in hire_counts.

Core adds the counts of the employees it stores and empties them when it restores the
employees, in the same transaction; the report queries read them. SQLite and PostgreSQL add
counts with their own faster statements; SQL Server (and any other database) with MERGE.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

import psycopg
from sqlalchemy import Connection, delete, select

from core.errors import ConcurrentWrite
from domain.reports import HireKey
from infra.db.engine import lost_connection
from infra.db.schema import QUARTERS, hire_counts
from infra.db.sqlite_rows import from_json

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
_SQLITE_ADD = f"{from_json('hire_counts', HIRE_COUNT_COLUMNS)} {ADD_TO_STORED_COUNTS}"
_INCREMENTS = "department_id int, job_id int, year int, " + ", ".join(f"{q} int8" for q in QUARTERS)
# The additions are deleted as they are added, so that a second addition in the same
# transaction adds only its own; what is left is emptied at commit, in place (a TRUNCATE
# would give the table new files every time).
_POSTGRES_ADD = (
    "WITH added AS (DELETE FROM hire_count_additions RETURNING *) "
    f"INSERT INTO hire_counts ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM added "
    f"ORDER BY year, department_id, job_id {ADD_TO_STORED_COUNTS}"
)


def hire_rows(counts: Mapping[HireKey, int]) -> list[HireRow]:
    """The counts as rows of hire_counts, in primary-key order.

    Writers that add to the same counts at once thus lock them in the same order, and wait
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


class SqlHireCounts:
    """The summary on the connection of a unit of work; additions by SQL Server's MERGE."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, counts: Mapping[HireKey, int]) -> None:
        if counts:
            self._add(hire_rows(counts))

    def _add(self, rows: list[HireRow]) -> None:
        self.connection.exec_driver_sql(SQL_SERVER_MERGE, rows)

    def clear(self) -> None:
        self.connection.execute(delete(hire_counts))

    def all(self) -> Counter[HireKey]:
        """The stored counts, by department, job, year and quarter (zeros left out)."""
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


class SqliteHireCounts(SqlHireCounts):
    """Additions as one JSON document that SQLite unpacks."""

    def _add(self, rows: list[HireRow]) -> None:
        self.connection.exec_driver_sql(_SQLITE_ADD, (json.dumps(rows),))


class PostgresHireCounts(SqlHireCounts):
    """Additions COPYed into a temporary table, then added in one statement."""

    def _add(self, rows: list[HireRow]) -> None:
        driver = self.connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        cursor: psycopg.Cursor[Any]
        try:
            with lost_connection(driver), driver.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS hire_count_additions "
                    f"({_INCREMENTS}) ON COMMIT DELETE ROWS"
                )
                with cursor.copy("COPY hire_count_additions FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["int4"] * 3 + ["int8"] * 4)
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(_POSTGRES_ADD)
        except psycopg.errors.DeadlockDetected as error:
            raise ConcurrentWrite(str(error)) from error

"""The data tables on PostgreSQL: COPY for inserts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from core.errors import ConcurrentWrite
from domain.reports import HireKey
from domain.tables import Kind, table_spec
from domain.validation_types import Values
from infra.db.rows import SqlRowRepository
from infra.db.schema import DATA_TABLES

# COPY's text format: a backslash, tab, newline or carriage return in text is escaped.
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    return value.translate(_ESCAPES) if _SPECIAL.search(value) else value


def _copy_datetime(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat()  # naive UTC, as stored


_FORMAT: dict[Kind, Callable[[Any], str]] = {
    Kind.ID: str,
    Kind.REFERENCE: str,
    Kind.TEXT: _copy_text,
    Kind.DATETIME: _copy_datetime,
}


class PostgresRowRepository(SqlRowRepository):
    """Same contract as SqlRowRepository, on the psycopg connection of the transaction."""

    def insert(self, table: str, rows: Sequence[Values]) -> None:
        """COPY in text format, the rows formatted here into one buffer."""
        statement = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
            table=sql.Identifier(table), columns=self._columns(table)
        )
        formats = [_FORMAT[c.kind] for c in table_spec(table).columns]
        text = "".join(
            "\t".join([f(v) for f, v in zip(formats, row, strict=True)]) + "\n" for row in rows
        )
        try:
            with self._driver().cursor() as cursor, cursor.copy(statement) as copy:
                copy.write(text)
        except psycopg.errors.UniqueViolation as error:
            raise ConcurrentWrite(str(error)) from error

    def add_hire_counts(self, counts: Mapping[HireKey, int]) -> None:
        """COPY the increments into a temporary table, then add them in one statement.

        Keys go in primary-key order, so that loads adding to the same counts at once lock
        them in the same order and wait for each other rather than deadlock.
        """
        if not counts:
            return
        lines = "".join(f"{d}\t{j}\t{y}\t{q}\t{n}\n" for (d, j, y, q), n in counts.items())
        try:
            with self._driver().cursor() as cursor:
                cursor.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS hire_count_increments "
                    "(department_id int, job_id int, year int, quarter int, hires bigint)"
                )
                with cursor.copy("COPY hire_count_increments FROM STDIN") as copy:
                    copy.write(lines)
                cursor.execute(
                    "INSERT INTO hire_counts (department_id, job_id, year, quarter, hires) "
                    "SELECT department_id, job_id, year, quarter, hires FROM hire_count_increments "
                    "ORDER BY year, department_id, job_id, quarter "
                    "ON CONFLICT (year, department_id, job_id, quarter) "
                    "DO UPDATE SET hires = hire_counts.hires + EXCLUDED.hires"
                )
                cursor.execute("TRUNCATE hire_count_increments")
        except psycopg.errors.DeadlockDetected as error:
            raise ConcurrentWrite(str(error)) from error

    def _driver(self) -> psycopg.Connection[Any]:
        driver = self.connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        return driver

    @staticmethod
    def _columns(table: str) -> sql.Composed:
        return sql.SQL(", ").join(sql.Identifier(c.name) for c in DATA_TABLES[table].columns)

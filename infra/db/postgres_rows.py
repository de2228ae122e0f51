"""The data tables on PostgreSQL: binary COPY for inserts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from core.errors import ConcurrentWrite
from domain.tables import Kind, table_spec
from domain.validation_types import Values
from infra.db.engine import lost_connection
from infra.db.rows import SqlRowRepository
from infra.db.schema import data_table

# COPY's binary format: values go as the database stores them, with no text to build or parse.
# A datetime goes as timestamptz, whose binary form (microseconds since 2000-01-01 UTC) is that
# of the naive-UTC timestamp column: an aware value is stored as its UTC time.
_BINARY_TYPE: dict[Kind, str] = {
    Kind.ID: "int4",
    Kind.REFERENCE: "int4",
    Kind.TEXT: "text",
    Kind.DATETIME: "timestamptz",
}


class PostgresRowRepository(SqlRowRepository):
    """Same contract as SqlRowRepository, on the psycopg connection of the transaction."""

    def _write(self, table: str, rows: Sequence[Values]) -> None:
        """COPY in binary format, each row's values encoded by the driver."""
        statement = sql.SQL("COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)").format(
            table=sql.Identifier(table), columns=self._columns(table)
        )
        types = [_BINARY_TYPE[c.kind] for c in table_spec(table).columns]
        driver = self._driver()
        try:
            with lost_connection(driver), driver.cursor() as cursor, cursor.copy(statement) as copy:
                copy.set_types(types)
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected) as error:
            raise ConcurrentWrite(str(error)) from error

    def _write_new(self, table: str, rows: Sequence[Values]) -> set[int]:
        """One INSERT of arrays, in id order; a row stored meanwhile is skipped (ON CONFLICT).

        Writers of overlapping ids thus lock them in the same order and wait for each other
        rather than deadlock.
        """
        columns = table_spec(table).columns
        arrays = sql.SQL(", ").join(
            sql.SQL("%s::{}[]").format(sql.SQL(_BINARY_TYPE[c.kind])) for c in columns
        )
        picked = sql.SQL(", ").join(
            sql.SQL("{} AT TIME ZONE 'UTC'" if c.kind is Kind.DATETIME else "{}").format(
                sql.Identifier(c.name)
            )
            for c in columns
        )
        statement = sql.SQL(
            "INSERT INTO {table} ({columns}) SELECT {picked} FROM unnest({arrays}) "
            "AS given ({columns}) ORDER BY id ON CONFLICT (id) DO NOTHING RETURNING id"
        ).format(
            table=sql.Identifier(table),
            columns=self._columns(table),
            picked=picked,
            arrays=arrays,
        )
        if not rows:
            return set()
        params = [list(values) for values in zip(*rows, strict=True)]
        driver = self._driver()
        try:
            with lost_connection(driver), driver.cursor() as cursor:
                cursor.execute(statement, params)
                return {row[0] for row in cursor.fetchall()}
        except psycopg.errors.DeadlockDetected as error:
            raise ConcurrentWrite(str(error)) from error

    def _driver(self) -> psycopg.Connection[Any]:
        driver = self.connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        return driver

    @staticmethod
    def _columns(table: str) -> sql.Composed:
        return sql.SQL(", ").join(sql.Identifier(c.name) for c in data_table(table).columns)

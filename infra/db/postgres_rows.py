"""The data tables on PostgreSQL: COPY for inserts, one array lookup for known ids."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import psycopg
from psycopg import sql

from core.errors import ConcurrentWrite
from domain.validation import Values
from infra.db.rows import SqlRowRepository
from infra.db.schema import DATA_TABLES
from infra.db.values import row_from_db, to_db


class PostgresRowRepository(SqlRowRepository):
    """Same contract as SqlRowRepository, on the psycopg connection of the transaction."""

    def existing(self, table: str, ids: Collection[int]) -> dict[int, Values]:
        query = sql.SQL("SELECT {columns} FROM {table} WHERE id = ANY(%s)").format(
            columns=self._columns(table), table=sql.Identifier(table)
        )
        with self._driver().cursor() as cursor:
            cursor.execute(query, (list(ids),))
            return {int(row[0]): row_from_db(row) for row in cursor}

    def insert(self, table: str, rows: Sequence[Values]) -> None:
        statement = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
            table=sql.Identifier(table), columns=self._columns(table)
        )
        try:
            with self._driver().cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([to_db(v) for v in row])
        except psycopg.errors.UniqueViolation as error:
            raise ConcurrentWrite(str(error)) from error

    def _driver(self) -> psycopg.Connection[Any]:
        driver = self.connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        return driver

    @staticmethod
    def _columns(table: str) -> sql.Composed:
        return sql.SQL(", ").join(sql.Identifier(c.name) for c in DATA_TABLES[table].columns)

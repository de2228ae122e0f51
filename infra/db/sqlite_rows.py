"""The data tables on SQLite: a chunk goes in as one JSON document that SQLite unpacks.

One INSERT … SELECT FROM json_each(?) stores a whole chunk: SQLite reads the rows in C, and
Python's GIL stays free for the whole statement, so the loader checks the next chunk
meanwhile (an executemany takes the GIL back between every two rows).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from core.errors import ConcurrentWrite
from domain.validation_types import Values
from infra.db.rows import SqlRowRepository
from infra.db.schema import data_table


def from_json(table: str, columns: Sequence[str]) -> str:
    """INSERT of the rows of a JSON array of arrays, one element a column in order."""
    values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
    # "WHERE true" lets an ON CONFLICT clause follow the SELECT.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM json_each(?) WHERE true"
    )


class SqliteRowRepository(SqlRowRepository):
    """Same contract as SqlRowRepository; inserts go as JSON documents."""

    def _write(self, table: str, rows: Sequence[Values]) -> None:
        statement = from_json(table, [c.name for c in data_table(table).columns])
        convert = self._converter(table)
        document = json.dumps([convert(row) for row in rows])
        try:
            self.connection.exec_driver_sql(statement, (document,))
        except IntegrityError as error:
            raise ConcurrentWrite(str(error.orig)) from error

    def _write_new(self, table: str, rows: Sequence[Values]) -> set[int]:
        statement = from_json(table, [c.name for c in data_table(table).columns])
        convert = self._converter(table)
        document = json.dumps([convert(row) for row in rows])
        result = self.connection.exec_driver_sql(
            f"{statement} ON CONFLICT (id) DO NOTHING RETURNING id", (document,)
        )
        return set(result.scalars())

"""The three tables of the migration and their columns, in file order."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property


class Kind(Enum):
    ID = "id"
    REFERENCE = "reference"
    TEXT = "text"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    references: str | None = None  # table name for Kind.REFERENCE


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]

    @property
    def csv_name(self) -> str:
        return f"{self.name}.csv"

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


DEPARTMENTS = TableSpec("departments", (Column("id", Kind.ID), Column("department", Kind.TEXT)))
JOBS = TableSpec("jobs", (Column("id", Kind.ID), Column("job", Kind.TEXT)))
HIRED_EMPLOYEES = TableSpec(
    "hired_employees",
    (
        Column("id", Kind.ID),
        Column("name", Kind.TEXT),
        Column("datetime", Kind.DATETIME),
        Column("department_id", Kind.REFERENCE, references="departments"),
        Column("job_id", Kind.REFERENCE, references="jobs"),
    ),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (DEPARTMENTS, JOBS, HIRED_EMPLOYEES)}
LOAD_ORDER: tuple[str, ...] = ("departments", "jobs", "hired_employees")
REFERENCED_TABLES = frozenset(
    c.references for t in TABLES.values() for c in t.columns if c.references is not None
)


class UnknownTable(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def table_spec(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTable(name) from None

"""The tables of the migration: their columns in file order, what each refers to, and the
order in which they load."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from domain.rejections import Reason


class Kind(Enum):
    ID = "id"
    REFERENCE = "reference"
    TEXT = "text"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    """One column. A reference names the table whose id it holds, and the reason code of a
    row that refers to an id that table lacks."""

    name: str
    kind: Kind
    references: str | None = None
    missing: Reason | None = None

    def __post_init__(self) -> None:
        is_reference = self.kind is Kind.REFERENCE
        if is_reference != (self.references is not None) or is_reference != (
            self.missing is not None
        ):
            raise ValueError(
                f"column {self.name}: a reference, and only a reference, names the table "
                "it refers to and the reason of a missing row"
            )


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        if not self.columns or self.columns[0].kind is not Kind.ID:
            raise ValueError(f"table {self.name}: the first column is the id")
        if any(c.kind is Kind.ID for c in self.columns[1:]):
            raise ValueError(f"table {self.name}: one id column")

    @property
    def csv_name(self) -> str:
        return f"{self.name}.csv"

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def references(self) -> frozenset[str]:
        """The tables this one refers to."""
        return frozenset(c.references for c in self.columns if c.references is not None)


DEPARTMENTS = TableSpec("departments", (Column("id", Kind.ID), Column("department", Kind.TEXT)))
JOBS = TableSpec("jobs", (Column("id", Kind.ID), Column("job", Kind.TEXT)))
HIRED_EMPLOYEES = TableSpec(
    "hired_employees",
    (
        Column("id", Kind.ID),
        Column("name", Kind.TEXT),
        Column("datetime", Kind.DATETIME),
        Column(
            "department_id",
            Kind.REFERENCE,
            references="departments",
            missing=Reason.UNKNOWN_DEPARTMENT,
        ),
        Column("job_id", Kind.REFERENCE, references="jobs", missing=Reason.UNKNOWN_JOB),
    ),
)


def load_order(tables: Iterable[TableSpec]) -> tuple[str, ...]:
    """The names of the tables, each after the tables it refers to, otherwise as given."""
    pending = list(tables)
    order: list[str] = []
    while pending:
        ready = next((t for t in pending if t.references <= set(order)), None)
        if ready is None:
            raise ValueError(
                "these tables refer to each other or to tables not given: "
                + ", ".join(t.name for t in pending)
            )
        order.append(ready.name)
        pending.remove(ready)
    return tuple(order)


TABLES: dict[str, TableSpec] = {t.name: t for t in (DEPARTMENTS, JOBS, HIRED_EMPLOYEES)}
LOAD_ORDER: tuple[str, ...] = load_order(TABLES.values())
REFERENCED_TABLES = frozenset(r for t in TABLES.values() for r in t.references)


class UnknownTable(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def table_spec(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTable(name) from None

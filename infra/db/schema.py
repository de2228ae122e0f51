"""The tables of the database, for SQLite, PostgreSQL and SQL Server alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Unicode,
    UnicodeText,
)
from sqlalchemy.dialects import mssql
from sqlalchemy.types import TypeEngine

from domain.fields import MAX_TEXT
from domain.tables import Kind, TableSpec, table_spec

metadata = MetaData()

# NVARCHAR(max) on SQL Server, where UnicodeText would be the deprecated NTEXT.
LongText = UnicodeText().with_variant(mssql.NVARCHAR(), "mssql")
QUARTERS = ("q1", "q2", "q3", "q4")
HIRE_COUNTS_FILLFACTOR = 50

# The data tables come from their specs in domain/tables.py: an id is the primary key, text is
# Unicode (NVARCHAR on SQL Server, so names in any script survive there too), a datetime is
# naive UTC. No foreign keys: references are checked against in-memory sets before the
# insert, which keeps bulk loads fast (foreign keys slow PostgreSQL's COPY several times).
_TYPES: dict[Kind, Callable[[], TypeEngine[Any]]] = {
    Kind.ID: Integer,
    Kind.REFERENCE: Integer,
    Kind.TEXT: lambda: Unicode(MAX_TEXT),
    Kind.DATETIME: DateTime,
}


def _from_spec(spec: TableSpec) -> Table:
    columns = [
        Column(c.name, _TYPES[c.kind](), primary_key=c.kind is Kind.ID, autoincrement=False)
        if c.kind is Kind.ID
        else Column(c.name, _TYPES[c.kind](), nullable=False)
        for c in spec.columns
    ]
    return Table(spec.name, metadata, *columns)


def data_table(name: str) -> Table:
    """The table of a spec; made from the spec the first time it is asked for."""
    spec = table_spec(name)
    table = metadata.tables.get(spec.name)
    return _from_spec(spec) if table is None else table


departments, jobs, hired_employees = (
    data_table(name) for name in ("departments", "jobs", "hired_employees")
)

# Hires per department, job and year, a column a quarter (of the UTC hire time), kept in step
# with hired_employees in the same transactions: the reports read this, not every employee.
# One row holds the four quarters, so that a load adds to a quarter of the rows it would
# touch with a row a quarter.
hire_counts = Table(
    "hire_counts",
    metadata,
    Column("department_id", Integer, nullable=False, autoincrement=False),
    Column("job_id", Integer, nullable=False, autoincrement=False),
    Column("year", Integer, nullable=False, autoincrement=False),
    *(Column(q, BigInteger, nullable=False) for q in QUARTERS),
    PrimaryKeyConstraint("year", "department_id", "job_id"),
    # Every load adds to many counts: half-empty pages let PostgreSQL update them in place
    # (HOT), which keeps the table and its index from bloating with dead versions.
    postgresql_with={"fillfactor": HIRE_COUNTS_FILLFACTOR},
)

load_tasks = Table(
    "load_tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("table_name", String(32), nullable=False),
    Column("source", Unicode(1024), nullable=False),
    Column("state", String(16), nullable=False),
    Column("rows_read", BigInteger, nullable=False, default=0),
    Column("result", LongText, nullable=True),  # JSON
    Column("error", LongText, nullable=True),
    Column("created_at", DateTime(), nullable=False),
    Column("started_at", DateTime(), nullable=True),
    Column("finished_at", DateTime(), nullable=True),
    Column("runner", String(128), nullable=True),  # the kind of queue: "celery", "in-process"
    # The lease: who holds the task PENDING or STARTED (a process, or a run in one), until
    # when; no owner while a broker holds it. And how many times a process has started it.
    Column("lease_owner", String(128), nullable=True),
    Column("lease_expires_at", DateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    # Bytes of its files read so far, and their sizes once known; a split task's add up its
    # parts'.
    Column("bytes_read", BigInteger, nullable=False, default=0),
    Column("bytes_total", BigInteger, nullable=True),
    Index("ix_load_tasks_created_at", "created_at"),
    Index("ix_load_tasks_state", "state"),
)

# A load split over workers: one row a part of the file (see core/splitting.py).
load_task_parts = Table(
    "load_task_parts",
    metadata,
    Column("task_id", String(36), nullable=False),
    Column("part", Integer, nullable=False, autoincrement=False),
    Column("start_byte", BigInteger, nullable=False),
    Column("end_byte", BigInteger, nullable=True),
    Column("first_line", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("rows_read", BigInteger, nullable=False),
    Column("result", LongText, nullable=True),  # JSON
    Column("lease_owner", String(128), nullable=True),  # as the task's
    Column("lease_expires_at", DateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("bytes_read", BigInteger, nullable=False, default=0),  # of its byte range
    Column("bytes_total", BigInteger, nullable=True),  # the size of its byte range
    PrimaryKeyConstraint("task_id", "part"),
)

rejections = Table(
    "rejections",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("table_name", String(32), nullable=False),
    Column("task_id", String(36), nullable=True),
    Column("batch_id", String(36), nullable=True),
    Column("line", BigInteger, nullable=True),
    Column("position", Integer, nullable=True),
    Column("record_id", BigInteger, nullable=True),
    Column("field", String(64), nullable=True),
    Column("reason", String(32), nullable=False),
    Column("message", Unicode(1024), nullable=False),
    Column("raw", LongText, nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Index("ix_rejections_task_id", "task_id"),
    Index("ix_rejections_batch_id", "batch_id"),
    Index("ix_rejections_table_name", "table_name"),
)

"""The read-side queries of the two reports, on the hire_counts summary.

Portable SQL on a summary with a row per department, job and year and a column a quarter;
quarters were computed from the UTC hire time when the rows were stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Engine, Integer, Select, cast, func, select

from core.ports import DepartmentHires, QuarterCounts
from infra.db.schema import QUARTERS, departments, hire_counts, jobs


class SqlReportQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def hires_by_quarter(self, year: int) -> list[QuarterCounts]:
        with self.engine.connect() as conn:
            return [
                QuarterCounts(r[0], r[1], r[2], r[3], r[4], r[5])
                for r in conn.execute(quarter_query(year)).all()
            ]

    def hires_by_department(self, year: int) -> list[DepartmentHires]:
        h, d = hire_counts, departments
        query = (
            select(d.c.id, d.c.department, func.sum(_year_total()))
            .select_from(h.join(d, d.c.id == h.c.department_id))
            .where(h.c.year == year)
            .group_by(d.c.id, d.c.department)
        )
        with self.engine.connect() as conn:
            return [DepartmentHires(r[0], r[1], int(r[2])) for r in conn.execute(query).all()]


def _quarter(name: str) -> ColumnElement[int]:
    # A count is far below 2**31: read as an integer, not as the wider type of a BIGINT sum
    # (NUMERIC on PostgreSQL), which is slower to add up and to read.
    return cast(hire_counts.c[name], Integer)


def _year_total() -> ColumnElement[int]:
    q1, q2, q3, q4 = (_quarter(q) for q in QUARTERS)
    return q1 + q2 + q3 + q4


def quarter_query(year: int) -> Select[Any]:
    """Hires of the year per (department, job), a column a quarter: one stored row each."""
    h, d, j = hire_counts, departments, jobs
    return (
        select(d.c.department, j.c.job, *(_quarter(q) for q in QUARTERS))
        .select_from(h.join(d, d.c.id == h.c.department_id).join(j, j.c.id == h.c.job_id))
        .where(h.c.year == year, _year_total() > 0)
    )

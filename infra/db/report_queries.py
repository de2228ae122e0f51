"""The read-side queries of the two reports, on the hire_counts summary.

Portable SQL: counts per quarter use CASE rather than FILTER, which SQL Server lacks, and
quarters were computed from the UTC hire time when the rows were stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Integer, Select, case, cast, func, select

from core.ports import DepartmentHires, QuarterCounts
from infra.db.schema import departments, hire_counts, jobs


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
            select(d.c.id, d.c.department, func.sum(h.c.hires))
            .select_from(h.join(d, d.c.id == h.c.department_id))
            .where(h.c.year == year)
            .group_by(d.c.id, d.c.department)
        )
        with self.engine.connect() as conn:
            return [DepartmentHires(r[0], r[1], int(r[2])) for r in conn.execute(query).all()]


def quarter_query(year: int) -> Select[Any]:
    """Hires of the year per (department, job), a column a quarter."""
    h, d, j = hire_counts, departments, jobs
    # A count is far below 2**31: summed as integers, not as the wider types the sum of a
    # BIGINT gives (NUMERIC on PostgreSQL), which are slower to add up and to read.
    hires = cast(h.c.hires, Integer)
    quarters = [func.sum(case((h.c.quarter == q, hires), else_=0)) for q in (1, 2, 3, 4)]
    return (
        select(d.c.department, j.c.job, *quarters)
        .select_from(h.join(d, d.c.id == h.c.department_id).join(j, j.c.id == h.c.job_id))
        .where(h.c.year == year)
        .group_by(d.c.id, d.c.department, j.c.id, j.c.job)
        .having(func.sum(hires) > 0)
    )

"""The read-side queries of the two reports, on the hire_counts summary and its additions.

Portable SQL: counts per quarter use CASE rather than FILTER, which SQL Server lacks, and
quarters were computed from the UTC hire time when the rows were stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Integer, Select, Subquery, Table, case, cast, func, select, union_all

from core.ports import DepartmentHires, QuarterCounts
from infra.db.schema import departments, hire_count_deltas, hire_counts, jobs


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
        c, d = year_counts(year), departments
        query = (
            select(d.c.id, d.c.department, func.sum(c.c.hires))
            .select_from(c.join(d, d.c.id == c.c.department_id))
            .group_by(d.c.id, d.c.department)
        )
        with self.engine.connect() as conn:
            return [DepartmentHires(r[0], r[1], int(r[2])) for r in conn.execute(query).all()]


def year_counts(year: int) -> Subquery:
    """The year's counts: hire_counts and the additions not folded into it yet.

    A count is far below 2**31: read as an integer, not as the sum of a BIGINT, which is
    NUMERIC on PostgreSQL, slower to add up and to read.
    """

    def of(table: Table) -> Select[Any]:
        return select(
            table.c.department_id,
            table.c.job_id,
            table.c.quarter,
            cast(table.c.hires, Integer).label("hires"),
        ).where(table.c.year == year)

    return union_all(of(hire_counts), of(hire_count_deltas)).subquery("counts")


def quarter_query(year: int) -> Select[Any]:
    """Hires of the year per (department, job), a column a quarter."""
    c, d, j = year_counts(year), departments, jobs
    quarters = [func.sum(case((c.c.quarter == q, c.c.hires), else_=0)) for q in (1, 2, 3, 4)]
    return (
        select(d.c.department, j.c.job, *quarters)
        .select_from(c.join(d, d.c.id == c.c.department_id).join(j, j.c.id == c.c.job_id))
        .group_by(d.c.id, d.c.department, j.c.id, j.c.job)
        .having(func.sum(c.c.hires) > 0)
    )

"""The read-side queries of the two reports: portable SQL, no dialect's date functions.

Quarters are date ranges on the indexed datetime column rather than EXTRACT(quarter), which
SQLite does not have; counts use CASE rather than FILTER, which SQL Server does not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, case, func, select

from core.ports import DepartmentHires, QuarterCounts
from infra.db.schema import departments, hired_employees, jobs
from infra.db.values import to_db


class SqlReportQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def hires_by_quarter(self, starts: Sequence[datetime]) -> list[QuarterCounts]:
        e, d, j = hired_employees, departments, jobs
        bounds = [to_db(s) for s in starts]
        quarters = [
            func.sum(
                case(((e.c.datetime >= bounds[q]) & (e.c.datetime < bounds[q + 1]), 1), else_=0)
            )
            for q in range(4)
        ]
        query = (
            select(d.c.department, j.c.job, *quarters)
            .select_from(e.join(d, d.c.id == e.c.department_id).join(j, j.c.id == e.c.job_id))
            .where(e.c.datetime >= bounds[0], e.c.datetime < bounds[4])
            .group_by(d.c.id, d.c.department, j.c.id, j.c.job)
        )
        with self.engine.begin() as conn:
            return [
                QuarterCounts(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]))
                for r in conn.execute(query)
            ]

    def hires_by_department(self, start: datetime, end: datetime) -> list[DepartmentHires]:
        e, d = hired_employees, departments
        query = (
            select(d.c.id, d.c.department, func.count())
            .select_from(e.join(d, d.c.id == e.c.department_id))
            .where(e.c.datetime >= to_db(start), e.c.datetime < to_db(end))
            .group_by(d.c.id, d.c.department)
        )
        with self.engine.begin() as conn:
            return [DepartmentHires(r[0], r[1], int(r[2])) for r in conn.execute(query)]


def quarter_query(starts: Sequence[datetime]) -> Select[Any]:
    """Hires per (department, job) between starts[0] and starts[4], a column a quarter."""
    e, d, j = hired_employees, departments, jobs
    bounds = [to_db(s) for s in starts]
    quarters = [
        func.sum(case(((e.c.datetime >= bounds[q]) & (e.c.datetime < bounds[q + 1]), 1), else_=0))
        for q in range(4)
    ]
    return (
        select(d.c.department, j.c.job, *quarters)
        .select_from(e.join(d, d.c.id == e.c.department_id).join(j, j.c.id == e.c.job_id))
        .where(e.c.datetime >= bounds[0], e.c.datetime < bounds[4])
        .group_by(d.c.id, d.c.department, j.c.id, j.c.job)
    )

"""Whether the hire counts the reports read equal the employees stored."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import islice

from core.ports import UnitOfWorkFactory
from domain.reports import HireKey, hire_counts

_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class CountDifference:
    """One department, job, year and quarter whose stored count is not what is stored."""

    department_id: int
    job_id: int
    year: int
    quarter: int
    counted: int  # from the employees stored
    summary: int  # in the hire counts the reports read

    def as_dict(self) -> dict[str, int]:
        return {
            "department_id": self.department_id,
            "job_id": self.job_id,
            "year": self.year,
            "quarter": self.quarter,
            "counted": self.counted,
            "summary": self.summary,
        }


@dataclass
class Consistency:
    uow_factory: UnitOfWorkFactory

    def hire_count_differences(self) -> list[CountDifference]:
        return hire_count_differences(self.uow_factory)


def hire_count_differences(uow_factory: UnitOfWorkFactory) -> list[CountDifference]:
    """Count the hires of every stored employee again and compare, from one snapshot.

    Reads every employee: an operator's check, not a request's.
    """
    counted: Counter[HireKey] = Counter()
    with uow_factory(snapshot=True) as uow:
        rows = uow.rows.scan("hired_employees")
        while chunk := list(islice(rows, _CHUNK_ROWS)):
            counted.update(hire_counts(chunk))
        summary = uow.hire_counts.all()
    return [
        CountDifference(*key, counted[key], summary[key])
        for key in sorted(set(counted) | set(summary))
        if counted[key] != summary[key]
    ]

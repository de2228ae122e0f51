"""Definitions the two reports share: the year range and the alphabetical order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from domain.tables import HIRED_EMPLOYEES

YEAR_MIN, YEAR_MAX, DEFAULT_YEAR = 1900, 2100, 2021


def alphabetical(text: str) -> tuple[str, str]:
    """Order by str.casefold(), ties broken by the exact string: the same on every database."""
    return (text.casefold(), text)


HireKey = tuple[int, int, int, int]  # department_id, job_id, year, quarter
# The table the report summary counts, and where in its rows the counted values are.
SUMMARISED = HIRED_EMPLOYEES
_HIRED, _DEPARTMENT, _JOB = (
    SUMMARISED.column_names.index(name) for name in ("datetime", "department_id", "job_id")
)


def hire_counts(employees: Iterable[Sequence[Any]]) -> Counter[HireKey]:
    """Hires per department, job, year and quarter of rows of the summarised table."""
    h, d, j = _HIRED, _DEPARTMENT, _JOB
    return Counter((e[d], e[j], e[h].year, (e[h].month + 2) // 3) for e in employees)

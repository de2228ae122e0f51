"""Definitions the two reports share: the year range and the alphabetical order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

YEAR_MIN, YEAR_MAX, DEFAULT_YEAR = 1900, 2100, 2021


def alphabetical(text: str) -> tuple[str, str]:
    """Order by str.casefold(), ties broken by the exact string: the same on every database."""
    return (text.casefold(), text)


HireKey = tuple[int, int, int, int]  # department_id, job_id, year, quarter


def hire_counts(employees: Iterable[Sequence[Any]]) -> Counter[HireKey]:
    """Hires per department, job, year and quarter of rows of hired_employees."""
    return Counter((e[3], e[4], e[2].year, (e[2].month + 2) // 3) for e in employees)

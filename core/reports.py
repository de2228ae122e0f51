"""The two hiring reports, defined once for every database."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from core.errors import InvalidRequest
from core.ports import DepartmentHires, QuarterCounts, ReportQueries
from domain.reports import YEAR_MAX, YEAR_MIN, alphabetical


@dataclass(frozen=True)
class AboveAverage:
    year: int
    mean: float
    rows: list[DepartmentHires]


@dataclass
class Reports:
    """The two reports, read from the report summary."""

    queries: ReportQueries

    def hired_by_quarter(self, year: int) -> list[QuarterCounts]:
        return hired_by_quarter(self.queries, year)

    def hiring_above_average(self, year: int) -> AboveAverage:
        return hiring_above_average(self.queries, year)


def hired_by_quarter(queries: ReportQueries, year: int) -> list[QuarterCounts]:
    """Hires of the year per department and job, by quarter, sorted alphabetically."""
    rows = queries.hires_by_quarter(_checked(year))
    key = cache(alphabetical)  # each name's sort key made once, not once a row
    return sorted(rows, key=lambda r: (key(r.department), key(r.job)))


def hiring_above_average(queries: ReportQueries, year: int) -> AboveAverage:
    """Departments that hired strictly more than the year's mean over hiring departments."""
    counts = queries.hires_by_department(_checked(year))
    mean = sum(c.hired for c in counts) / len(counts) if counts else 0.0
    above = [c for c in counts if c.hired > mean]
    above.sort(key=lambda c: (-c.hired, *alphabetical(c.department)))
    return AboveAverage(year, mean, above)


def _checked(year: int) -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InvalidRequest(f"year must be between {YEAR_MIN} and {YEAR_MAX}")
    return year

"""Definitions the two reports share: the year range and the alphabetical order."""

from __future__ import annotations

from datetime import UTC, datetime

YEAR_MIN, YEAR_MAX, DEFAULT_YEAR = 1900, 2100, 2021


def alphabetical(text: str) -> tuple[str, str]:
    """Order by str.casefold(), ties broken by the exact string: the same on every database."""
    return (text.casefold(), text)


def quarter_starts(year: int) -> list[datetime]:
    """The UTC starts of Q1..Q4 and of the next year: five bounds of four quarters."""
    starts = [datetime(year, month, 1, tzinfo=UTC) for month in (1, 4, 7, 10)]
    return [*starts, datetime(year + 1, 1, 1, tzinfo=UTC)]

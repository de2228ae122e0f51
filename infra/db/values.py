"""Conversions between the domain's values and the database's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


def to_db(value: Any) -> Any:
    """Datetimes are stored as naive UTC on every database."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def from_db(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def row_from_db(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(from_db(v) for v in values)

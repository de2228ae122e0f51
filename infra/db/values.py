"""Conversions between the domain's values and the database's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def row_reader(moments: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function giving a row's values as the domain has them: the datetimes at `moments`
    made aware (UTC), the other values as they are."""
    if not moments:
        return tuple

    def read(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for i in moments:
            values[i] = from_db(values[i])
        return tuple(values)

    return read


def storable(text: str) -> str:
    """Text every database takes: no NUL characters, no lone surrogates (each becomes U+FFFD)."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text

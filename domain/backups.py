"""What a table backup holds besides its rows, and the checksum that proves the rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class BackupMeta:
    table: str
    rows: int
    sha256: str
    created_at: datetime
    schema_version: str = SCHEMA_VERSION


@dataclass(frozen=True)
class BackupInfo:
    name: str
    size: int
    meta: BackupMeta

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup": self.name,
            "table": self.meta.table,
            "rows": self.meta.rows,
            "size": self.size,
            "sha256": self.meta.sha256,
            "schema_version": self.meta.schema_version,
            "created_at": self.meta.created_at,
        }


class RowDigest:
    """SHA-256 over the rows in order, each value in one canonical text form."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.rows = 0

    def add(self, values: Iterable[Any]) -> None:
        self._hash.update("\x1f".join(_canonical(v) for v in values).encode("utf-8"))
        self._hash.update(b"\x1e")
        self.rows += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _canonical(value: Any) -> str:
    if isinstance(value, datetime):
        utc = value.astimezone(UTC)
        if utc.year >= 1000:  # the strftime text below, written several times faster
            return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" becomes "Z"
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(value)


def backup_name(table: str, at: datetime, unique: str) -> str:
    """Names sort by time, and two backups never share one."""
    return f"{table}-{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{unique}.avro"


def value_problem(kinds: Iterable[str], values: tuple[Any, ...]) -> str | None:
    """Why a row read from a backup cannot be a row of its table, or None."""
    kinds = list(kinds)
    if len(values) != len(kinds):
        return f"{len(values)} values, expected {len(kinds)}"
    for kind, value in zip(kinds, values, strict=True):
        if kind in ("id", "reference"):
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 1 <= value <= 2_147_483_647
            ):
                return f"{value!r} is not an id"
        elif kind == "text":
            if (
                not isinstance(value, str)
                or not value.strip()
                or len(value) > 255
                or "\x00" in value
            ):
                return f"{value!r} is not a valid text value"
        elif kind == "datetime" and (not isinstance(value, datetime) or value.tzinfo is None):
            return f"{value!r} is not a UTC datetime"
    return None

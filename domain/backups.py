"""What a table backup holds besides its rows, and the checksum that proves the rows."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from domain.fields import FIELDS, FieldError
from domain.tables import TableSpec

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


def stored_problem(spec: TableSpec, values: tuple[Any, ...]) -> str | None:
    """Why a row read from a backup cannot be a row of its table, or None.

    Each value must be one the table's rules give (domain.fields, `stored`); whether the
    ids it refers to exist is checked once the whole backup is read.
    """
    checks = _stored_checks(spec)
    if len(values) != len(checks):
        return f"{len(values)} values, expected {len(checks)}"
    try:
        for check, value in zip(checks, values, strict=True):
            check(value)
    except FieldError as error:
        return error.message
    return None


@cache
def _stored_checks(spec: TableSpec) -> tuple[Callable[[object], object], ...]:
    return tuple(FIELDS[c.kind].stored for c in spec.columns)

"""The data rules applied to one row, from a CSV file or from a JSON batch."""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from domain.fast_rows import quick_checks
from domain.fields import FIELDS, MAX_ID, FieldError
from domain.rejections import Reason, Rejection
from domain.seen_ids import SeenIds
from domain.tables import Column, Kind, TableSpec
from domain.validation_types import Values


class Candidate(NamedTuple):
    """A row that passed every rule that can be checked without the stored table."""

    table: str
    values: Values
    raw: str | JsonRaw
    line: int | None = None
    position: int | None = None  # index in a batch ("index" is a tuple method)

    @property
    def id(self) -> int:
        value: int = self.values[0]
        return value

    def reject(self, reason: Reason, message: str, field: str | None = None) -> Rejection:
        return Rejection(
            table=self.table,
            reason=reason,
            message=message,
            raw=render_raw(self.raw),
            field=field,
            record_id=self.id,
            line=self.line,
            index=self.position,
        )


@dataclass(frozen=True)
class JsonRaw:
    """A batch element, rendered as JSON only when a rejection needs it."""

    value: object


def render_raw(raw: str | JsonRaw) -> str:
    if isinstance(raw, JsonRaw):
        text = json.dumps(raw.value, ensure_ascii=False, default=str)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: keep it as a JSON escape
            text = json.dumps(raw.value, default=str)
        return text
    return raw


@dataclass(frozen=True)
class _Where:
    raw: str | JsonRaw
    line: int | None = None
    index: int | None = None


@dataclass
class RowChecker:
    """Checks rows of one table, one at a time, within one file or batch.

    `known` holds the ids of the referenced tables; ids repeated within the file or
    batch are refused as duplicate_id, the first one wins.
    """

    spec: TableSpec
    known: Mapping[str, Container[int]]
    seen: SeenIds = field(default_factory=SeenIds)

    def __post_init__(self) -> None:
        self._fast_line, self._fast, self._fast_json = quick_checks(self.spec, self.known)
        self._from_text = tuple(FIELDS[c.kind].text for c in self.spec.columns)
        self._from_json = tuple(FIELDS[c.kind].json for c in self.spec.columns)
        self._width = len(self.spec.columns)
        self._keys = frozenset(self.spec.column_names)

    def check_csv(self, fields: list[str], line: int, raw: str) -> Candidate | Rejection:
        if len(fields) == self._width:
            values = self._fast(fields)
            if values is not None and self.seen.add(values[0]):
                return Candidate(self.spec.name, values, raw, line)
        return self._check_csv(fields, line, raw)

    def check_lines(
        self, lines: list[str], first_line: int
    ) -> tuple[list[Candidate], list[Rejection]]:
        """Check lines that hold one record each, fields split on commas; blank ones are skipped.

        Lines are checked in order, so that the first of two with the same id wins.
        """
        candidates: list[Candidate] = []
        rejections: list[Rejection] = []
        quick, seen, table = self._fast_line, self.seen.add, self.spec.name
        make = tuple.__new__  # Candidate(table, values, line, number), at a third of the cost
        for number, line in enumerate(lines, first_line):
            values = quick(line)
            if values is not None and seen(values[0]):
                candidates.append(make(Candidate, (table, values, line, number, None)))
            elif line and not line.isspace():
                checked = self._check_csv(line.split(","), number, line)
                if isinstance(checked, Candidate):
                    candidates.append(checked)
                else:
                    rejections.append(checked)
        return candidates, rejections

    def _check_csv(self, fields: list[str], line: int, raw: str) -> Candidate | Rejection:
        where = _Where(raw, line=line)
        if len(fields) != len(self.spec.columns):
            return self._rejection(
                Reason.WRONG_FIELD_COUNT,
                f"{len(fields)} fields, expected {len(self.spec.columns)} "
                f"({', '.join(self.spec.column_names)})",
                where,
            )
        return self._check(fields, self._from_text, where)

    def check_json(self, row: object, index: int) -> Candidate | Rejection:
        if type(row) is dict and row.keys() == self._keys:
            values = self._fast_json(row)
            if values is not None and self.seen.add(values[0]):
                return Candidate(self.spec.name, values, JsonRaw(row), position=index)
        return self._check_json(row, index)

    def _check_json(self, row: object, index: int) -> Candidate | Rejection:
        where = _Where(JsonRaw(row), index=index)
        if not isinstance(row, dict):
            return self._rejection(Reason.INVALID_ROW, "a row must be a JSON object", where)
        unknown = sorted(str(k) for k in row if k not in self.spec.column_names)
        if unknown:
            return self._rejection(
                Reason.UNKNOWN_FIELD,
                f"unknown field(s) {', '.join(unknown)}; "
                f"{self.spec.name} has {', '.join(self.spec.column_names)}",
                where,
                field=unknown[0],
                record_id=_plain_id(row.get("id")),
            )
        values = [row.get(name) for name in self.spec.column_names]
        return self._check(values, self._from_json, where)

    def _check(
        self, raw_values: list[Any], parsers: tuple[Callable[[Any], Any], ...], where: _Where
    ) -> Candidate | Rejection:
        values: list[Any] = []
        record_id: int | None = None
        for column, parse, raw_value in zip(self.spec.columns, parsers, raw_values, strict=True):
            try:
                value = parse(raw_value)
            except FieldError as error:
                return self._rejection(
                    error.reason, error.message, where, field=column.name, record_id=record_id
                )
            problem = self._problem(column, value)
            if problem is not None:
                reason, message = problem
                return self._rejection(
                    reason, message, where, field=column.name, record_id=record_id or value
                )
            if column.kind is Kind.ID:
                record_id = value
            values.append(value)
        return Candidate(self.spec.name, tuple(values), where.raw, where.line, where.index)

    def _problem(self, column: Column, value: Any) -> tuple[Reason, str] | None:
        if column.kind is Kind.ID and not self.seen.add(value):
            return Reason.DUPLICATE_ID, f"id {value} appears earlier in the same file or batch"
        if column.references is not None and value not in self.known[column.references]:
            return unknown_reference(column, value)
        return None

    def _rejection(
        self,
        reason: Reason,
        message: str,
        where: _Where,
        field: str | None = None,
        record_id: int | None = None,
    ) -> Rejection:
        return Rejection(
            table=self.spec.name,
            reason=reason,
            message=message,
            raw=render_raw(where.raw),
            field=field,
            record_id=record_id,
            line=where.line,
            index=where.index,
        )


def unknown_reference(column: Column, value: int) -> tuple[Reason, str]:
    """The reason and message of a reference to a row its table lacks."""
    assert column.references is not None and column.missing is not None
    singular = column.references.rstrip("s")
    return column.missing, f"no {singular} with id {value}"


def _plain_id(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    return None

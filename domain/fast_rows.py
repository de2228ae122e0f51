"""The common case of a CSV row, plain and valid, checked in one quick pass per table.

Each function returns the row's values, or None for anything unusual; a None sends the row
through the full rules of domain.validation, which accept it or say why not. The quick
pass accepts only what the full rules accept, and gives the same values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from datetime import datetime

from domain.fields import MAX_ID, MAX_TEXT, FieldError, datetime_from_text
from domain.validation_types import Values

_PLAIN_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", re.ASCII)
# The usual line of hired_employees: ids of ASCII digits and a moment in UTC, written out.
_PLAIN_EMPLOYEE_LINE = re.compile(
    r"([0-9]{1,10}),([^,]*),([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z),"
    r"([0-9]{1,10}),([0-9]{1,10})"
)

FastRow = Callable[[list[str]], Values | None]
FastLine = Callable[[str], Values | None]


def _int(text: str) -> int | None:
    if len(text) <= 10 and text.isdigit() and text.isascii():
        value = int(text)
        if value and value <= MAX_ID:
            return value
    return None


def _text(text: str) -> str | None:
    text = text.strip()
    if text and len(text) <= MAX_TEXT and "\x00" not in text:
        return text
    return None


def _datetime(text: str) -> datetime | None:
    if _PLAIN_DATETIME.fullmatch(text):
        try:
            return datetime.fromisoformat(text)  # "…Z": aware, in UTC
        except ValueError:
            return None
    try:
        return datetime_from_text(text)
    except FieldError:
        return None


def _id_and_text(fields: list[str]) -> Values | None:
    row_id, text = _int(fields[0]), _text(fields[1])
    if row_id is None or text is None:
        return None
    return (row_id, text)


def _employee(departments: Container[int], jobs: Container[int]) -> FastRow:
    def employee(fields: list[str]) -> Values | None:
        # The helpers' checks written out: this runs for every row of every load.
        row_id, name, hired, department, job = fields
        if not (
            len(row_id) <= 10
            and len(department) <= 10
            and len(job) <= 10
            and row_id.isdigit()
            and department.isdigit()
            and job.isdigit()
            and row_id.isascii()
            and department.isascii()
            and job.isascii()
        ):
            return None
        number, department_id, job_id = int(row_id), int(department), int(job)
        if not 0 < number <= MAX_ID or department_id not in departments or job_id not in jobs:
            return None
        name = name.strip()
        if not name or len(name) > MAX_TEXT or "\x00" in name:
            return None
        moment = _datetime(hired)
        if moment is None:
            return None
        return (number, name, moment, department_id, job_id)

    return employee


def _employee_line(departments: Container[int], jobs: Container[int]) -> FastLine:
    """One regular expression splits and checks the usual line; other lines as fields.

    The checks after the split are _employee's, written out again on the regex's groups for
    speed: a change to one belongs in both (test_fast_rows holds both to the full rules).
    """
    match, from_iso, fields_check = (
        _PLAIN_EMPLOYEE_LINE.fullmatch,
        datetime.fromisoformat,
        _employee(departments, jobs),
    )

    def employee_line(line: str) -> Values | None:
        found = match(line)
        if found is None:
            fields = line.split(",")
            return fields_check(fields) if len(fields) == 5 else None
        row_id, name, hired, department, job = found.groups()
        number, department_id, job_id = int(row_id), int(department), int(job)
        name = name.strip()
        if not (
            0 < number <= MAX_ID
            and department_id in departments
            and job_id in jobs
            and name
            and len(name) <= MAX_TEXT
            and "\x00" not in name
        ):
            return None
        try:
            return (number, name, from_iso(hired), department_id, job_id)
        except ValueError:  # no such day or time
            return None

    return employee_line


def _json_int(value: object) -> int | None:
    if type(value) is int and 0 < value <= MAX_ID:
        return value
    return None


def _json_text(value: object) -> str | None:
    """As _text, and no lone surrogate, which JSON can carry and no database stores."""
    if type(value) is not str:
        return None
    text = _text(value)
    if text is not None and not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return text


def _json_datetime(value: object) -> datetime | None:
    return _datetime(value) if type(value) is str else None


FastJsonRow = Callable[[dict[str, object]], Values | None]


def fast_json_row(table: str, known: Mapping[str, Container[int]]) -> FastJsonRow | None:
    """The quick check of a batch element that is an object with exactly the table's keys."""
    if table in ("departments", "jobs"):
        text_key = "department" if table == "departments" else "job"

        def id_and_text(row: dict[str, object]) -> Values | None:
            row_id, text = _json_int(row["id"]), _json_text(row[text_key])
            return None if row_id is None or text is None else (row_id, text)

        return id_and_text
    if table == "hired_employees":
        departments, jobs = known["departments"], known["jobs"]

        def employee(row: dict[str, object]) -> Values | None:
            row_id = _json_int(row["id"])
            department, job = _json_int(row["department_id"]), _json_int(row["job_id"])
            if row_id is None or department not in departments or job not in jobs:
                return None
            name, hired = _json_text(row["name"]), _json_datetime(row["datetime"])
            if name is None or hired is None:
                return None
            return (row_id, name, hired, department, job)

        return employee
    return None


def fast_row(table: str, known: Mapping[str, Container[int]]) -> FastRow | None:
    """The quick check of a table's rows, for rows of the right number of fields."""
    if table in ("departments", "jobs"):
        return _id_and_text
    if table == "hired_employees":
        return _employee(known["departments"], known["jobs"])
    return None


def fast_line(table: str, known: Mapping[str, Container[int]], width: int) -> FastLine | None:
    """The quick check of a line that holds one record, its fields split on commas."""
    if table == "hired_employees":
        return _employee_line(known["departments"], known["jobs"])
    fast = fast_row(table, known)
    if fast is None:
        return None

    def line_values(line: str) -> Values | None:
        fields = line.split(",")
        return fast(fields) if len(fields) == width else None

    return line_values

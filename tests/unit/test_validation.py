from datetime import UTC, datetime

import pytest

from domain.rejections import Reason, Rejection
from domain.seen_ids import SeenIds
from domain.tables import DEPARTMENTS, HIRED_EMPLOYEES
from domain.validation import Candidate, RowChecker

KNOWN = {"departments": {1, 2}, "jobs": {10}}


def employees() -> RowChecker:
    return RowChecker(HIRED_EMPLOYEES, KNOWN)


def test_a_good_csv_row_becomes_typed_values():
    checked = employees().check_csv(["5", " Ana ", "2021-03-01T00:00:00Z", "2", "10"], 3, "raw")
    assert checked == Candidate(
        "hired_employees", (5, "Ana", datetime(2021, 3, 1, tzinfo=UTC), 2, 10), "raw", line=3
    )


@pytest.mark.parametrize(
    ("fields", "reason", "field", "record_id"),
    [
        (["5", "Ana", "2021-03-01T00:00:00Z", "2"], Reason.WRONG_FIELD_COUNT, None, None),
        (["5", "", "2021-03-01T00:00:00Z", "2", "10"], Reason.REQUIRED, "name", 5),
        (["", "Ana", "2021-03-01T00:00:00Z", "2", "10"], Reason.REQUIRED, "id", None),
        (["5", "Ana", "2021-03-01", "2", "10"], Reason.INVALID_DATETIME, "datetime", 5),
        (
            ["5", "Ana", "2021-03-01T00:00:00Z", "3", "10"],
            Reason.UNKNOWN_DEPARTMENT,
            "department_id",
            5,
        ),
        (["5", "Ana", "2021-03-01T00:00:00Z", "2", "11"], Reason.UNKNOWN_JOB, "job_id", 5),
        (["5", "Ana", "2021-03-01T00:00:00Z", "2", "x"], Reason.INVALID_INTEGER, "job_id", 5),
    ],
)
def test_csv_rows_refused_with_reason_field_and_id(fields, reason, field, record_id):
    checked = employees().check_csv(fields, 7, ",".join(fields))
    assert isinstance(checked, Rejection)
    assert (checked.reason, checked.field, checked.record_id, checked.line) == (
        reason,
        field,
        record_id,
        7,
    )
    assert checked.raw == ",".join(fields)
    assert checked.table == "hired_employees"


def test_an_id_repeated_in_one_file_is_refused_and_the_first_wins():
    checker = RowChecker(DEPARTMENTS, {})
    first = checker.check_csv(["1", "Sales"], 1, "1,Sales")
    second = checker.check_csv(["1", "Sales"], 2, "1,Sales")
    assert isinstance(first, Candidate)
    assert isinstance(second, Rejection)
    assert (second.reason, second.record_id, second.field) == (Reason.DUPLICATE_ID, 1, "id")


def test_json_rows():
    checker = employees()
    good = checker.check_json(
        {"id": 1, "name": "Zoë", "datetime": "2021-01-01 10:00", "department_id": 1, "job_id": 10},
        0,
    )
    assert isinstance(good, Candidate)
    assert good.values[1] == "Zoë"
    assert good.position == 0


@pytest.mark.parametrize(
    ("row", "reason", "field", "record_id"),
    [
        ([1, "a"], Reason.INVALID_ROW, None, None),
        ("text", Reason.INVALID_ROW, None, None),
        (None, Reason.INVALID_ROW, None, None),
        ({"id": 2, "department": "x", "extra": 1}, Reason.UNKNOWN_FIELD, "extra", 2),
        ({"id": 2}, Reason.REQUIRED, "department", 2),
        ({"id": "2", "department": "x"}, Reason.INVALID_INTEGER, "id", None),
        ({"id": 2, "department": None}, Reason.REQUIRED, "department", 2),
        ({"id": 2, "department": 5}, Reason.INVALID_TEXT, "department", 2),
    ],
)
def test_json_rows_refused(row, reason, field, record_id):
    checked = RowChecker(DEPARTMENTS, {}).check_json(row, 4)
    assert isinstance(checked, Rejection)
    assert (checked.reason, checked.field, checked.record_id, checked.index, checked.line) == (
        reason,
        field,
        record_id,
        4,
        None,
    )


def test_rejection_keeps_the_raw_json_row():
    checked = RowChecker(DEPARTMENTS, {}).check_json({"id": 2, "department": ""}, 0)
    assert isinstance(checked, Rejection)
    assert checked.raw == '{"id": 2, "department": ""}'


def test_seen_ids_are_remembered_across_pages():
    seen = SeenIds()
    assert [seen.add(i) for i in (1, 65536, 2147483647, 1, 65536, 2147483647)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]

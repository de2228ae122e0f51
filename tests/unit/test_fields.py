from datetime import UTC, datetime

import pytest

from domain import fields
from domain.fields import FieldError
from domain.rejections import Reason


def _reason(parse, value) -> Reason:
    with pytest.raises(FieldError) as caught:
        parse(value)
    return caught.value.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), (" 42 ", 42), ("007", 7), ("2147483647", 2147483647), ("0000000000001", 1)],
)
def test_csv_integers_accept_digits_only_after_trimming(text, expected):
    assert fields.ID.text(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", Reason.REQUIRED),
        ("   ", Reason.REQUIRED),
        ("0", Reason.OUT_OF_RANGE),
        ("2147483648", Reason.OUT_OF_RANGE),
        ("9" * 5000, Reason.OUT_OF_RANGE),
        ("-1", Reason.INVALID_INTEGER),
        ("+1", Reason.INVALID_INTEGER),
        ("1.0", Reason.INVALID_INTEGER),
        ("1e3", Reason.INVALID_INTEGER),
        ("x12", Reason.INVALID_INTEGER),
        ("١٢", Reason.INVALID_INTEGER),  # Arabic-Indic digits are not ASCII digits
        ("1 2", Reason.INVALID_INTEGER),
    ],
)
def test_csv_integers_refuse(text, reason):
    assert _reason(fields.ID.text, text) is reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, Reason.REQUIRED),
        ("5", Reason.INVALID_INTEGER),
        (5.0, Reason.INVALID_INTEGER),
        (True, Reason.INVALID_INTEGER),
        ([5], Reason.INVALID_INTEGER),
        (0, Reason.OUT_OF_RANGE),
        (-3, Reason.OUT_OF_RANGE),
        (2**31, Reason.OUT_OF_RANGE),
    ],
)
def test_json_integers_must_be_json_integers_in_range(value, reason):
    assert _reason(fields.ID.json, value) is reason


def test_json_integer_accepted():
    assert fields.ID.json(2147483647) == 2147483647


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" Sales ", "Sales"), ("Ingeniería", "Ingeniería"), ("x" * 255, "x" * 255), ("李雷", "李雷")],
)
def test_text_is_trimmed(text, expected):
    assert fields.TEXT.text(text) == expected
    assert fields.TEXT.json(text) == expected


@pytest.mark.parametrize(
    ("parse", "value", "reason"),
    [
        (fields.TEXT.text, "", Reason.REQUIRED),
        (fields.TEXT.text, " \t ", Reason.REQUIRED),
        (fields.TEXT.text, "x" * 256, Reason.TOO_LONG),
        (fields.TEXT.json, None, Reason.REQUIRED),
        (fields.TEXT.json, 12, Reason.INVALID_TEXT),
        (fields.TEXT.json, {"a": 1}, Reason.INVALID_TEXT),
    ],
)
def test_text_refused(parse, value, reason):
    assert _reason(parse, value) is reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-11-07T02:48:42Z", datetime(2021, 11, 7, 2, 48, 42, tzinfo=UTC)),
        ("2021-11-07 02:48:42", datetime(2021, 11, 7, 2, 48, 42, tzinfo=UTC)),
        ("2021-11-07T02:48", datetime(2021, 11, 7, 2, 48, tzinfo=UTC)),
        ("2021-11-07T02:48:42.5Z", datetime(2021, 11, 7, 2, 48, 42, 500000, tzinfo=UTC)),
        ("2021-11-07T02:48:42.1234567", datetime(2021, 11, 7, 2, 48, 42, 123456, tzinfo=UTC)),
        ("2021-01-01T03:00:00+05:00", datetime(2020, 12, 31, 22, 0, tzinfo=UTC)),
        ("2021-12-31T22:30:00-02:00", datetime(2022, 1, 1, 0, 30, tzinfo=UTC)),
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
    ],
)
def test_datetimes_are_iso_8601_and_stored_as_utc(text, expected):
    parsed = fields.DATETIME.text(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2021-11-07",
        "2021-02-30T10:00:00Z",
        "2023-02-29T10:00:00Z",
        "2021-13-01T00:00:00Z",
        "2021-11-07T24:00:00Z",
        "2021-11-07T10:00:60Z",
        "2021-11-07T10:00:00+25:00",
        "2021-11-07T10:00:00+0500",
        "07/11/2021 10:00",
        "2021-11-07T10:00:00ZZ",
        "0000-01-01T00:00:00Z",
        "yesterday",
    ],
)
def test_datetimes_refused(text):
    assert _reason(fields.DATETIME.text, text) is Reason.INVALID_DATETIME


@pytest.mark.parametrize(
    ("value", "reason"),
    [(None, Reason.REQUIRED), ("", Reason.REQUIRED), (20211107, Reason.INVALID_DATETIME)],
)
def test_json_datetimes(value, reason):
    assert _reason(fields.DATETIME.json, value) is reason

"""The quick pass accepts only rows the full rules accept, with the same values."""

import itertools

import pytest

from domain.fast_rows import fast_json_row, fast_row
from domain.seen_ids import SeenIds
from domain.tables import TABLES
from domain.validation import Candidate, RowChecker

KNOWN = {"departments": {1, 2, 12}, "jobs": {1, 183}}
IDS = ["1", "007", "0", " 5", "5 ", "٣", "2147483647", "2147483648", "99999999999", "+4", "", "12a"]
TEXTS = ["Ana", "  Ana  ", "", "   ", "a\x00b", "x" * 255, "x" * 256, "Zoë", "a,b"]
MOMENTS = [
    "2021-07-21T01:04:52Z",
    "2021-02-30T10:00:00Z",
    "2021-07-21 01:04:52",
    "2021-07-21T01:04:52+05:00",
    "2021-07-21T25:04:52Z",
    "2021-07-21",
    "2021-07-21T01:04:52.123Z",
    "",
]
REFS = ["1", "2", "3", "12", "183", "0", "x", ""]


def employee_rows():
    for row_id, name, moment, dept, job in itertools.product(
        IDS[:8], TEXTS[:5], MOMENTS, REFS[:4], REFS[3:6]
    ):
        yield [row_id, name, moment, dept, job]


def id_text_rows():
    yield from ([i, t] for i, t in itertools.product(IDS, TEXTS))


@pytest.mark.parametrize(
    ("table", "rows"),
    [("departments", id_text_rows), ("jobs", id_text_rows), ("hired_employees", employee_rows)],
)
def test_the_quick_pass_agrees_with_the_full_rules(table, rows):
    spec = TABLES[table]
    quick = fast_row(spec, KNOWN)
    accepted = 0
    for fields in rows():
        full = RowChecker(spec, KNOWN, SeenIds())._check_csv(fields, 1, ",".join(fields))
        values = quick(fields)
        if values is not None:
            accepted += 1
            assert isinstance(full, Candidate), (fields, full)
            assert values == full.values, fields
            assert [type(v) for v in values] == [type(v) for v in full.values]
    assert accepted > 0


JSON_IDS = [1, 0, -1, 2147483647, 2147483648, True, 1.0, "1", None]
JSON_TEXTS = ["Ana", "\ud800", " Zoë ", "", 5, None, "a\x00b", "x" * 256]
JSON_MOMENTS = ["2021-07-21T01:04:52Z", "2021-02-30T10:00:00Z", "2021-07-21", 20210721, None]


@pytest.mark.parametrize("table", ["departments", "jobs", "hired_employees"])
def test_the_quick_json_pass_agrees_with_the_full_rules(table):
    spec = TABLES[table]
    quick = fast_json_row(spec, KNOWN)
    if table == "hired_employees":
        combos = itertools.product(
            JSON_IDS[:5], JSON_TEXTS[:5], JSON_MOMENTS, [1, 3, "1"], [1, 2, 183]
        )
    else:
        combos = itertools.product(JSON_IDS, JSON_TEXTS)
    accepted = 0
    for values in combos:
        row = dict(zip(spec.column_names, values, strict=True))
        full = RowChecker(spec, KNOWN, SeenIds())._check_json(row, 0)
        quick_values = quick(row)
        if quick_values is not None:
            accepted += 1
            assert isinstance(full, Candidate), (row, full)
            assert quick_values == full.values, row
    assert accepted > 0


@pytest.mark.parametrize(
    ("table", "rows"),
    [("departments", id_text_rows), ("hired_employees", employee_rows)],
)
def test_checking_plain_lines_gives_what_checking_each_record_gives(table, rows):
    spec = TABLES[table]
    # Every other row gets an id of its own; the others repeat ids, and the first one wins.
    lines = [
        ",".join([str(1000 + n), *fields[1:]] if n % 2 else fields)
        for n, fields in enumerate(rows())
    ] + ["", "  ", "1", "1,2,3,4,5,6"]
    by_lines = RowChecker(spec, KNOWN).check_lines(lines, 10)
    one_by_one = RowChecker(spec, KNOWN)
    expected = [
        one_by_one.check_csv(line.split(","), number, line)
        for number, line in enumerate(lines, 10)
        if line.strip()
    ]
    candidates = [c for c in expected if isinstance(c, Candidate)]
    assert by_lines == (candidates, [r for r in expected if not isinstance(r, Candidate)])
    assert 0 < len(candidates) < len(expected)
    assert {c.id for c in candidates} == {c.values[0] for c in candidates}

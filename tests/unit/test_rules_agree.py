"""Every way in to the rules gives what the full rules give, for every table.

On generated rows of every table, including two defined only here (a table that the
service's tables do not refer to, and a copy of hired_employees with another reference and
another datetime): checking the fields of a CSV record, plain lines in a block, and JSON
rows, quick paths and all, gives the same verdict (accepted, or refused with the same
reason, field and message) and the same values as the full rules alone; the quick checks
accept nothing the full rules refuse, and give the same values; the check of a value read
back from a backup accepts exactly the values the rules give.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.backups import stored_problem
from domain.fast_rows import quick_checks
from domain.fields import FIELDS, MAX_ID, MAX_TEXT, FieldError
from domain.rejections import Reason, Rejection
from domain.tables import HIRED_EMPLOYEES, TABLES, Column, Kind, TableSpec, load_order
from domain.validation import Candidate, RowChecker

LOCATIONS = TableSpec("locations", (Column("id", Kind.ID), Column("location", Kind.TEXT)))
STAFF = TableSpec(
    "staff",
    (
        *HIRED_EMPLOYEES.columns,
        # The service has no locations; any reason serves to tell the refusal apart.
        Column("location_id", Kind.REFERENCE, references="locations", missing=Reason.INVALID_ROW),
        Column("starts", Kind.DATETIME),
    ),
)
SPECS = [*TABLES.values(), LOCATIONS, STAFF]
KNOWN = {"departments": {1, 2, 12}, "jobs": {1, 183}, "locations": {1, 7, MAX_ID}}
CHECKS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# CSV text of each kind of field: mostly what the rules accept, written in every way they
# accept it; the edges; anything at all.
T = TypeVar("T")
_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_WHITESPACE = st.sampled_from(["", "", "", " ", "  ", "\t", "\u00a0", "\u3000"])


def mostly(good: st.SearchStrategy[T], *others: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Four in five from good: a row of seven fields is then accepted one time in five."""
    rest = st.one_of(*others)
    return st.sampled_from(range(5)).flatmap(lambda i: good if i else rest)


def padded(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(_WHITESPACE, text, _WHITESPACE).map("".join)


def ids_written(ids: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    zeros = st.sampled_from(["", "", "", "0", "00", "0000000000"])
    return padded(st.tuples(zeros, ids.map(str)).map("".join))


ID_EDGES = st.sampled_from(
    [
        "0",
        "00",
        "2147483648",
        "4294967296",
        "00000000002147483648",
        "99999999999",
        "",
        " ",
        "\u0661",
        "\u0661\u0662",
        "\u0663",
        "\uff11",
        "+4",
        "-1",
        "1.0",
        "1e3",
        "x",
        "1 2",
        "\x00",
    ]
)
ID_JUNK = st.text(alphabet="0123456789 \u0661+-x\x00", max_size=12)
ID_TEXT = mostly(
    ids_written(st.one_of(st.sampled_from([1, 2, 7, 12, 183, MAX_ID]), st.integers(1, MAX_ID))),
    ID_EDGES,
    ID_JUNK,
)


def reference_text(known: set[int]) -> st.SearchStrategy[str]:
    return mostly(ids_written(st.sampled_from(sorted(known))), ID_TEXT)


TEXT_TEXT = mostly(
    padded(st.text(alphabet="abcxyz ABC,éñ李雷-'\"", min_size=1, max_size=30).filter(str.strip)),
    st.sampled_from(
        [
            "",
            "   ",
            "\t",
            "a\x00b",
            "\x00",
            "x" * (MAX_TEXT - 1),
            "x" * MAX_TEXT,
            "x" * (MAX_TEXT + 1),
            f" {'y' * MAX_TEXT} ",
            f"{'y' * MAX_TEXT}\u3000",
            "a\ud800b",
            "\udfff",
        ]
    ),
    st.text(max_size=20),
    st.text(alphabet="ab ,\t\x00é", min_size=MAX_TEXT - 2, max_size=MAX_TEXT + 3),
    st.text(st.one_of(st.characters(), _SURROGATES), max_size=6),
)

_ZONES = [UTC, timezone(timedelta(hours=5)), timezone(-timedelta(hours=2, minutes=30))]


@st.composite
def moments_written(draw: st.DrawFn) -> str:
    """A valid moment, in one of the ways ISO 8601 as the rules take it writes one."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
    day = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    if draw(st.booleans()):
        clock += f":{moment.second:02d}"
        if draw(st.booleans()):
            clock += "." + draw(st.text(alphabet="0123456789", min_size=1, max_size=9))
    offset = draw(st.sampled_from(["Z", "Z", "Z", "", "+00:00", "-00:00", "+05:00", "-02:30"]))
    separator = draw(st.sampled_from(["T", "T", " "]))
    return day + separator + clock + offset


@st.composite
def moments_nearly(draw: st.DrawFn) -> str:
    """Moments of the right shape, many of them with something wrong."""
    two = st.integers(0, 99).map("{:02d}".format)
    date = (
        f"{draw(st.sampled_from(['0000', '0001', '1999', '2021', '2024', '9999']))}-"
        f"{draw(st.sampled_from(['00', '01', '02', '07', '12', '13']))}-"
        f"{draw(st.sampled_from(['00', '01', '28', '29', '30', '31', '32']))}"
    )
    hour, minute = (
        draw(st.sampled_from(["00", "23", "24"])),
        draw(st.sampled_from(["00", "59", "60"])),
    )
    seconds = draw(st.sampled_from(["", ":00", ":59", ":60"]))
    if seconds:
        seconds += draw(st.sampled_from(["", ".", ".1", ".123456", ".1234567", ".9999999"]))
    offset = draw(
        st.one_of(
            st.sampled_from(
                ["", "Z", "z", "+00:00", "-00:00", "+05:00", "-02:30", "+23:59", "+24:00", "+0500"]
            ),
            st.tuples(st.sampled_from("+-"), two, two).map(lambda t: f"{t[0]}{t[1]}:{t[2]}"),
        )
    )
    separator = draw(st.sampled_from(["T", "T", " ", "t", "_"]))
    return date + separator + f"{hour}:{minute}" + seconds + offset


DATETIME_TEXT = mostly(
    padded(moments_written()),
    padded(moments_nearly()),
    st.sampled_from(
        [
            "2021-02-30T10:00:00Z",
            "2021-07-21",
            "",
            " ",
            "yesterday",
            "20210721T010452Z",
            "2021-07-21T01:04:52.Z",
            "\u0662\u0660\u0662\u0661-07-21T01:04:52Z",
            "0001-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01",
        ]
    ),
    st.text(alphabet="0123456789-:TZ .+", max_size=26),
)


def field_texts(column: Column) -> st.SearchStrategy[str]:
    if column.references is not None:
        return reference_text(KNOWN[column.references])
    return {Kind.ID: ID_TEXT, Kind.TEXT: TEXT_TEXT, Kind.DATETIME: DATETIME_TEXT}[column.kind]


# JSON values of each kind of field: the right type at its edges, and the wrong ones.
_NOT_JSON_VALUES = st.sampled_from([None, True, False, 1.0, 5.5, [1], {"a": 1}, [], ""])
_JSON_IDS = st.one_of(
    st.sampled_from([0, 1, 2, 7, 12, 183, MAX_ID, MAX_ID + 1, -1, 2**63]),
    st.integers(-5, MAX_ID + 5),
)
JSON_VALUES = {
    Kind.ID: mostly(_JSON_IDS, ID_TEXT, _NOT_JSON_VALUES),
    Kind.REFERENCE: mostly(
        st.sampled_from([1, 7, 183, MAX_ID]), _JSON_IDS, ID_TEXT, _NOT_JSON_VALUES
    ),
    Kind.TEXT: mostly(TEXT_TEXT, st.integers(), _NOT_JSON_VALUES),
    Kind.DATETIME: mostly(DATETIME_TEXT, st.integers(20210721, 20210722), _NOT_JSON_VALUES),
}


def json_value(column: Column) -> st.SearchStrategy[Any]:
    if column.references is not None:
        return mostly(st.sampled_from(sorted(KNOWN[column.references])), JSON_VALUES[column.kind])
    return JSON_VALUES[column.kind]


def csv_fields(spec: TableSpec) -> st.SearchStrategy[list[str]]:
    return st.tuples(*(field_texts(c) for c in spec.columns)).map(list)


def json_rows(spec: TableSpec) -> st.SearchStrategy[object]:
    whole = st.fixed_dictionaries({c.name: json_value(c) for c in spec.columns})
    return mostly(
        whole,
        whole.map(lambda row: {k: v for k, v in row.items() if k != "id"}),  # a key missing
        whole.map(lambda row: {**row, "extra": 1}),
        st.sampled_from([None, [], "row", 5]),
    )


def verdict(checked: Candidate | Rejection) -> str:
    """What hypothesis counts, to show the checks ran on both kinds of row."""
    return "accepted" if isinstance(checked, Candidate) else f"refused: {checked.reason}"


def exactly(checked: object) -> str:
    """Equality that tells 1 from True and a UTC datetime from the same moment elsewhere."""
    return repr(checked)


def full_csv(spec: TableSpec, fields: list[str], line: int, raw: str) -> Candidate | Rejection:
    return RowChecker(spec, KNOWN)._check_csv(fields, line, raw)


SPEC_IDS = [s.name for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
@CHECKS
@given(data=st.data())
def test_csv_fields_and_their_quick_check_agree_with_the_full_rules(spec, data):
    fields = data.draw(csv_fields(spec))
    raw = ",".join(fields)
    full = full_csv(spec, fields, 3, raw)
    event(verdict(full))
    assert exactly(RowChecker(spec, KNOWN).check_csv(fields, 3, raw)) == exactly(full)
    quick = quick_checks(spec, KNOWN).fields(fields)
    event(f"quick: {'accepted' if quick is not None else 'gave up'}")
    if quick is not None:
        assert isinstance(full, Candidate), (fields, full)
        assert repr(quick) == repr(full.values)
    if isinstance(full, Candidate):  # what the rules give, a backup gives back
        assert stored_problem(spec, full.values) is None


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
@CHECKS
@given(data=st.data())
def test_plain_lines_and_their_quick_check_agree_with_the_full_rules(spec, data):
    rows = data.draw(st.lists(csv_fields(spec), min_size=1, max_size=4))
    lines = [",".join(fields) for fields in rows]
    lines.append(lines[0])  # the same id again: the first one wins
    full = RowChecker(spec, KNOWN)
    expected = [
        full._check_csv(line.split(","), number, line)
        for number, line in enumerate(lines, 10)
        if line and not line.isspace()
    ]
    candidates = [c for c in expected if isinstance(c, Candidate)]
    rejections = [r for r in expected if isinstance(r, Rejection)]
    assert exactly(RowChecker(spec, KNOWN).check_lines(lines, 10)) == exactly(
        (candidates, rejections)
    )
    quick = quick_checks(spec, KNOWN).line
    for line in lines:
        values = quick(line)
        event(f"quick: {'accepted' if values is not None else 'gave up'}")
        if values is not None:
            alone = full_csv(spec, line.split(","), 1, line)
            assert isinstance(alone, Candidate), (line, alone)
            assert repr(values) == repr(alone.values)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
@CHECKS
@given(data=st.data())
def test_json_rows_and_their_quick_check_agree_with_the_full_rules(spec, data):
    row = data.draw(json_rows(spec))
    full = RowChecker(spec, KNOWN)._check_json(row, 4)
    event(verdict(full))
    assert exactly(RowChecker(spec, KNOWN).check_json(row, 4)) == exactly(full)
    if isinstance(row, dict) and row.keys() == set(spec.column_names):
        quick = quick_checks(spec, KNOWN).json(row)
        if quick is not None:
            assert isinstance(full, Candidate), (row, full)
            assert repr(quick) == repr(full.values)
    if isinstance(full, Candidate):  # what the rules give, a backup gives back
        assert stored_problem(spec, full.values) is None


# Values as a backup may hold them: of each kind's type, and of others.
_MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(0)), timezone(timedelta(hours=5)), timezone(-timedelta(hours=2))]
    ),
)
STORED_VALUES = {
    Kind.ID: JSON_VALUES[Kind.ID],
    Kind.REFERENCE: JSON_VALUES[Kind.ID],
    Kind.TEXT: JSON_VALUES[Kind.TEXT],
    Kind.DATETIME: st.one_of(
        _MOMENTS,
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),  # naive
        st.sampled_from(
            [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]
        ),
        DATETIME_TEXT,
        _NOT_JSON_VALUES,
        st.integers(),
    ),
}


def unfolded(value: object) -> object:
    """The value, or the same moment if it is one (fold tells apart no UTC moments)."""
    return value.replace(fold=0) if isinstance(value, datetime) else value


def written(value: object) -> str:
    """The value as CSV text, as a backup's row would be written out."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


EDGES = [
    0,
    1,
    MAX_ID,
    MAX_ID + 1,
    True,
    None,
    " a",
    "a",
    "",
    "x" * 256,
    "a\x00",
    "a\ud800",
    datetime(2021, 1, 1),
    datetime(2021, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
]
KINDS = pytest.mark.parametrize("kind", list(Kind), ids=[k.value for k in Kind])


@KINDS
@CHECKS
@given(data=st.data())
def test_a_stored_value_is_accepted_exactly_when_the_rules_give_it(kind, data):
    stored_agrees(kind, data.draw(STORED_VALUES[kind]))


@KINDS
@pytest.mark.parametrize("value", EDGES, ids=repr)
def test_stored_edges(kind, value):
    stored_agrees(kind, value)


def stored_agrees(kind: Kind, value: Any) -> None:
    """stored(value) keeps value exactly when the rules give it from its written form."""
    rules = FIELDS[kind]
    try:
        given_back = rules.text(written(value))
    except FieldError:
        given_back = None
    rules_give_it = given_back is not None and repr(given_back) == repr(unfolded(value))
    try:
        kept = rules.stored(value)
    except FieldError as error:
        assert not rules_give_it, (value, error)
        assert error.message == f"{value!r} {_STORED_MESSAGES[kind]}"
        if kind is not Kind.DATETIME:  # the JSON entry point refuses it for the same reason
            try:
                rules.json(value)
            except FieldError as refused:
                assert refused.reason is error.reason
    else:
        assert rules_give_it, value
        assert kept is value


_STORED_MESSAGES = {
    Kind.ID: "is not an id",
    Kind.REFERENCE: "is not an id",
    Kind.TEXT: "is not a valid text value",
    Kind.DATETIME: "is not a UTC datetime",
}


def test_a_stored_row_must_have_one_value_per_column():
    assert stored_problem(LOCATIONS, (1,)) == "1 values, expected 2"
    assert stored_problem(LOCATIONS, (1, "Lima")) is None
    assert stored_problem(LOCATIONS, (1, " Lima")) == "' Lima' is not a valid text value"


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_the_usual_row_of_every_table_takes_the_quick_paths(spec):
    usual = {
        Kind.ID: "7",
        Kind.REFERENCE: "1",
        Kind.TEXT: " Zoë ",
        Kind.DATETIME: "2021-07-21T01:04:52Z",
    }
    json_usual = {
        Kind.ID: 7,
        Kind.REFERENCE: 1,
        Kind.TEXT: " Zoë ",
        Kind.DATETIME: "2021-07-21 01:04:52+05:00",
    }
    fields = [usual[c.kind] for c in spec.columns]
    quick = quick_checks(spec, KNOWN)
    expected = full_csv(spec, fields, 1, ",".join(fields))
    assert isinstance(expected, Candidate)
    assert quick.line(",".join(fields)) == quick.fields(fields) == expected.values
    assert quick.json({c.name: json_usual[c.kind] for c in spec.columns}) is not None
    unusual = [" 7 " if c.kind is Kind.ID else usual[c.kind] for c in spec.columns]
    assert quick.fields(unusual) == quick.line(",".join(unusual)) == expected.values


def test_a_reference_to_a_missing_row_is_refused_with_its_columns_reason():
    fields = ["5", "Ana", "2021-07-21T01:04:52Z", "1", "1", "8", "2021-07-21T01:04:52Z"]
    refused = RowChecker(STAFF, KNOWN).check_csv(fields, 1, ",".join(fields))
    assert isinstance(refused, Rejection)
    assert (refused.reason, refused.field, refused.message) == (
        Reason.INVALID_ROW,
        "location_id",
        "no location with id 8",
    )


def test_tables_defined_elsewhere_load_after_those_they_refer_to():
    assert load_order([STAFF, LOCATIONS, *TABLES.values()]) == (
        "locations",
        "departments",
        "jobs",
        "staff",
        "hired_employees",
    )


def test_every_kind_is_generated():
    assert set(JSON_VALUES) == set(STORED_VALUES) == set(Kind) == set(FIELDS)

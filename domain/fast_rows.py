"""The quick check of the usual row of any table, assembled from its spec.

A line is checked by one regular expression, the columns' usual written forms joined by
commas; then each field is turned into its value by its kind's quick statements
(domain.fields). A record's fields are checked one by one: each in its usual form by the
same statements, any other by its kind's full rules. Those statements are written once per
kind, and put together into plain Python functions per table, compiled the first time the
table is checked: a row is checked millions of times, and a function call per field, or a
loop over the columns, would slow every one.

Each check returns the row's values, or None for anything unusual; a None sends the row
through the full rules of domain.validation, which accept it or say why not. The quick
check accepts only what the full rules accept, and gives the same values
(tests/unit/test_rules_agree.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping
from functools import cache
from typing import NamedTuple, cast

from domain.fields import FIELDS, QUICK_NAMES
from domain.tables import TableSpec
from domain.validation_types import Values

FastLine = Callable[[str], Values | None]
FastRow = Callable[[list[str]], Values | None]
FastJsonRow = Callable[[dict[str, object]], Values | None]


class QuickChecks(NamedTuple):
    line: FastLine  # a line that holds one record, its fields split on commas
    fields: FastRow  # the fields of a record, as many as the table has columns
    json: FastJsonRow  # a batch element that is an object with exactly the table's keys


def quick_checks(spec: TableSpec, known: Mapping[str, Container[int]]) -> QuickChecks:
    """The quick checks of the table's rows, given the ids of the tables it refers to."""
    make = _compiled(spec)
    return QuickChecks(*make(*(known[c.references] for c in spec.columns if c.references)))


def fast_line(spec: TableSpec, known: Mapping[str, Container[int]]) -> FastLine:
    return quick_checks(spec, known).line


def fast_row(spec: TableSpec, known: Mapping[str, Container[int]]) -> FastRow:
    return quick_checks(spec, known).fields


def fast_json_row(spec: TableSpec, known: Mapping[str, Container[int]]) -> FastJsonRow:
    return quick_checks(spec, known).json


def line_pattern(spec: TableSpec) -> str:
    """The usual line of the table: each column's usual form, in a group, joined by commas."""
    return ",".join(f"({FIELDS[c.kind].plain})" for c in spec.columns)


def quick_source(spec: TableSpec) -> str:
    """The source of `make(<ids known per reference>) -> (line, fields, json)`.

    For hired_employees, `line` reads:

        def line(text):
            found = match(text)
            if found is None:
                return unusual(text.split(","))
            raw_0, raw_1, raw_2, raw_3, raw_4, = found.groups()
            value_0 = int(raw_0)
            if not 0 < value_0 <= MAX_ID: return None
            value_1 = raw_1.strip()
            ...
            return (value_0, value_1, value_2, value_3, value_4,)

    `fields` is the same on the fields joined by commas, and `unusual` checks each field:

            if usual_0(raw_0) is None:
                try:
                    value_0 = full_0(raw_0)
                except ValueError:  # a FieldError
                    return None
            else:
                value_0 = int(raw_0)
                if not 0 < value_0 <= MAX_ID: return None
    """
    width = len(spec.columns)
    raws = ", ".join(f"raw_{i}" for i in range(width)) + ","
    values = "(" + ", ".join(f"value_{i}" for i in range(width)) + ",)"
    rules = [FIELDS[c.kind] for c in spec.columns]

    def pieces(i: int, lines: Iterable[str], indent: str = "        ") -> list[str]:
        names = {"raw": f"raw_{i}", "value": f"value_{i}", "known": f"known_{i}"}
        return [indent + line.format(**names) for line in lines]

    def from_usual_form(head: str, text: str, record: str) -> list[str]:
        return [
            f"    def {head}:",
            f"        found = match({text})",
            "        if found is None:",
            f"            return unusual({record})",
            f"        {raws} = found.groups()",
            *(line for i in range(width) for line in pieces(i, rules[i].quick_plain)),
            f"        return {values}",
            "",
        ]

    def field(i: int) -> list[str]:
        return [
            f"        if usual_{i}(raw_{i}) is None:",
            "            try:",
            f"                value_{i} = full_{i}(raw_{i})",
            "            except ValueError:  # a FieldError",
            "                return None",
            *pieces(i, rules[i].quick_known, "            "),
            "        else:",
            *pieces(i, rules[i].quick_plain, "            "),
        ]

    known = [f"known_{i}" for i, c in enumerate(spec.columns) if c.references]
    lines = [
        f"def make({', '.join(known)}):",
        *from_usual_form("line(text)", "text", 'text.split(",")'),
        # A field that holds a comma leaves the joined fields in no usual form.
        *from_usual_form("fields(record)", '",".join(record)', "record"),
        "    def unusual(record):",
        f"        if len(record) != {width}:",
        "            return None",
        f"        {raws} = record",
        *(line for i in range(width) for line in field(i)),
        f"        return {values}",
        "",
        "    def json(row):",
        *(f"        raw_{i} = row[{c.name!r}]" for i, c in enumerate(spec.columns)),
        *(line for i in range(width) for line in pieces(i, rules[i].quick_json)),
        f"        return {values}",
        "",
        "    return line, fields, json",
    ]
    return "\n".join(lines) + "\n"


_Make = Callable[..., tuple[FastLine, FastRow, FastJsonRow]]


@cache
def _compiled(spec: TableSpec) -> _Make:
    pattern = re.compile(line_pattern(spec))
    if pattern.groups != len(spec.columns):
        raise ValueError(f"{spec.name}: a usual form holds a group of its own")
    namespace: dict[str, object] = {**QUICK_NAMES, "match": pattern.fullmatch}
    for i, column in enumerate(spec.columns):
        rules = FIELDS[column.kind]
        namespace[f"usual_{i}"] = re.compile(rules.plain).fullmatch
        namespace[f"full_{i}"] = rules.text
    exec(compile(quick_source(spec), f"<quick checks of {spec.name}>", "exec"), namespace)
    return cast(_Make, namespace["make"])

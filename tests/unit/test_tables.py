import pytest

from domain.rejections import Reason
from domain.tables import (
    DEPARTMENTS,
    HIRED_EMPLOYEES,
    JOBS,
    LOAD_ORDER,
    REFERENCED_TABLES,
    TABLES,
    Column,
    Kind,
    TableSpec,
    load_order,
)


def test_the_load_order_puts_each_table_after_those_it_refers_to():
    assert LOAD_ORDER == ("departments", "jobs", "hired_employees")
    assert load_order([HIRED_EMPLOYEES, JOBS, DEPARTMENTS]) == (
        "jobs",
        "departments",
        "hired_employees",
    )
    assert frozenset({"departments", "jobs"}) == REFERENCED_TABLES


def test_a_reference_names_its_table_and_the_reason_of_a_missing_row():
    column = TABLES["hired_employees"].columns[3]
    assert (column.references, column.missing) == ("departments", Reason.UNKNOWN_DEPARTMENT)
    with pytest.raises(ValueError, match="a reference"):
        Column("x_id", Kind.REFERENCE, references="xs")
    with pytest.raises(ValueError, match="a reference"):
        Column("x", Kind.TEXT, references="xs", missing=Reason.UNKNOWN_JOB)


def test_references_that_go_round_or_name_no_given_table_have_no_load_order():
    def refers(name: str, to: str) -> TableSpec:
        return TableSpec(
            name,
            (
                Column("id", Kind.ID),
                Column("to", Kind.REFERENCE, references=to, missing=Reason.UNKNOWN_JOB),
            ),
        )

    with pytest.raises(ValueError, match="a, b"):
        load_order([refers("a", "b"), refers("b", "a")])
    with pytest.raises(ValueError, match="hired_employees"):
        load_order([HIRED_EMPLOYEES, JOBS])


def test_the_first_column_is_the_one_id():
    with pytest.raises(ValueError, match="first column"):
        TableSpec("t", (Column("name", Kind.TEXT), Column("id", Kind.ID)))
    with pytest.raises(ValueError, match="one id"):
        TableSpec("t", (Column("id", Kind.ID), Column("other", Kind.ID)))

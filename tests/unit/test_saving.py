"""Storing checked rows against the fakes: references checked again in the transaction, the
row-safe path after a concurrent write."""

from datetime import UTC, datetime

from core.errors import ConcurrentWrite
from core.ports import Origin
from core.saving import save
from domain.rejections import Reason
from domain.summary import Summary
from domain.tables import HIRED_EMPLOYEES
from domain.validation import RowChecker
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork

HIRED = datetime(2021, 1, 2, tzinfo=UTC)


def employees(db: FakeDatabase, known: dict[str, set[int]]):
    checker = RowChecker(HIRED_EMPLOYEES, known)
    return [
        checker.check_json(
            {
                "id": i,
                "name": f"E{i}",
                "datetime": "2021-01-02T00:00:00Z",
                "department_id": d,
                "job_id": 1,
            },
            i,
        )
        for i, d in ((1, 1), (2, 2), (3, 1))
    ]


def test_rows_whose_reference_was_removed_since_they_were_checked_are_refused(tmp_path):
    db = FakeDatabase()
    db.tables["departments"] = {1: (1, "Sales")}  # department 2 was there when checked
    db.tables["jobs"] = {1: (1, "Clerk")}
    candidates = employees(db, {"departments": {1, 2}, "jobs": {1}})
    summary = Summary("hired_employees")
    save(lambda: FakeUnitOfWork(db), HIRED_EMPLOYEES, candidates, [], Origin(batch_id="b"), summary)
    assert (summary.inserted, summary.already_exists, summary.rejected) == (2, 0, 1)
    (refused,) = summary.rejections
    assert (refused.index, refused.field, refused.reason, refused.message) == (
        2,
        "department_id",
        Reason.UNKNOWN_DEPARTMENT,
        "no department with id 2",
    )
    assert sorted(db.tables["hired_employees"]) == [1, 3]
    assert db.hire_counts == {(1, 1, 2021, 1): 2}


class RacingUnitOfWork(FakeUnitOfWork):
    """The first bulk insert meets rows another writer stored first: it stores them, then
    raises ConcurrentWrite, like a unique violation would."""

    raced = False

    def __enter__(self):
        uow = super().__enter__()
        bulk = uow.rows.insert

        def insert(table, rows):
            if not RacingUnitOfWork.raced:
                RacingUnitOfWork.raced = True
                self.db.tables[table][2] = (2, "E2", HIRED, 1, 1)  # committed by the other
                self.db.tables[table][3] = (3, "Other", HIRED, 1, 1)
                self.db.hire_counts[(1, 1, 2021, 1)] += 2
                raise ConcurrentWrite("duplicate key")
            bulk(table, rows)

        uow.rows.insert = insert
        return uow


def test_a_chunk_that_met_another_writer_is_stored_again_row_by_row():
    db = FakeDatabase()
    db.tables["departments"] = {1: (1, "Sales"), 2: (2, "Ops")}
    db.tables["jobs"] = {1: (1, "Clerk")}
    candidates = employees(db, {"departments": {1, 2}, "jobs": {1}})
    summary = Summary("hired_employees")
    save(
        lambda: RacingUnitOfWork(db), HIRED_EMPLOYEES, candidates, [], Origin(task_id="t"), summary
    )
    assert (summary.processed, summary.inserted, summary.already_exists, summary.rejected) == (
        3,
        1,
        0,
        2,
    )
    assert [(r.record_id, r.reason) for r in summary.rejections] == [
        (2, Reason.CONFLICT),
        (3, Reason.CONFLICT),
    ]
    assert db.tables["hired_employees"][1] == candidates[0].values
    assert db.hire_counts == {(1, 1, 2021, 1): 3}

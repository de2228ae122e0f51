import gc
import io
from datetime import UTC, datetime

import pytest

from core.errors import ConcurrentWrite
from core.loading import LOADING_GC_THRESHOLD, load_csv
from core.ports import Origin, Progress
from domain.rejections import Reason
from domain.tables import DEPARTMENTS, HIRED_EMPLOYEES
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork

ORIGIN = Origin(task_id="t1")


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


def load(db, spec, data: bytes, chunk_rows=5000, progress=None):
    return load_csv(
        lambda: FakeUnitOfWork(db),
        spec,
        io.BytesIO(data),
        ORIGIN,
        progress or (lambda progress: None),
        chunk_rows=chunk_rows,
    )


def test_good_rows_are_inserted_and_bad_ones_recorded(db):
    summary = load(db, DEPARTMENTS, b"1,Sales\n2,\n3,Ops\nx,Bad\n")
    assert (summary.processed, summary.inserted, summary.already_exists, summary.rejected) == (
        4,
        2,
        0,
        2,
    )
    assert db.tables["departments"] == {1: (1, "Sales"), 3: (3, "Ops")}
    assert [(r.line, r.reason, o) for r, o in db.rejections] == [
        (2, Reason.REQUIRED, ORIGIN),
        (4, Reason.INVALID_INTEGER, ORIGIN),
    ]


def test_loading_the_same_file_again_changes_nothing(db):
    load(db, DEPARTMENTS, b"1,Sales\n2,Ops\n")
    again = load(db, DEPARTMENTS, b"1,Sales\n2,Ops\n")
    assert (again.inserted, again.already_exists, again.rejected) == (0, 2, 0)
    assert db.tables["departments"] == {1: (1, "Sales"), 2: (2, "Ops")}


def test_a_stored_id_with_other_values_is_a_conflict_and_is_not_overwritten(db):
    load(db, DEPARTMENTS, b"1,Sales\n")
    summary = load(db, DEPARTMENTS, b"1,Marketing\n")
    assert (summary.inserted, summary.already_exists, summary.rejected) == (0, 0, 1)
    rejection = summary.rejections[0]
    assert (rejection.reason, rejection.field, rejection.record_id, rejection.line) == (
        Reason.CONFLICT,
        "department",
        1,
        1,
    )
    assert rejection.raw == "1,Marketing"
    assert db.tables["departments"] == {1: (1, "Sales")}


def test_employees_are_checked_against_stored_departments_and_jobs(db):
    load(db, DEPARTMENTS, b"1,Sales\n")
    db.tables["jobs"] = {7: (7, "Clerk")}
    summary = load(
        db,
        HIRED_EMPLOYEES,
        b"1,Ana,2021-01-01T00:00:00Z,1,7\n2,Bo,2021-01-01T00:00:00Z,2,7\n"
        b"3,Cy,2021-01-01T00:00:00Z,1,8\n",
    )
    assert [r.reason for r in summary.rejections] == [
        Reason.UNKNOWN_DEPARTMENT,
        Reason.UNKNOWN_JOB,
    ]
    assert db.tables["hired_employees"] == {1: (1, "Ana", datetime(2021, 1, 1, tzinfo=UTC), 1, 7)}


def test_chunks_report_progress_and_keep_line_order(db):
    seen: list[Progress] = []
    data = b"".join(b"%d,D%d\n" % (i, i) for i in range(1, 11)) + b"3,dup\n"
    summary = load(db, DEPARTMENTS, data, chunk_rows=4, progress=seen.append)
    lines = data.splitlines(keepends=True)
    assert seen == [
        (4, len(b"".join(lines[:4]))),
        (8, len(b"".join(lines[:8]))),
        (11, len(data)),
    ]
    assert summary.inserted == 10
    assert [(r.line, r.reason) for r in summary.rejections] == [(11, Reason.DUPLICATE_ID)]
    assert db.commits == 3


def test_the_summary_keeps_the_first_hundred_rejections_and_counts_all(db):
    data = b"".join(b"x%d,Bad\n" % i for i in range(250))
    summary = load(db, DEPARTMENTS, data, chunk_rows=60)
    assert summary.rejected == 250
    assert [r.line for r in summary.rejections] == list(range(1, 101))
    assert len(db.rejections) == 250


def test_processed_is_inserted_plus_already_exists_plus_rejected(db):
    load(db, DEPARTMENTS, b"1,Sales\n2,Ops\n")
    summary = load(db, DEPARTMENTS, b"1,Sales\n2,Other\n3,New\n\xff,bad\n4\n")
    assert summary.processed == 5
    assert summary.processed == summary.inserted + summary.already_exists + summary.rejected
    assert [r.reason for r in summary.rejections] == [
        Reason.CONFLICT,
        Reason.INVALID_ENCODING,
        Reason.WRONG_FIELD_COUNT,
    ]


class RacingUnitOfWork(FakeUnitOfWork):
    """Another writer stores id 1 just before the first insert."""

    raced = False

    def __enter__(self):
        entered = super().__enter__()
        outer, rows = self, entered.rows
        original = rows.insert

        def insert(table, values):
            if not RacingUnitOfWork.raced:
                RacingUnitOfWork.raced = True
                outer.db.tables[table][1] = (1, "Sales")
                raise ConcurrentWrite("id 1")
            original(table, values)

        rows.insert = insert
        return entered


def test_a_concurrent_insert_of_the_same_id_is_retried(db):
    summary = load_csv(
        lambda: RacingUnitOfWork(db), DEPARTMENTS, io.BytesIO(b"1,Sales\n2,Ops\n"), ORIGIN
    )
    assert (summary.inserted, summary.already_exists) == (1, 1)
    assert db.tables["departments"] == {1: (1, "Sales"), 2: (2, "Ops")}


def test_hires_are_counted_by_department_job_year_and_utc_quarter_as_they_are_stored(db):
    load(db, DEPARTMENTS, b"1,Sales\n2,Ops\n")
    db.tables["jobs"] = {7: (7, "Clerk")}
    data = (
        b"1,Ana,2021-03-31T23:59:59Z,1,7\n"
        b"2,Bo,2021-04-01T02:00:00+05:00,1,7\n"  # 2021-03-31 21:00 UTC: Q1
        b"3,Cy,2021-04-01T00:00:00Z,2,7\n"
        b"4,Di,2022-12-31T23:00:00-02:00,2,7\n"  # 2023-01-01 01:00 UTC
    )
    load(db, HIRED_EMPLOYEES, data)
    assert db.hire_counts == {(1, 7, 2021, 1): 2, (2, 7, 2021, 2): 1, (2, 7, 2023, 1): 1}
    load(db, HIRED_EMPLOYEES, data + b"1,Ana Changed,2021-03-31T23:59:59Z,1,7\n")
    assert db.hire_counts == {(1, 7, 2021, 1): 2, (2, 7, 2021, 2): 1, (2, 7, 2023, 1): 1}


def test_loads_raise_the_collector_threshold_until_the_last_running_one_ends(db):
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []

    def outer_progress(progress: Progress) -> None:
        during.append(gc.get_threshold())
        if progress.rows_read == 2:  # a second load runs and ends while the first goes on
            load(FakeDatabase(), DEPARTMENTS, b"1,D1\n")
            during.append(gc.get_threshold())

    load(db, DEPARTMENTS, b"1,D1\n2,D2\n3,D3\n", chunk_rows=2, progress=outer_progress)

    raised = (max(LOADING_GC_THRESHOLD, before[0]), before[1], before[2])
    assert during == [raised, raised, raised]
    assert gc.get_threshold() == before

"""The SQL unit of work and repositories against real SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest

from core.errors import ConcurrentWrite
from core.ports import Origin, RejectionFilter
from domain.rejections import Reason, Rejection
from infra.db.postgres_rows import PostgresRowRepository
from infra.db.read_model import SqlReadModel
from infra.db.sqlite_rows import SqliteRowRepository
from infra.db.unit_of_work import SqlUnitOfWork


def test_the_bulk_path_fits_the_database(engine):
    with SqlUnitOfWork(engine) as uow:
        expected = {"postgresql": PostgresRowRepository, "sqlite": SqliteRowRepository}
        assert type(uow.rows) is expected[engine.dialect.name]


def test_rows_are_kept_only_when_committed(engine):
    with SqlUnitOfWork(engine) as uow:
        uow.rows.insert("departments", [(1, "Sales")])
    with SqlUnitOfWork(engine) as uow:
        assert uow.rows.ids("departments") == set()
        uow.rows.insert("departments", [(1, "Sales")])
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.rows.ids("departments") == {1}


def test_an_id_already_stored_is_a_concurrent_write(engine):
    with SqlUnitOfWork(engine) as uow:
        uow.rows.insert("jobs", [(1, "Clerk")])
        uow.commit()
    with SqlUnitOfWork(engine) as uow, pytest.raises(ConcurrentWrite):
        uow.rows.insert("jobs", [(2, "Boss"), (1, "Clerk")])
    with SqlUnitOfWork(engine) as uow:
        assert uow.rows.existing("jobs", [1, 2]) == {1: (1, "Clerk")}


def test_existing_finds_rows_among_thousands_of_ids_and_returns_utc_datetimes(engine):
    hired = datetime(2021, 7, 1, 12, 30, 15, 250000, tzinfo=UTC)
    rows = [(i, f"Name {i}", hired, 1, 1) for i in range(1, 3001)]
    with SqlUnitOfWork(engine) as uow:
        uow.rows.insert("hired_employees", rows)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        found = uow.rows.existing("hired_employees", list(range(2500, 4001)))
    assert sorted(found) == list(range(2500, 3001))
    assert found[2500] == (2500, "Name 2500", hired, 1, 1)
    assert found[2500][2].tzinfo is UTC
    with SqlUnitOfWork(engine) as uow:  # sparse ids: IN lists instead of a range scan
        sparse = uow.rows.existing("hired_employees", [7, 2_000_000_000, 2999])
    assert sorted(sparse) == [7, 2999]


def test_text_in_any_script_round_trips(engine):
    names = [
        (1, 'O\'Brien "Jr"'),
        (2, "Ingeniería"),
        (3, "販売部"),
        (4, "Отдел 🙂"),
        (5, "Tab\there, line\nbreak, back\\slash \\N, CR\r"),
    ]
    with SqlUnitOfWork(engine) as uow:
        uow.rows.insert("departments", names)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.rows.existing("departments", [1, 2, 3, 4, 5]) == dict(enumerate(names, start=1))


def test_rejections_are_stored_listed_and_forgotten_by_task(engine):
    items = [
        Rejection(
            "jobs", Reason.REQUIRED, "a value is required", "7,", field="job", record_id=7, line=3
        ),
        Rejection("jobs", Reason.INVALID_TEXT, "bad", "1,a\x00b", field="f\ud800", line=4),
    ]
    with SqlUnitOfWork(engine) as uow:
        uow.rejections.add(items, Origin(task_id="t1"))
        uow.rejections.add(items[:1], Origin(batch_id="b1"))
        uow.commit()
    read = SqlReadModel(engine)
    listed, total = read.rejections(RejectionFilter(task_id="t1"), 1, 10)
    assert total == 2
    assert [(r["line"], r["record_id"], r["field"], r["reason"], r["raw"]) for r in listed] == [
        (3, 7, "job", "required", "7,"),
        (4, None, "f\ufffd", "invalid_text", "1,a\ufffdb"),
    ]
    with SqlUnitOfWork(engine) as uow:
        uow.rejections.forget(Origin(task_id="t1"))
        uow.commit()
    assert read.rejections(RejectionFilter(), 1, 10)[1] == 1


def test_each_addition_adds_to_the_stored_hire_counts(engine):
    from sqlalchemy import select

    from infra.db.schema import hire_counts

    with SqlUnitOfWork(engine) as uow:  # two additions in one transaction
        uow.hire_counts.add({(1, 2, 2021, 1): 1, (1, 2, 2021, 2): 1})
        uow.hire_counts.add({(1, 2, 2021, 2): 1, (1, 2, 2021, 4): 1})
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        uow.hire_counts.add({(1, 2, 2021, 4): 1})
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.hire_counts.all() == {(1, 2, 2021, 1): 1, (1, 2, 2021, 2): 2, (1, 2, 2021, 4): 2}
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(select(hire_counts))] == [(1, 2, 2021, 1, 2, 0, 2)]

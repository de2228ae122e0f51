"""The guard that keeps restores and writes apart, and the row-safe insert, on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from core.errors import RestoreInProgress, WritesInProgress
from infra.db.unit_of_work import SqlUnitOfWork
from infra.db.write_guard import sql_server_applock

HIRED = datetime(2021, 5, 4, 3, 2, 1, tzinfo=UTC)


def test_a_write_waits_a_bounded_time_for_a_restore_then_gives_up(engine):
    with SqlUnitOfWork(engine, exclusive=True):
        started = time.monotonic()
        with pytest.raises(RestoreInProgress), SqlUnitOfWork(engine, wait=0.3) as uow:
            uow.rows.insert("jobs", [(1, "Clerk")])
        assert 0.3 <= time.monotonic() - started < 5
    with SqlUnitOfWork(engine) as uow:
        assert uow.rows.ids("jobs") == set()


def test_a_restore_waits_a_bounded_time_for_writes_then_gives_up(postgres_engine):
    """On SQLite a restore takes its turn among the writers, one at a time."""
    engine = postgres_engine
    with SqlUnitOfWork(engine) as writer:
        writer.rows.insert("jobs", [(1, "Clerk")])
        with pytest.raises(WritesInProgress), SqlUnitOfWork(engine, exclusive=True, wait=0.3):
            pass


def test_a_write_that_waits_for_a_restore_goes_on_after_it(engine):
    done: list[set[int]] = []

    def write() -> None:
        with SqlUnitOfWork(engine, wait=10) as uow:
            uow.rows.insert("jobs", [(2, "Boss")])
            uow.commit()
            done.append(uow.rows.ids("jobs"))

    with SqlUnitOfWork(engine, exclusive=True) as restore:
        restore.rows.insert("jobs", [(1, "Clerk")])
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.5)
        assert done == []  # still waiting
        restore.commit()
    writer.join(10)
    assert done == [{1, 2}]


def test_reads_of_a_snapshot_do_not_wait_for_a_restore(postgres_engine):
    """On SQLite snapshot units of work queue with the writers."""
    engine = postgres_engine
    with (
        SqlUnitOfWork(engine, exclusive=True),
        SqlUnitOfWork(engine, snapshot=True, wait=0.1) as uow,
    ):
        assert uow.rows.ids("jobs") == set()


def test_insert_new_skips_stored_ids_and_returns_the_ids_it_inserted(engine):
    with SqlUnitOfWork(engine) as uow:
        uow.rows.insert("hired_employees", [(2, "Bo", HIRED, 1, 1)])
        uow.commit()
    rows = [(3, "Cy", HIRED, 1, 2), (2, "Bo", HIRED, 1, 1), (1, "Al", HIRED, 1, 1)]
    with SqlUnitOfWork(engine) as uow:
        assert uow.rows.insert_new("hired_employees", rows) == {1, 3}
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.rows.existing("hired_employees", [1, 2, 3]) == {
            1: (1, "Al", HIRED, 1, 1),
            2: (2, "Bo", HIRED, 1, 1),
            3: (3, "Cy", HIRED, 1, 2),
        }


def test_the_sql_server_guard_is_an_application_lock_owned_by_the_transaction():
    assert sql_server_applock(exclusive=False, wait=2.5) == (
        "SET NOCOUNT ON; DECLARE @status int; "
        "EXEC @status = sp_getapplock @Resource = N'hr-data-tables', "
        "@LockMode = N'Shared', @LockOwner = N'Transaction', @LockTimeout = 2500; "
        "SELECT @status"
    )
    assert "@LockMode = N'Exclusive'" in sql_server_applock(exclusive=True, wait=1)

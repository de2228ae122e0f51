"""Backups and restores of tables, against fakes of the database and the backup store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from core.backups import Backups
from core.errors import Conflict, InvalidBackup, LoadInProgress, NotFound
from core.ports import TaskRecord
from domain.backups import RowDigest
from tests.unit.fake_backup_store import FakeBackupStore
from tests.unit.fakes import FakeDatabase, FakeTaskStore, FakeUnitOfWork

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
HIRED = datetime(2021, 5, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def db() -> FakeDatabase:
    db = FakeDatabase()
    db.tables["departments"] = {1: (1, "Sales"), 2: (2, "Ops")}
    db.tables["jobs"] = {1: (1, "Clerk")}
    db.tables["hired_employees"] = {
        1: (1, "Ann", HIRED, 1, 1),
        2: (2, "Bob", HIRED, 2, 1),
    }
    db.hire_counts.update({(1, 1, 2021, 2): 1, (2, 1, 2021, 2): 1})
    return db


@pytest.fixture
def tasks() -> FakeTaskStore:
    return FakeTaskStore()


@pytest.fixture
def backups(db, tasks) -> Backups:
    return Backups(
        lambda snapshot=False, exclusive=False: FakeUnitOfWork(db, snapshot, exclusive),
        FakeBackupStore(),
        clock=Clock(),
        tasks=tasks,
    )


def test_a_restore_brings_back_the_rows_and_rebuilds_the_hire_counts(db, backups):
    (made,) = backups.backup(["hired_employees"])
    assert (made.meta.table, made.meta.rows) == ("hired_employees", 2)
    before = dict(db.tables["hired_employees"])
    db.tables["hired_employees"][3] = (3, "Cy", HIRED, 1, 1)
    db.hire_counts[(1, 1, 2021, 2)] += 1
    del db.tables["hired_employees"][2]

    (restored,) = backups.restore({"hired_employees": None})

    assert restored.as_dict() == {"table": "hired_employees", "backup": made.name, "rows": 2}
    assert db.tables["hired_employees"] == before
    assert +db.hire_counts == {(1, 1, 2021, 2): 1, (2, 1, 2021, 2): 1}


def test_without_a_name_the_newest_backup_is_restored(db, backups):
    backups.backup(["departments"])
    db.tables["departments"][3] = (3, "Legal")
    (newest,) = backups.backup(["departments"])
    db.tables["departments"] = {1: (1, "Sales"), 2: (2, "Ops")}
    assert backups.available("departments")[0].name == newest.name
    backups.restore({"departments": None})
    assert db.tables["departments"] == {1: (1, "Sales"), 2: (2, "Ops"), 3: (3, "Legal")}


def test_a_table_without_backups_is_not_found(backups):
    with pytest.raises(NotFound, match="there is no backup of jobs"):
        backups.restore({"jobs": None})


def test_a_backup_of_another_table_is_refused_and_nothing_changes(db, backups):
    (made,) = backups.backup(["jobs"])
    with pytest.raises(InvalidBackup, match=f"{made.name} is a backup of jobs, not of departments"):
        backups.restore({"departments": made.name})
    assert db.tables["departments"] == {1: (1, "Sales"), 2: (2, "Ops")}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows.append(rows[0]), "row 3: id 1 appears twice"),
        (lambda rows: rows.pop(), "holds 1 rows, its header says 2"),
        (lambda rows: rows.__setitem__(1, (2, "Other")), "do not match the checksum"),
        (lambda rows: rows.__setitem__(1, (0, "Ops")), "row 2: "),
    ],
)
def test_a_damaged_backup_is_refused_and_nothing_changes(db, backups, change, message):
    (made,) = backups.backup(["departments"])
    change(backups.store.files[made.name].stored)
    db.tables["departments"][3] = (3, "Legal")
    with pytest.raises(InvalidBackup, match=message):
        backups.restore({"departments": made.name})
    assert db.tables["departments"] == {1: (1, "Sales"), 2: (2, "Ops"), 3: (3, "Legal")}


def test_a_restore_that_would_leave_references_dangling_is_a_conflict(db, backups):
    (made,) = backups.backup(["departments"])
    backups.store.files[made.name] = dataclasses.replace(
        backups.store.files[made.name], stored=[(1, "Sales")]
    )
    meta = backups.store.files[made.name].meta
    digest = RowDigest()
    digest.add((1, "Sales"))
    backups.store.files[made.name].meta = dataclasses.replace(
        meta, rows=1, sha256=digest.hexdigest()
    )
    with pytest.raises(Conflict) as refused:
        backups.restore({"departments": made.name})
    assert refused.value.details == {"missing": {"departments": [2]}}
    assert db.tables["departments"] == {1: (1, "Sales"), 2: (2, "Ops")}


def test_restoring_referring_and_referred_tables_together_checks_them_against_each_other(
    db, backups
):
    made = {b.meta.table: b.name for b in backups.backup(["departments", "hired_employees"])}
    db.tables["departments"] = {}
    db.tables["hired_employees"] = {}
    restored = backups.restore({"hired_employees": None, "departments": made["departments"]})
    assert [r.table for r in restored] == ["departments", "hired_employees"]
    assert sorted(db.tables["hired_employees"]) == [1, 2]


def test_a_restore_under_a_running_load_of_its_table_is_refused(db, backups, tasks):
    backups.backup(["jobs"])
    tasks.create(TaskRecord("t1", "all", "a.csv", state="STARTED"))
    tasks.create(TaskRecord("t2", "departments", "d.csv", state="STARTED"))
    with pytest.raises(LoadInProgress) as refused:
        backups.restore({"jobs": None})
    assert refused.value.details == {"tasks": ["t1"]}

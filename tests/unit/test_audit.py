"""The audit rows the use cases write, against fakes: with the change they record, or after
the read."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from core.audit import Action, Actor, Audit, AuditTrail
from core.backups import Backups
from core.batches import Batches
from core.errors import Conflict, InvalidState, QueueUnavailable
from core.listings import Listings
from core.ports import AuditFilter, RejectionFilter
from core.tasks import LoadTasks
from tests.unit.fake_backup_store import FakeBackupStore
from tests.unit.fakes import (
    FakeAuditLog,
    FakeDatabase,
    FakeQueue,
    FakeSource,
    FakeTaskStore,
    FakeUnitOfWork,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
HIRED = datetime(2021, 5, 1, 9, 0, tzinfo=UTC)
AUDIT = Audit(Actor("etl", "writer"), "POST /batch/departments", "req-1")
FILES = {"departments.csv": b"1,Sales\n", "jobs.csv": b"1,Clerk\n", "hired_employees.csv": b""}


def test_a_batch_writes_its_audit_row_with_its_rows():
    db = FakeDatabase()
    batch_id, _ = Batches(lambda: FakeUnitOfWork(db)).insert(
        "departments", [{"id": 1, "department": "Sales"}, {"id": 2}], AUDIT
    )
    (entry,) = db.audit
    assert (entry.action, entry.target, entry.outcome) == ("batch", batch_id, 200)
    assert (entry.key_name, entry.role, entry.request_id) == ("etl", "writer", "req-1")
    assert entry.route == "POST /batch/departments"
    assert entry.rows == {"inserted": 1, "already_exists": 0, "rejected": 1}
    assert db.commits == 1  # one transaction: the rows, the rejection and the audit row


def test_a_batch_whose_transaction_fails_leaves_no_audit_row():
    db = FakeDatabase()

    class Failing(FakeUnitOfWork):
        def commit(self) -> None:
            raise RuntimeError("the database refused the commit")

    with pytest.raises(RuntimeError):
        Batches(lambda: Failing(db)).insert("departments", [{"id": 1, "department": "S"}], AUDIT)
    assert db.audit == [] and db.tables["departments"] == {}


def test_a_batch_without_an_audit_writes_none():
    db = FakeDatabase()
    Batches(lambda: FakeUnitOfWork(db)).insert("departments", [{"id": 1, "department": "S"}])
    assert db.audit == []


def make_tasks(store: FakeTaskStore, queue: FakeQueue | None = None) -> LoadTasks:
    db = FakeDatabase()
    return LoadTasks(
        lambda: FakeUnitOfWork(db),
        store,
        FakeSource(FILES),
        queue or FakeQueue(),
        clock=lambda: NOW,
    )


def test_submissions_write_their_audit_rows_with_their_task_records():
    store = FakeTaskStore()
    tasks = make_tasks(store)
    audit = Audit(Actor("etl", "writer"), "POST /upload/jobs", "req-2", outcome=202)
    loaded = tasks.submit("jobs", audit=audit)
    uploaded = tasks.upload("jobs", io.BytesIO(b"2,Driver\n"), audit)
    everything = tasks.submit_all(audit)
    assert [(e.action, e.target, e.outcome, e.at) for e in store.audit] == [
        ("load", loaded.id, 202, NOW),
        ("upload", uploaded.id, 202, NOW),
        ("load", everything.id, 202, NOW),
    ]


def test_a_submission_that_could_not_be_queued_is_audited_as_withdrawn():
    store, queue = FakeTaskStore(), FakeQueue()
    queue.accepting = False  # checked fine, then the broker went away
    with pytest.raises(QueueUnavailable):
        make_tasks(store, queue).submit(
            "jobs", audit=Audit(Actor(), "POST /upload/jobs", outcome=202)
        )
    submitted, withdrawn = store.audit
    assert (submitted.outcome, withdrawn.outcome) == (202, 503)
    assert submitted.target == withdrawn.target and store.tasks == {}


def test_cancel_and_retry_write_their_audit_rows_with_the_change_and_none_when_refused():
    store = FakeTaskStore()
    tasks = make_tasks(store)
    task = tasks.submit("jobs")
    cancel = Audit(Actor("ops", "admin"), f"POST /task/{task.id}/cancel")
    tasks.cancel(task.id, cancel)
    with pytest.raises(InvalidState):
        tasks.cancel(task.id, cancel)
    tasks.retry(task.id, Audit(Actor("ops", "admin"), f"POST /task/{task.id}/retry", outcome=202))
    assert [(e.action, e.target, e.outcome) for e in store.audit] == [
        ("cancel", task.id, 200),
        ("retry", task.id, 202),
    ]


@pytest.fixture
def db() -> FakeDatabase:
    db = FakeDatabase()
    db.tables["departments"] = {1: (1, "Sales"), 2: (2, "Ops")}
    db.tables["jobs"] = {1: (1, "Clerk")}
    db.tables["hired_employees"] = {1: (1, "Ann", HIRED, 1, 1)}
    return db


def make_backups(db: FakeDatabase, log: FakeAuditLog) -> Backups:
    return Backups(
        lambda snapshot=False, exclusive=False: FakeUnitOfWork(db, snapshot, exclusive),
        FakeBackupStore(),
        clock=lambda: NOW,
        audit_log=log,
    )


def test_a_backup_is_audited_with_the_rows_of_each_table(db):
    log = FakeAuditLog()
    make_backups(db, log).backup(
        ["departments", "jobs"], Audit(Actor(), "POST /backup", outcome=201)
    )
    (entry,) = log.entries
    assert (entry.action, entry.target, entry.outcome) == ("backup", "departments,jobs", 201)
    assert entry.rows == {"departments": 2, "jobs": 1}


def test_a_restore_writes_its_audit_row_in_its_transaction_and_none_when_refused(db):
    log = FakeAuditLog()
    backups = make_backups(db, log)
    backups.backup(["departments"])
    db.tables["departments"][3] = (3, "Legal")
    restore = Audit(Actor("ops", "admin"), "POST /restore/departments")
    backups.restore({"departments": None}, restore)
    (entry,) = db.audit
    assert (entry.action, entry.target, entry.rows) == (
        "restore",
        "departments",
        {"departments": 2},
    )
    db.tables["departments"] = {9: (9, "Other")}
    (lacking,) = backups.backup(["departments"])  # no department 1, which Ann refers to
    db.tables["departments"] = {1: (1, "Sales"), 2: (2, "Ops")}
    with pytest.raises(Conflict):
        backups.restore({"departments": lacking.name}, restore)
    assert len(db.audit) == 1
    assert log.entries == []  # restores are not written apart from their transaction


class ReadModel:
    def rows(self, table, page, per_page):
        return [{"id": 1, "department": "Sales"}], 1

    def rejections(self, where: RejectionFilter, page, per_page):
        return [{"id": 1}, {"id": 2}], 7

    def check(self):
        pass


def test_a_listing_is_audited_after_the_read():
    log = FakeAuditLog()
    listings = Listings(ReadModel(), log, clock=lambda: NOW)
    listings.rows("departments", 1, 50, Audit(Actor("bi", "reader"), "GET /departments"))
    listings.rejections(1, 50, task_id="t-1", audit=Audit(Actor("bi", "reader"), "GET /rejections"))
    assert [(e.action, e.target, e.rows, e.at) for e in log.entries] == [
        ("list_rows", "departments", {"returned": 1}, NOW),
        ("list_rejections", "t-1", {"returned": 2}, NOW),
    ]


def test_a_listing_whose_audit_row_cannot_be_written_is_not_answered():
    class Broken(FakeAuditLog):
        def add(self, entry):
            raise RuntimeError("the audit log is unreachable")

    with pytest.raises(RuntimeError):
        Listings(ReadModel(), Broken()).rows("departments", 1, 50, Audit(Actor(), "GET /x"))


def test_the_audit_trail_reads_newest_first_and_audits_its_reading():
    log = FakeAuditLog()
    trail = AuditTrail(log, clock=lambda: NOW)
    for n in range(3):
        trail.record(Audit(Actor(f"k{n}"), "GET /jobs"), Action.LIST_ROWS, "jobs")
    items, total = trail.page(AuditFilter(), 1, 2, Audit(Actor("ops", "admin"), "GET /audit"))
    assert ([e.key_name for e in items], total) == (["k2", "k1"], 3)
    assert log.entries[-1].action == "read_audit"
    assert log.entries[-1].rows == {"returned": 2}
    since = trail.page(AuditFilter(since=NOW + timedelta(seconds=1)), 1, 10)[1]
    assert since == 0

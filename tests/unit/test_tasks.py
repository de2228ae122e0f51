import io
import time
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import (
    DatabaseUnavailable,
    InvalidState,
    NotFound,
    QueueUnavailable,
    SourceFileNotFound,
)
from core.ports import Origin
from core.tasks import LoadTasks
from domain.rejections import Reason, Rejection
from tests.unit.fakes import FakeDatabase, FakeQueue, FakeSource, FakeTaskStore, FakeUnitOfWork

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FILES = {
    "departments.csv": b"1,Sales\n",
    "jobs.csv": b"1,Clerk\n",
    "hired_employees.csv": b"1,Ana,2021-01-01T00:00:00Z,1,1\n2,Bo,2021-01-01T00:00:00Z,1,2\n",
}


@pytest.fixture
def db():
    return FakeDatabase()


def make_tasks(db, files=FILES, store=None, queue=None, clock=lambda: NOW, **options):
    return LoadTasks(
        lambda: FakeUnitOfWork(db),
        store or FakeTaskStore(),
        FakeSource(files),
        queue or FakeQueue(),
        clock=clock,
        **options,
    )


class Clock:
    """A clock the test moves on."""

    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


def test_a_submitted_load_is_pending_and_queued(db):
    tasks = make_tasks(db)
    task = tasks.submit("departments")
    assert (task.state, task.table, task.source, task.created_at) == (
        "PENDING",
        "departments",
        "departments.csv",
        NOW,
    )
    assert tasks.queue.queued == [task.id]
    assert tasks.get(task.id) is task


def test_loading_all_tables_runs_in_order_and_sums_progress(db):
    tasks = make_tasks(db)
    task = tasks.submit_all()
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert done.state == "SUCCESS"
    assert list(done.result["tables"]) == ["departments", "jobs", "hired_employees"]
    employees = done.result["tables"]["hired_employees"]
    assert (employees["inserted"], employees["rejected"]) == (1, 1)
    assert employees["rejections"][0]["reason"] == "unknown_job"
    assert done.rows_read == 4
    assert tasks.store.progress_seen == [1, 2, 4]


def test_a_missing_file_is_refused_before_queueing(db):
    tasks = make_tasks(db, {"departments.csv": b""})
    with pytest.raises(SourceFileNotFound) as caught:
        tasks.submit_all()
    assert caught.value.details == {"missing": ["jobs.csv", "hired_employees.csv"]}
    assert tasks.queue.queued == []


def test_a_failing_load_ends_as_failure_with_the_error(db):
    tasks = make_tasks(db)
    task = tasks.submit("departments")
    del tasks.source.files["departments.csv"]
    tasks.run(task.id)
    failed = tasks.get(task.id)
    assert (failed.state, failed.error, failed.finished_at) == (
        "FAILURE",
        "SourceFileNotFound: departments.csv missing",
        NOW,
    )


def test_a_task_whose_worker_died_runs_again_and_forgets_the_earlier_rejections(db):
    tasks = make_tasks(db)
    task = tasks.submit("hired_employees")
    db.tables["departments"] = {1: (1, "Sales")}
    db.tables["jobs"] = {1: (1, "Clerk")}
    tasks.run(task.id)
    left = tasks.store.tasks[task.id]  # as left by a worker killed mid-load
    left.state, left.lease_owner, left.lease_expires_at = "STARTED", "dead", NOW - timedelta(1)
    tasks.run(task.id)
    assert len(db.rejections) == 1
    assert tasks.get(task.id).result["already_exists"] == 1
    assert tasks.get(task.id).attempts == 2


def test_a_finished_task_delivered_again_is_not_run_again(db):
    tasks = make_tasks(db)
    task = tasks.submit("departments")
    tasks.run(task.id)
    finished = tasks.get(task.id).finished_at
    tasks.source.files["departments.csv"] = b"2,Other\n"
    tasks.run(task.id)
    assert db.tables["departments"] == {1: (1, "Sales")}
    assert tasks.get(task.id).finished_at == finished


def test_an_upload_is_stored_under_a_new_name_and_loaded_from_it(db):
    tasks = make_tasks(db)
    task = tasks.upload("departments", io.BytesIO(b"9,Legal\n"))
    assert task.source.startswith("uploads/departments-20260102T030405-")
    assert tasks.source.files[task.source] == b"9,Legal\n"
    tasks.run(task.id)
    assert db.tables["departments"] == {9: (9, "Legal")}


def test_an_unknown_task_is_not_found(db):
    with pytest.raises(NotFound):
        make_tasks(db).get("nope")


def test_rejections_of_other_origins_are_kept_when_a_task_starts_again(db):
    other = Rejection("jobs", Reason.REQUIRED, "m", "raw")
    db.rejections.append((other, Origin(batch_id="b")))
    tasks = make_tasks(db)
    task = tasks.submit("jobs")
    tasks.run(task.id)
    assert db.rejections == [(other, Origin(batch_id="b"))]


def test_a_submitted_task_is_held_by_its_process_until_a_run_takes_it(db):
    tasks = make_tasks(db)
    task = tasks.submit("departments")
    assert (task.lease_owner, task.lease_expires_at, task.attempts) == (
        tasks.owner,
        NOW + timedelta(seconds=60),
        0,
    )
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert (done.state, done.lease_owner, done.lease_expires_at, done.attempts) == (
        "SUCCESS",
        None,
        None,
        1,
    )


def test_a_task_queued_on_a_broker_is_held_by_nobody(db):
    tasks = make_tasks(db, queue=FakeQueue(durable=True))
    task = tasks.submit("departments")
    assert (task.lease_owner, task.lease_expires_at) == (None, None)
    tasks.run(task.id)
    assert tasks.get(task.id).state == "SUCCESS"


def test_tasks_whose_leases_ran_out_are_taken_over_once_and_queued_again(db):
    clock, store = Clock(), FakeTaskStore()
    first = make_tasks(db, store=store, clock=clock)
    second = make_tasks(db, store=store, clock=clock)
    queued = first.submit("departments")
    started = first.submit("jobs")
    done = first.submit("hired_employees")
    store.tasks[started.id].state = "STARTED"
    store.tasks[started.id].lease_owner = f"{first.owner}/run"
    store.tasks[done.id].state = "SUCCESS"
    clock.advance(59)
    assert second.maintain() == []  # the leases still hold
    clock.advance(2)  # the first process stopped: its leases ran out
    assert sorted(second.maintain()) == sorted([queued.id, started.id])
    assert second.queue.queued == [queued.id, started.id]
    assert store.tasks[started.id].lease_owner == second.owner
    assert store.tasks[started.id].lease_expires_at == clock.now + timedelta(seconds=60)
    assert first.maintain() == []  # taken over once only
    assert second.maintain() == []
    clock.advance(61)
    assert second.maintain() == []  # renewed by its holder's upkeep
    second.run(started.id)
    assert (store.tasks[started.id].state, store.tasks[started.id].attempts) == ("SUCCESS", 1)


def test_the_upkeep_of_a_process_renews_what_it_holds_queued(db):
    clock = Clock()
    tasks = make_tasks(db, clock=clock)
    task = tasks.submit("departments")
    clock.advance(50)
    assert tasks.maintain() == []
    assert tasks.get(task.id).lease_expires_at == clock.now + timedelta(seconds=60)
    clock.advance(50)
    assert make_tasks(db, store=tasks.store, clock=clock).maintain() == []


def test_a_broker_gets_back_a_task_whose_lease_ran_out(db):
    clock, store = Clock(), FakeTaskStore()
    worker = make_tasks(db, store=store, clock=clock, queue=FakeQueue(durable=True))
    task = worker.submit("departments")
    store.tasks[task.id].state = "STARTED"
    store.tasks[task.id].lease_owner = "a-worker-that-died/run"
    store.tasks[task.id].lease_expires_at = clock.now
    worker.queue.queued.clear()
    clock.advance(1)
    assert worker.maintain() == [task.id]
    assert worker.queue.queued == [task.id]
    assert (store.tasks[task.id].lease_owner, store.tasks[task.id].lease_expires_at) == (None, None)
    worker.run(task.id)
    assert store.tasks[task.id].state == "SUCCESS"


def test_a_task_that_cannot_be_queued_again_is_tried_at_the_next_pass(db):
    clock, store = Clock(), FakeTaskStore()
    worker = make_tasks(db, store=store, clock=clock, queue=FakeQueue(durable=True))
    task = worker.submit("departments")
    store.tasks[task.id].lease_owner, store.tasks[task.id].lease_expires_at = "gone", clock.now
    clock.advance(1)

    def broker_down(task_id, part=None):
        raise ConnectionError("no broker")

    worker.queue.enqueue = broker_down
    assert worker.maintain() == []
    assert store.tasks[task.id].lease_owner == worker.owner
    del worker.queue.enqueue
    clock.advance(1)
    assert worker.maintain() == [task.id]


def test_a_task_held_by_a_live_run_is_not_run_again_until_its_lease_runs_out(db):
    clock = Clock()
    tasks = make_tasks(db, clock=clock)
    task = tasks.submit("departments")
    running = tasks.store.tasks[task.id]
    running.state, running.lease_owner, running.attempts = "STARTED", "elsewhere/run", 1
    running.lease_expires_at = clock.now + timedelta(seconds=10)
    tasks.run(task.id)  # delivered twice: the other run holds it
    assert (running.state, running.attempts, db.tables["departments"]) == ("STARTED", 1, {})
    clock.advance(11)
    tasks.run(task.id)
    assert (running.state, running.attempts) == ("SUCCESS", 2)
    assert db.tables["departments"] == {1: (1, "Sales")}


def test_a_run_that_lost_its_lease_stops_and_writes_nothing(db):
    tasks = make_tasks(db)
    task = tasks.submit("departments")
    store = tasks.store
    record_progress = store.progress

    def taken_over_meanwhile(task_id, read, total, owner, expires):
        store.tasks[task_id].lease_owner = "another/run"
        return record_progress(task_id, read, total, owner, expires)

    store.progress = taken_over_meanwhile
    tasks.run(task.id)
    left = tasks.get(task.id)
    assert (left.state, left.lease_owner, left.result, left.error) == (
        "STARTED",
        "another/run",
        None,
        None,
    )


def test_a_running_task_renews_its_lease_while_a_chunk_takes_long(db):
    tasks = make_tasks(db, clock=lambda: datetime.now(UTC), lease_seconds=0.06)
    task = tasks.submit("departments")
    renewed = []
    record_renewal = tasks.store.renew

    def renew(task_id, part, owner, expires):
        renewed.append(owner)
        return record_renewal(task_id, part, owner, expires)

    tasks.store.renew = renew
    slow_open = tasks.source.open

    def open_slowly(name, start=0, end=None):
        time.sleep(0.2)
        return slow_open(name, start, end)

    tasks.source.open = open_slowly
    tasks.run(task.id)
    assert tasks.get(task.id).state == "SUCCESS"
    assert len(renewed) >= 2
    assert {o.rpartition("/")[0] for o in renewed} == {tasks.owner}


def test_a_large_file_is_loaded_in_parts_with_the_same_result_as_in_one(db):
    rows = [b"%d,Name %d,2021-0%d-01T00:00:00Z,1,1\n" % (i, i, i % 9 + 1) for i in range(1, 401)]
    rows[50] = b"51,,2021-01-01T00:00:00Z,1,1\n"
    rows[300] = b'301,"Two\nlines",2021-01-01T00:00:00Z,1,9\n'
    rows[350] = b"351,Bad Date,2021-02-30T00:00:00Z,1,1\n"
    data = b"id,name,datetime,department_id,job_id\n" + b"".join(rows)
    files = {"hired_employees.csv": data}

    whole_db = FakeDatabase()
    for target in (db, whole_db):
        target.tables["departments"] = {1: (1, "Sales")}
        target.tables["jobs"] = {1: (1, "Clerk")}
    whole = make_tasks(whole_db, files)
    whole.run(whole.submit("hired_employees").id)
    expected = whole.get(next(iter(whole.store.tasks))).result

    tasks = make_tasks(db, files)
    tasks.part_bytes = 1000
    task = tasks.submit("hired_employees")
    tasks.queue.queued.clear()
    tasks.run(task.id)
    parts = tasks.store.parts(task.id)
    assert len(parts) >= 10
    assert tasks.queue.queued == [f"{task.id}#{p.part}" for p in parts]
    assert tasks.get(task.id).state == "STARTED"
    for part in reversed(parts):  # parts may finish in any order
        tasks.run(task.id, part.part)
    done = tasks.get(task.id)
    assert done.state == "SUCCESS"
    assert done.rows_read == 400
    result = dict(done.result)
    assert result.pop("parts") == len(parts)
    assert result == expected
    assert [r["line"] for r in result["rejections"]] == [52, 302, 353]
    assert db.tables["hired_employees"] == whole_db.tables["hired_employees"]
    assert db.hire_counts == whole_db.hire_counts


def test_a_part_run_again_replaces_only_its_own_rejections(db):
    data = b"".join(b"%d,\n" % i for i in range(1, 301))  # every row rejected
    tasks = make_tasks(db, {"jobs.csv": data})
    tasks.part_bytes = 300
    task = tasks.submit("jobs")
    tasks.run(task.id)
    parts = tasks.store.parts(task.id)
    tasks.run(task.id, 0)
    tasks.run(task.id, 1)
    tasks.store.part_records[(task.id, 1)].state = "STARTED"  # as a worker killed mid-part
    tasks.run(task.id, 1)
    for part in parts[2:]:
        tasks.run(task.id, part.part)
    assert tasks.get(task.id).result["rejected"] == 300
    assert sorted(r.line for r, _ in db.rejections) == list(range(1, 301))


class ProcessEnded(BaseException):
    """Stands for the end of the process running a load (a kill, a crash)."""


def test_a_task_whose_process_ends_each_time_fails_after_three_attempts(db):
    clock = Clock()
    tasks = make_tasks(db, clock=clock)
    task = tasks.submit("departments")

    def process_ends(name, start=0, end=None):
        raise ProcessEnded

    runner = tasks
    for attempt in (1, 2, 3):
        runner.source.open = process_ends
        with pytest.raises(ProcessEnded):
            runner.run(task.id)
        left = tasks.get(task.id)
        assert (left.state, left.attempts) == ("STARTED", attempt)
        tasks.run(task.id)  # delivered again while the lease holds: left alone
        assert tasks.get(task.id).attempts == attempt
        clock.advance(61)
        runner = make_tasks(db, store=tasks.store, clock=clock)  # the next process
        assert runner.maintain() == ([task.id] if attempt < 3 else [])
    failed = tasks.get(task.id)
    assert (failed.state, failed.attempts, failed.error, failed.finished_at) == (
        "FAILURE",
        3,
        "stopped after 3 attempts: the process running it ended each time",
        clock.now,
    )
    assert (failed.lease_owner, failed.lease_expires_at) == (None, None)


def test_a_task_started_three_times_is_not_run_a_fourth(db):
    clock = Clock()
    tasks = make_tasks(db, clock=clock)
    task = tasks.submit("departments")
    left = tasks.store.tasks[task.id]
    left.state, left.attempts, left.lease_owner, left.lease_expires_at = (
        "STARTED",
        3,
        "gone/run",
        clock.now - timedelta(seconds=1),
    )
    tasks.run(task.id)  # a broker delivers it again
    assert (left.state, left.attempts, db.tables["departments"]) == ("STARTED", 3, {})
    assert tasks.maintain() == []
    assert (left.state, left.error) == (
        "FAILURE",
        "stopped after 3 attempts: the process running it ended each time",
    )


def test_a_part_whose_process_ends_each_time_fails_its_task(db):
    clock = Clock()
    data = b"".join(b"%d,Job %d\n" % (i, i) for i in range(1, 301))
    tasks = make_tasks(db, {"jobs.csv": data}, clock=clock, part_bytes=1000)
    task = tasks.submit("jobs")
    tasks.run(task.id)
    parts = tasks.store.parts(task.id)
    assert len(parts) >= 3
    tasks.run(task.id, 0)
    record = tasks.store.part_records[(task.id, 1)]
    record.state, record.attempts, record.lease_owner = "STARTED", 3, "gone/run"
    record.lease_expires_at = clock.now
    clock.advance(1)
    assert tasks.maintain() == []
    failed = tasks.get(task.id)
    assert (failed.state, failed.error) == (
        "FAILURE",
        "part 1 stopped after 3 attempts: the process running it ended each time",
    )
    assert [p.state for p in tasks.store.parts(task.id)] == ["SUCCESS"] + ["FAILURE"] * (
        len(parts) - 1
    )
    tasks.run(task.id, 2)  # a part queued before the task failed is not run
    assert tasks.store.part_records[(task.id, 2)].attempts == 0


class DatabaseOutage:
    """A fake time in which the database goes away and comes back."""

    def __init__(self):
        self.now = 0.0
        self.delays = []
        self.back_at = None

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.delays.append(seconds)
        self.now += seconds

    def cut(self, seconds):
        self.back_at = self.now + seconds

    def check(self):
        if self.back_at is not None and self.now < self.back_at:
            raise DatabaseUnavailable()


class Unreachable:
    """A fake port whose every call fails while the database is away."""

    def __init__(self, target, outage):
        self._target, self._outage = target, outage

    def __getattr__(self, name):
        found = getattr(self._target, name)
        if not callable(found):
            return found

        def call(*args, **kwargs):
            self._outage.check()
            return found(*args, **kwargs)

        return call


class UnitOfWorkInOutage(FakeUnitOfWork):
    def __init__(self, db, outage):
        super().__init__(db)
        self.outage = outage

    def __enter__(self):
        self.outage.check()
        return super().__enter__()

    def commit(self):
        self.outage.check()
        super().commit()


def tasks_with_outage(db, outage, **options):
    def uow_factory(snapshot=False, exclusive=False):
        return UnitOfWorkInOutage(db, outage)

    return LoadTasks(
        uow_factory,
        Unreachable(FakeTaskStore(), outage),
        FakeSource(FILES),
        FakeQueue(),
        clock=lambda: NOW,
        sleep=outage.sleep,
        monotonic=outage.monotonic,
        **options,
    )


def cut_after_first_progress(tasks, outage, seconds):
    store = tasks.store._target
    record_progress = store.progress

    def progress(*args):
        done = record_progress(*args)
        if outage.back_at is None:
            outage.cut(seconds)
        return done

    store.progress = progress


def test_a_load_whose_database_drops_waits_for_it_and_stores_every_row_once(db):
    outage = DatabaseOutage()
    tasks = tasks_with_outage(db, outage)
    task = tasks.submit_all()
    cut_after_first_progress(tasks, outage, 3)
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert (done.state, done.attempts, done.error) == ("SUCCESS", 1, None)
    assert outage.delays == [0.5, 1, 2]  # doubling, until the database came back
    summary = {
        table: (r["inserted"], r["already_exists"], r["rejected"])
        for table, r in done.result["tables"].items()
    }
    # loaded again from the start: the department stored before the drop is already there
    assert summary == {
        "departments": (0, 1, 0),
        "jobs": (1, 0, 0),
        "hired_employees": (1, 0, 1),
    }
    assert db.tables["departments"] == {1: (1, "Sales")}
    assert list(db.tables["hired_employees"]) == [1]
    assert [r.reason.value for r, _ in db.rejections] == ["unknown_job"]


def test_a_load_waits_at_most_the_bound_then_fails_once_the_failure_can_be_written(db):
    outage = DatabaseOutage()
    tasks = tasks_with_outage(db, outage, retry_seconds=7)
    task = tasks.submit_all()
    cut_after_first_progress(tasks, outage, 20)
    tasks.run(task.id)
    failed = tasks.get(task.id)
    assert (failed.state, failed.error, failed.lease_owner) == (
        "FAILURE",
        "the database was unreachable for 7 s",
        None,
    )
    # 7 s of waits capped to the bound, then waits to write the failure until it is back
    assert outage.delays == [0.5, 1, 2, 3.5, 0.5, 1, 2, 4, 8]
    assert db.tables["departments"] == {1: (1, "Sales")}
    assert db.tables["jobs"] == {}


def test_backoff_doubles_up_to_thirty_seconds(db):
    outage = DatabaseOutage()
    tasks = tasks_with_outage(db, outage)
    task = tasks.submit("departments")
    outage.cut(200)
    tasks.run(task.id)  # even its claim waits
    assert outage.delays == [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30, 30, 30]  # 211.5 s
    assert tasks.get(task.id).state == "SUCCESS"


def test_a_result_whose_write_fails_is_written_when_the_database_is_back(db):
    outage = DatabaseOutage()
    tasks = tasks_with_outage(db, outage)
    task = tasks.submit("departments")
    store = tasks.store._target
    record_finished = store.finished

    def finished(*args):
        if outage.back_at is None:
            outage.cut(1)
            raise DatabaseUnavailable()
        return record_finished(*args)

    store.finished = finished
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert (done.state, done.result["inserted"], done.result["already_exists"]) == (
        "SUCCESS",
        1,
        0,
    )
    assert outage.delays == [0.5, 1]


def test_a_part_whose_database_drops_is_loaded_again_and_its_task_ends(db):
    outage = DatabaseOutage()
    data = b"".join(b"%d,Job %d\n" % (i, i) for i in range(1, 301))
    tasks = tasks_with_outage(db, outage, part_bytes=1000)
    tasks.source.files["jobs.csv"] = data
    task = tasks.submit("jobs")
    tasks.run(task.id)
    parts = tasks.store.parts(task.id)
    store = tasks.store._target
    record_progress = store.part_progress

    def part_progress(*args):
        if outage.back_at is None:  # the first chunk is stored, then the connection drops
            outage.cut(1)
            raise DatabaseUnavailable()
        return record_progress(*args)

    store.part_progress = part_progress
    for part in parts:
        tasks.run(task.id, part.part)
    done = tasks.get(task.id)
    first_part_rows = parts[1].first_line - 1
    assert (done.state, done.result["processed"], done.result["already_exists"]) == (
        "SUCCESS",
        300,
        first_part_rows,  # stored before the drop, found there when the part was loaded again
    )
    assert done.result["inserted"] == 300 - first_part_rows
    assert outage.delays == [0.5, 1]
    assert sorted(db.tables["jobs"]) == list(range(1, 301))


def test_a_pending_task_cancelled_is_never_run(db):
    tasks = make_tasks(db)
    task = tasks.submit("departments")
    cancelled = tasks.cancel(task.id)
    assert (cancelled.state, cancelled.finished_at, cancelled.result) == ("CANCELLED", NOW, None)
    tasks.run(task.id)
    assert (tasks.get(task.id).state, tasks.get(task.id).attempts) == ("CANCELLED", 0)
    assert db.tables["departments"] == {}


def test_a_running_load_cancelled_stops_at_its_next_chunk_and_says_what_it_stored(db):
    tasks = make_tasks(db)
    task = tasks.submit_all()
    record_progress = tasks.store.progress

    def cancelled_meanwhile(task_id, read, total, owner, expires):
        if read.rows_read == 1:  # the departments are stored: cancelled before the jobs are
            tasks.cancel(task_id)
        return record_progress(task_id, read, total, owner, expires)

    tasks.store.progress = cancelled_meanwhile
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert (done.state, done.finished_at, done.lease_owner, done.error) == (
        "CANCELLED",
        NOW,
        None,
        None,
    )
    assert done.result == {
        "tables": {
            "departments": {
                "table": "departments",
                "lines_read": 1,
                "processed": 1,
                "inserted": 1,
                "already_exists": 0,
                "rejected": 0,
                "rejections": [],
            }
        }
    }
    assert (db.tables["departments"], db.tables["jobs"]) == ({1: (1, "Sales")}, {})
    assert done.rows_read == 1


def test_a_task_cancelled_as_it_finishes_keeps_its_whole_result(db):
    tasks = make_tasks(db)
    task = tasks.submit("departments")
    record_finished = tasks.store.finished

    def cancelled_first(task_id, at, result, owner):
        tasks.cancel(task_id)
        return record_finished(task_id, at, result, owner)

    tasks.store.finished = cancelled_first
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert (done.state, done.result["inserted"]) == ("CANCELLED", 1)


def test_only_a_pending_or_started_task_can_be_cancelled(db):
    tasks = make_tasks(db)
    task = tasks.submit("departments")
    tasks.run(task.id)
    with pytest.raises(InvalidState) as caught:
        tasks.cancel(task.id)
    assert (caught.value.code, caught.value.details) == ("invalid_state", {"state": "SUCCESS"})
    assert caught.value.message == (
        f"task {task.id} is SUCCESS: only a PENDING or STARTED task can be cancelled"
    )
    with pytest.raises(NotFound):
        tasks.cancel("nope")


def test_a_failed_task_retried_is_queued_again_under_its_id_and_goes_on(db):
    tasks = make_tasks(db)
    task = tasks.submit_all()
    del tasks.source.files["jobs.csv"]
    tasks.run(task.id)
    assert tasks.get(task.id).state == "FAILURE"
    tasks.source.files["jobs.csv"] = FILES["jobs.csv"]
    tasks.queue.queued.clear()
    again = tasks.retry(task.id)
    assert (again.id, again.state, again.attempts, again.error, again.finished_at) == (
        task.id,
        "PENDING",
        0,
        None,
        None,
    )
    assert (again.lease_owner, again.lease_expires_at) == (tasks.owner, NOW + timedelta(seconds=60))
    assert tasks.queue.queued == [task.id]
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert (done.state, done.attempts) == ("SUCCESS", 1)
    departments = done.result["tables"]["departments"]
    assert (departments["inserted"], departments["already_exists"]) == (0, 1)


def test_only_a_failed_or_cancelled_task_can_be_retried(db):
    tasks = make_tasks(db)
    task = tasks.submit("departments")
    with pytest.raises(InvalidState) as caught:
        tasks.retry(task.id)
    assert caught.value.details == {"state": "PENDING"}
    assert caught.value.message == (
        f"task {task.id} is PENDING: only a task that ended FAILURE or CANCELLED can be retried"
    )
    tasks.run(task.id)
    with pytest.raises(InvalidState):
        tasks.retry(task.id)
    with pytest.raises(NotFound):
        tasks.retry("nope")
    assert tasks.queue.queued == [task.id]


def test_a_retry_that_cannot_be_queued_leaves_the_task_failed(db):
    tasks = make_tasks(db, queue=FakeQueue(durable=True))
    task = tasks.submit("departments")
    tasks.cancel(task.id)

    def broker_down(task_id, part=None):
        raise ConnectionError("no broker")

    tasks.queue.enqueue = broker_down
    with pytest.raises(QueueUnavailable):
        tasks.retry(task.id)
    failed = tasks.get(task.id)
    assert (failed.state, failed.error) == (
        "FAILURE",
        "could not be queued: the task queue is unreachable",
    )


def test_a_split_load_cancelled_keeps_its_parts_results_and_a_retry_loads_the_rest(db):
    data = b"".join(b"%d,Job %d\n" % (i, i) for i in range(1, 301))
    tasks = make_tasks(db, {"jobs.csv": data}, part_bytes=1000)
    task = tasks.submit("jobs")
    tasks.run(task.id)
    parts = tasks.store.parts(task.id)
    tasks.run(task.id, 0)
    record_progress = tasks.store.part_progress

    def cancelled_meanwhile(task_id, part, read, owner, expires):
        tasks.cancel(task_id)
        return record_progress(task_id, part, read, owner, expires)

    tasks.store.part_progress = cancelled_meanwhile
    tasks.run(task.id, 1)  # stops after its chunk, as the task was cancelled during it
    tasks.store.part_progress = record_progress
    for part in parts[2:]:
        tasks.run(task.id, part.part)  # cancelled before they started: not run
    cancelled = tasks.get(task.id)
    stored = parts[2].first_line - 1  # the lines of parts 0 and 1
    assert cancelled.state == "CANCELLED"
    assert (cancelled.result["processed"], cancelled.result["inserted"]) == (stored, stored)
    assert cancelled.rows_read == stored
    assert [p.state for p in tasks.store.parts(task.id)] == ["SUCCESS"] + ["CANCELLED"] * (
        len(parts) - 1
    )
    assert sorted(db.tables["jobs"]) == list(range(1, stored + 1))

    tasks.queue.queued.clear()
    tasks.retry(task.id)
    tasks.run(task.id)
    assert tasks.queue.queued == [task.id] + [f"{task.id}#{p.part}" for p in parts[1:]]
    for part in parts[1:]:
        tasks.run(task.id, part.part)
    done = tasks.get(task.id)
    assert done.state == "SUCCESS"
    first = parts[1].first_line - 1
    assert (done.result["processed"], done.result["inserted"]) == (300, 300 - (stored - first))
    assert done.result["already_exists"] == stored - first  # part 1's rows, stored before
    assert sorted(db.tables["jobs"]) == list(range(1, 301))


def test_a_load_submitted_while_the_queue_is_unreachable_leaves_nothing_behind(db):
    tasks = make_tasks(db)
    tasks.queue.reachable = False
    for submit in (
        tasks.submit_all,
        lambda: tasks.submit("jobs"),
        lambda: tasks.upload("jobs", io.BytesIO(b"1,Clerk\n")),
    ):
        with pytest.raises(QueueUnavailable) as caught:
            submit()
        assert caught.value.message == "the task queue is unreachable"
    assert (tasks.store.tasks, tasks.queue.queued) == ({}, [])
    assert sorted(tasks.source.files) == sorted(FILES)


def test_an_upload_whose_load_cannot_be_queued_is_deleted_with_its_task(db):
    tasks = make_tasks(db)
    tasks.queue.accepting = False  # checked, then gone
    with pytest.raises(QueueUnavailable):
        tasks.upload("jobs", io.BytesIO(b"1,Clerk\n"))
    with pytest.raises(QueueUnavailable):
        tasks.submit("jobs")
    assert tasks.store.tasks == {}
    assert sorted(tasks.source.files) == sorted(FILES)


def test_each_outage_is_given_the_whole_bound(db):
    outage = DatabaseOutage()
    tasks = tasks_with_outage(db, outage, retry_seconds=3)
    tasks.source.files["departments.csv"] = b""  # no chunk, so no progress is written
    task = tasks.submit("departments")
    outage.cut(2)  # the run's claim waits 0.5 + 1 + 1.5 s
    store = tasks.store._target
    record_finished = store.finished

    def finished(*args):
        if outage.now < 10:  # the database answered for a while, then went away again
            outage.now = 10
            outage.cut(2.5)
            raise DatabaseUnavailable()
        return record_finished(*args)

    store.finished = finished
    tasks.run(task.id)
    assert outage.delays == [0.5, 1, 1.5, 0.5, 1, 1.5]
    assert tasks.get(task.id).state == "SUCCESS"


class Ticking:
    """A clock that moves one second on at each reading."""

    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


def clocked(store, method, clock, seen):
    """Note the clock each time the store's method is called."""
    record = getattr(store, method)

    def call(*args):
        seen.append(clock())
        return record(*args)

    setattr(store, method, call)


def test_a_load_starts_before_its_first_chunk_and_finishes_after_its_last(db):
    clock = Ticking()
    tasks = make_tasks(db, clock=clock)
    task = tasks.submit_all()
    chunks = []
    clocked(tasks.store, "progress", clock, chunks)
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert len(chunks) == 3
    assert done.created_at < done.started_at < chunks[0]
    assert chunks[-1] < done.finished_at


def test_a_split_load_finishes_when_its_last_part_ends(db):
    clock = Ticking()
    data = b"".join(b"%d,Job %d\n" % (i, i) for i in range(1, 301))
    tasks = make_tasks(db, {"jobs.csv": data}, clock=clock, part_bytes=1000)
    task = tasks.submit("jobs")
    tasks.run(task.id)
    started = tasks.get(task.id).started_at
    chunks = []
    clocked(tasks.store, "part_progress", clock, chunks)
    for part in reversed(tasks.store.parts(task.id)):
        tasks.run(task.id, part.part)
    done = tasks.get(task.id)
    assert done.state == "SUCCESS"
    assert done.started_at == started < chunks[0]
    assert chunks[-1] < done.finished_at


def outage_clock(outage):
    """The wall clock of a fake outage's time."""
    return lambda: NOW + timedelta(seconds=outage.now)


def test_a_load_is_finished_when_it_ended_not_when_its_result_could_be_written(db):
    outage = DatabaseOutage()
    tasks = tasks_with_outage(db, outage)
    tasks.clock = outage_clock(outage)
    task = tasks.submit("departments")
    store = tasks.store._target
    record_finished = store.finished

    def finished(*args):
        if outage.back_at is None:
            outage.now += 4  # the result is written 4 s after the load ended...
            outage.cut(10)
            raise DatabaseUnavailable()
        return record_finished(*args)

    store.finished = finished
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert done.state == "SUCCESS"
    assert outage.now > 14  # ...and 10 s more
    assert done.finished_at == NOW


def test_a_load_that_waited_too_long_for_its_database_failed_when_it_gave_up(db):
    outage = DatabaseOutage()
    tasks = tasks_with_outage(db, outage, retry_seconds=7)
    tasks.clock = outage_clock(outage)
    task = tasks.submit_all()
    cut_after_first_progress(tasks, outage, 20)
    tasks.run(task.id)
    failed = tasks.get(task.id)
    assert failed.state == "FAILURE"
    assert outage.now >= 20  # written once the database was back...
    assert failed.finished_at == NOW + timedelta(seconds=7)  # ...as of when the run gave up


def test_a_load_of_all_tables_reads_the_bytes_of_all_its_files(db):
    tasks = make_tasks(db)
    task = tasks.submit_all()
    sizes = [len(FILES[name]) for name in ("departments.csv", "jobs.csv", "hired_employees.csv")]
    assert (task.bytes_read, task.bytes_total) == (0, sum(sizes))
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert tasks.store.bytes_seen == [sizes[0], sizes[0] + sizes[1], sum(sizes)]
    assert (done.bytes_read, done.bytes_total) == (sum(sizes), sum(sizes))


def test_a_file_changed_since_its_load_was_submitted_is_measured_as_its_load_starts(db):
    tasks = make_tasks(db)
    task = tasks.submit("jobs")
    tasks.source.files["jobs.csv"] = b"1,Clerk\n2,Welder\n"
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert (done.rows_read, done.bytes_read, done.bytes_total) == (2, 17, 17)


def test_a_split_load_reads_the_bytes_of_its_parts(db):
    data = b"".join(b"%d,Job %d\n" % (i, i) for i in range(1, 301))
    tasks = make_tasks(db, {"jobs.csv": data}, part_bytes=1000)
    task = tasks.submit("jobs")
    tasks.run(task.id)
    parts = tasks.store.parts(task.id)
    assert [p.bytes_total for p in parts] == [
        (p.end if p.end is not None else len(data)) - p.start for p in parts
    ]
    assert tasks.get(task.id).bytes_total == len(data)
    read = 0
    for part in parts:
        tasks.run(task.id, part.part)
        read += part.bytes_total
        assert tasks.get(task.id).bytes_read == read
    done = tasks.get(task.id)
    assert (done.state, done.bytes_read, done.bytes_total) == ("SUCCESS", len(data), len(data))


def test_a_cancelled_load_records_the_bytes_its_stored_rows_were_read_from(db):
    tasks = make_tasks(db)
    task = tasks.submit_all()
    record_progress = tasks.store.progress

    def cancelled_meanwhile(task_id, read, total, owner, expires):
        tasks.cancel(task_id)  # as the departments are stored: this write is refused
        return record_progress(task_id, read, total, owner, expires)

    tasks.store.progress = cancelled_meanwhile
    tasks.run(task.id)
    done = tasks.get(task.id)
    assert (done.state, done.rows_read, done.bytes_read) == (
        "CANCELLED",
        1,
        len(FILES["departments.csv"]),
    )


def test_a_split_load_cancelled_and_retried_counts_the_bytes_of_the_parts_that_succeeded(db):
    data = b"".join(b"%d,Job %d\n" % (i, i) for i in range(1, 301))
    tasks = make_tasks(db, {"jobs.csv": data}, part_bytes=1000)
    task = tasks.submit("jobs")
    tasks.run(task.id)
    parts = tasks.store.parts(task.id)
    tasks.run(task.id, 0)
    record_progress = tasks.store.part_progress

    def cancelled_meanwhile(task_id, part, read, owner, expires):
        tasks.cancel(task_id)
        return record_progress(task_id, part, read, owner, expires)

    tasks.store.part_progress = cancelled_meanwhile
    tasks.run(task.id, 1)
    tasks.store.part_progress = record_progress
    cancelled = tasks.get(task.id)
    assert cancelled.bytes_read == parts[0].bytes_total + parts[1].bytes_total
    tasks.retry(task.id)
    assert tasks.get(task.id).bytes_read == parts[0].bytes_total
    tasks.run(task.id)
    for part in parts[1:]:
        tasks.run(task.id, part.part)
    done = tasks.get(task.id)
    assert (done.state, done.bytes_read, done.bytes_total) == ("SUCCESS", len(data), len(data))


def test_a_split_load_cancelled_as_its_last_part_ended_and_retried_finishes_at_once(db):
    clock = Ticking()
    data = b"".join(b"%d,Job %d\n" % (i, i) for i in range(1, 301))
    tasks = make_tasks(db, {"jobs.csv": data}, clock=clock, part_bytes=1000)
    task = tasks.submit("jobs")
    tasks.run(task.id)
    parts = tasks.store.parts(task.id)
    record_finished = tasks.store.finished

    def cancelled_first(task_id, at, result, owner):
        tasks.cancel(task_id)
        return record_finished(task_id, at, result, owner)

    tasks.store.finished = cancelled_first
    for part in parts:
        tasks.run(task.id, part.part)
    tasks.store.finished = record_finished
    cancelled = tasks.get(task.id)
    assert (cancelled.state, cancelled.result["processed"]) == ("CANCELLED", 300)
    assert {p.state for p in tasks.store.parts(task.id)} == {"SUCCESS"}
    tasks.queue.queued.clear()
    tasks.retry(task.id)
    tasks.run(task.id)  # every part is done: nothing to queue, the task ends now
    done = tasks.get(task.id)
    assert tasks.queue.queued == [task.id]
    assert (done.state, done.result["processed"], done.rows_read) == ("SUCCESS", 300, 300)
    assert (done.bytes_read, done.lease_owner) == (len(data), None)
    assert done.started_at < done.finished_at

import io
from datetime import UTC, datetime

import pytest

from core.errors import NotFound, SourceFileNotFound
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


def make_tasks(db, files=FILES):
    return LoadTasks(
        lambda: FakeUnitOfWork(db),
        FakeTaskStore(),
        FakeSource(files),
        FakeQueue(),
        clock=lambda: NOW,
    )


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
    tasks.store.tasks[task.id].state = "STARTED"  # as left by a worker killed mid-load
    tasks.run(task.id)
    assert len(db.rejections) == 1
    assert tasks.get(task.id).result["already_exists"] == 1


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


def test_tasks_of_a_stopped_runner_are_claimed_and_queued_again(db):
    tasks = make_tasks(db)
    tasks.queue.gone_runners = ("in-process:host:1",)
    orphan = tasks.submit("departments")
    alive = tasks.submit("jobs")
    done = tasks.submit("hired_employees")
    tasks.store.tasks[orphan.id].runner = "in-process:host:1"
    tasks.store.tasks[orphan.id].state = "STARTED"
    tasks.store.tasks[alive.id].runner = "in-process:host:2"
    tasks.store.tasks[done.id].runner = "in-process:host:1"
    tasks.store.tasks[done.id].state = "SUCCESS"
    tasks.queue.queued.clear()
    assert tasks.resume_orphans() == [orphan.id]
    assert tasks.queue.queued == [orphan.id]
    assert tasks.get(orphan.id).runner == "fake:1"
    assert tasks.get(alive.id).runner == "in-process:host:2"
    assert tasks.resume_orphans() == []  # claimed once only


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

"""The SQL task store's leases on SQLite and PostgreSQL: every change is one conditional
update, so processes trying at once never both get a task."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from core.ports import Lease, PartRecord, Progress, TaskRecord
from infra.db.task_store import SqlTaskStore

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
LATER = NOW + timedelta(seconds=60)


@pytest.fixture
def store(engine):
    return SqlTaskStore(engine)


def new_task(store, task_id="t1", owner=None, expires=None):
    store.create(
        TaskRecord(
            task_id, "jobs", "jobs.csv", created_at=NOW, lease_owner=owner, lease_expires_at=expires
        )
    )


def test_of_many_runs_claiming_a_task_at_once_exactly_one_gets_it(store):
    new_task(store)
    results: list[int | None] = []
    barrier = threading.Barrier(8)

    def claim(n):
        barrier.wait()
        results.append(store.claim("t1", None, f"run-{n}", "queue", NOW, LATER, 3))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [1] + [None] * 7
    task = store.get("t1")
    assert (task.state, task.attempts, task.started_at) == ("STARTED", 1, NOW)
    assert task.lease_owner.startswith("run-")
    assert task.lease_expires_at == LATER


def test_a_lease_is_renewed_by_its_holder_only_and_taken_over_once_it_ran_out(store):
    new_task(store, owner="queue", expires=LATER)
    assert store.claim("t1", None, "other", "not-the-queue", NOW, LATER, 3) is None
    assert store.claim("t1", None, "run", "queue", NOW, LATER, 3) == 1
    assert not store.renew("t1", None, "other", LATER + timedelta(1))
    assert store.renew("t1", None, "run", LATER + timedelta(seconds=1))
    assert store.expired(LATER) == []
    after = LATER + timedelta(seconds=2)
    [lease] = store.expired(after)
    assert lease == Lease("t1", None, "run", LATER + timedelta(seconds=1), 1)
    assert store.take_over(lease, "rescuer", after, after + timedelta(seconds=60))
    assert not store.take_over(lease, "second-rescuer", after, after)
    assert store.get("t1").lease_owner == "rescuer"
    assert not store.progress("t1", Progress(10, 100), 1000, "run", after)  # the first run lost it
    assert store.claim("t1", None, "run-2", "rescuer", after, after, 3) == 2


def test_a_task_handed_to_the_broker_is_held_by_nobody(store):
    new_task(store, owner="worker", expires=NOW)
    [lease] = store.expired(LATER)
    assert store.take_over(lease, None, LATER, None)
    task = store.get("t1")
    assert (task.lease_owner, task.lease_expires_at) == (None, None)
    assert store.expired(LATER + timedelta(days=1)) == []
    assert store.claim("t1", None, "run", "any", LATER, LATER, 3) == 1


def test_a_process_renews_everything_it_holds_at_once(store):
    new_task(store, "t1", owner="proc", expires=NOW)
    new_task(store, "t2", owner="proc", expires=NOW)
    new_task(store, "t3", owner="other", expires=NOW)
    store.add_parts([PartRecord("t3", 0, 0, None, 1, lease_owner="proc", lease_expires_at=NOW)])
    store.renew_held("proc", LATER)
    assert [(x.task_id, x.part) for x in store.expired(NOW + timedelta(seconds=1))] == [
        ("t3", None)
    ]


def test_parts_hold_their_own_leases_and_the_last_one_finishes_the_task(store):
    new_task(store)
    assert store.claim("t1", None, "split", "queue", NOW, LATER, 3) == 1
    store.add_parts([PartRecord("t1", n, n * 10, n * 10 + 10, n + 1) for n in range(2)])
    store.release("t1", None, "split")
    assert store.get("t1").lease_owner is None
    assert store.claim("t1", 0, "run-0", "queue", NOW, LATER, 3) == 1
    assert store.claim("t1", 0, "run-x", "queue", NOW, LATER, 3) is None
    assert store.claim("t1", 1, "run-1", "queue", NOW, LATER, 3) == 1
    assert store.part_progress("t1", 0, Progress(5, 50), "run-0", LATER)
    assert not store.part_progress("t1", 1, Progress(5, 50), "run-0", LATER)
    assert store.get("t1").rows_read == 5
    result = {"processed": 7}
    assert store.finish_part("t1", 0, result, "run-x") is None
    parts = store.finish_part("t1", 0, result, "run-0")
    assert [p.state for p in parts] == ["SUCCESS", "STARTED"]
    assert [p.state for p in store.finish_part("t1", 1, result, "run-1")] == ["SUCCESS"] * 2
    assert store.finished("t1", LATER, {"parts": 2}, None)
    assert store.get("t1").state == "SUCCESS"


def test_a_failing_part_fails_its_task_and_the_parts_still_running(store):
    new_task(store)
    store.claim("t1", None, "split", "queue", NOW, LATER, 3)
    store.add_parts([PartRecord("t1", n, n, n + 1, n + 1) for n in range(3)])
    store.release("t1", None, "split")
    for n in range(3):
        store.claim("t1", n, f"run-{n}", "queue", NOW, LATER, 3)
    store.finish_part("t1", 0, {"processed": 1}, "run-0")
    assert not store.failed("t1", LATER, "boom", "run-2", 1)  # run-2 does not hold part 1
    assert store.failed("t1", LATER, "boom", "run-1", 1)
    task = store.get("t1")
    assert (task.state, task.error, task.finished_at) == ("FAILURE", "boom", LATER)
    assert [p.state for p in store.parts("t1")] == ["SUCCESS", "FAILURE", "FAILURE"]
    assert not store.part_progress("t1", 2, Progress(1, 10), "run-2", LATER)
    assert not store.failed("t1", LATER, "again")


def test_a_task_started_as_many_times_as_the_limit_is_not_claimed_again(store):
    new_task(store)
    for attempt in (1, 2, 3):
        later = NOW + timedelta(minutes=attempt * 2)
        assert store.claim("t1", None, f"run-{attempt}", "q", later, later, 3) == attempt
    end = NOW + timedelta(hours=1)
    assert store.claim("t1", None, "run-4", "q", end, end, 3) is None
    [lease] = store.expired(end)
    assert (lease.owner, lease.attempts) == ("run-3", 3)


def combined(parts):
    results = [p.result for p in parts if p.result is not None]
    return {"processed": sum(r["processed"] for r in results)} if results else None


def test_a_cancelled_run_records_what_it_stored_under_its_lease_only(store):
    new_task(store)
    store.claim("t1", None, "run", "q", NOW, LATER, 3)
    assert store.cancel("t1", LATER, combined)
    assert not store.cancel("t1", LATER, combined)
    task = store.get("t1")
    assert (task.state, task.finished_at, task.result, task.lease_owner) == (
        "CANCELLED",
        LATER,
        None,
        "run",
    )
    assert not store.progress("t1", Progress(5, 50), 500, "run", LATER)
    assert not store.renew("t1", None, "run", LATER)
    assert store.expired(LATER + timedelta(days=1)) == []
    assert not store.stopped("t1", {"processed": 5}, Progress(5, 50), "other")
    assert store.stopped("t1", {"processed": 5}, Progress(5, 50), "run")
    task = store.get("t1")
    assert (task.result, task.rows_read, task.bytes_read, task.lease_owner) == (
        {"processed": 5},
        5,
        50,
        None,
    )
    assert task.lease_expires_at is None


def test_a_cancelled_split_task_adds_up_its_parts_results(store):
    new_task(store)
    store.claim("t1", None, "split", "q", NOW, LATER, 3)
    store.add_parts([PartRecord("t1", n, n, n + 1, n + 1) for n in range(3)])
    store.release("t1", None, "split")
    for n in range(3):
        store.claim("t1", n, f"run-{n}", "q", NOW, LATER, 3)
    store.finish_part("t1", 0, {"processed": 10}, "run-0")
    assert store.cancel("t1", LATER, combined)
    assert store.get("t1").result == {"processed": 10}
    assert [p.state for p in store.parts("t1")] == ["SUCCESS", "CANCELLED", "CANCELLED"]
    assert not store.part_stopped("t1", 1, {"processed": 4}, Progress(4, 40), "run-2", combined)
    assert store.part_stopped("t1", 1, {"processed": 4}, Progress(4, 40), "run-1", combined)
    assert (store.get("t1").result, store.get("t1").rows_read) == ({"processed": 14}, 14)
    assert store.get("t1").bytes_read == 40  # part 0 finished without a progress write here
    assert store.get("t1").state == "CANCELLED"


def test_a_retried_task_is_pending_again_with_its_unfinished_parts(store):
    new_task(store)
    store.claim("t1", None, "split", "q", NOW, LATER, 3)
    store.add_parts([PartRecord("t1", n, n, n + 1, n + 1) for n in range(2)])
    store.release("t1", None, "split")
    store.claim("t1", 0, "run-0", "q", NOW, LATER, 3)
    store.claim("t1", 1, "run-1", "q", NOW, LATER, 3)
    store.finish_part("t1", 0, {"processed": 10}, "run-0")
    store.part_progress("t1", 1, Progress(3, 30), "run-1", LATER)
    assert not store.retry("t1", "proc", LATER)  # still running
    store.failed("t1", LATER, "boom")
    assert store.retry("t1", "proc", LATER)
    assert not store.retry("t1", "proc", LATER)
    task = store.get("t1")
    assert (task.state, task.attempts, task.error, task.result, task.finished_at) == (
        "PENDING",
        0,
        None,
        None,
        None,
    )
    assert (task.lease_owner, task.lease_expires_at, task.rows_read) == ("proc", LATER, 10)
    parts = store.parts("t1")
    assert [(p.state, p.attempts, p.rows_read, p.lease_owner) for p in parts] == [
        ("SUCCESS", 1, 10, None),
        ("PENDING", 0, 0, None),
    ]


def test_a_task_deleted_goes_with_its_parts(store):
    new_task(store, "t1")
    new_task(store, "t2")
    store.add_parts([PartRecord("t1", 0, 0, None, 1), PartRecord("t2", 0, 0, None, 1)])
    store.delete("t1")
    assert store.get("t1") is None
    assert store.parts("t1") == []
    assert store.get("t2") is not None
    assert len(store.parts("t2")) == 1


def test_a_task_records_its_bytes_read_of_its_files_size(store):
    store.create(TaskRecord("t1", "all", "a.csv,b.csv", created_at=NOW, bytes_total=900))
    task = store.get("t1")
    assert (task.rows_read, task.bytes_read, task.bytes_total) == (0, 0, 900)
    assert store.claim("t1", None, "run", "q", NOW, LATER, 3) == 1
    assert store.progress("t1", Progress(7, 420), 1000, "run", LATER)  # measured anew
    task = store.get("t1")
    assert (task.rows_read, task.bytes_read, task.bytes_total) == (7, 420, 1000)
    assert store.finished("t1", LATER, {"processed": 7}, "run")
    assert (store.get("t1").bytes_read, store.get("t1").finished_at) == (420, LATER)


def test_a_task_taken_over_is_read_again_from_the_start_as_of_its_new_start(store):
    new_task(store)
    store.claim("t1", None, "run", "q", NOW, LATER, 3)
    store.progress("t1", Progress(7, 420), 1000, "run", LATER)
    after = LATER + timedelta(seconds=1)
    [lease] = store.expired(after)
    store.take_over(lease, "rescuer", after, after + timedelta(seconds=60))
    assert store.claim("t1", None, "run-2", "rescuer", after, after, 3) == 2
    task = store.get("t1")
    assert (task.rows_read, task.bytes_read, task.bytes_total, task.started_at) == (
        0,
        0,
        1000,
        after,
    )


def test_a_split_task_adds_up_its_parts_bytes_and_keeps_its_start(store):
    new_task(store)
    store.claim("t1", None, "split", "q", NOW, LATER, 3)
    store.add_parts(
        [PartRecord("t1", n, n * 100, n * 100 + 100, n + 1, bytes_total=100) for n in range(3)]
    )
    store.release("t1", None, "split")
    assert store.get("t1").bytes_total == 300
    assert [p.bytes_total for p in store.parts("t1")] == [100, 100, 100]
    later = NOW + timedelta(seconds=5)
    assert store.claim("t1", None, "again", "q", later, LATER, 3) == 2  # delivered again
    assert store.get("t1").started_at == NOW
    store.release("t1", None, "again")
    for n in range(3):
        store.claim("t1", n, f"run-{n}", "q", NOW, LATER, 3)
    assert store.part_progress("t1", 0, Progress(4, 100), "run-0", LATER)
    assert store.part_progress("t1", 1, Progress(2, 60), "run-1", LATER)
    task = store.get("t1")
    assert (task.rows_read, task.bytes_read) == (6, 160)
    store.finish_part("t1", 0, {"processed": 4}, "run-0")
    after = LATER + timedelta(seconds=1)
    lease = next(x for x in store.expired(after) if x.part == 1)  # its run stopped
    assert lease.owner == "run-1"
    store.take_over(lease, "rescuer", after, after + timedelta(seconds=60))
    assert store.claim("t1", 1, "run-1b", "rescuer", after, after, 3) == 2
    part = store.parts("t1")[1]
    assert (part.rows_read, part.bytes_read) == (0, 0)  # read again from its start
    task = store.get("t1")
    assert (task.rows_read, task.bytes_read) == (4, 100)
    assert store.part_progress("t1", 1, Progress(1, 30), "run-1b", after)
    assert store.get("t1").bytes_read == 130
    store.failed("t1", after, "boom")
    assert store.retry("t1", None, None)
    task = store.get("t1")
    assert (task.rows_read, task.bytes_read, task.started_at) == (4, 100, None)
    assert [p.bytes_read for p in store.parts("t1")] == [100, 0, 0]

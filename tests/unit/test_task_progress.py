from datetime import UTC, datetime, timedelta

import pytest

from core.ports import TaskRecord
from core.task_progress import TaskProgress, progress_of
from tests.unit.fakes import FakeDatabase, FakeTaskStore
from tests.unit.test_tasks import Clock, make_tasks

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def task(state="STARTED", rows=0, read=0, total=None, started=0.0, finished=None):
    return TaskRecord(
        "t1",
        "jobs",
        "jobs.csv",
        state=state,
        rows_read=rows,
        bytes_read=read,
        bytes_total=total,
        created_at=START,
        started_at=None if started is None else START + timedelta(seconds=started),
        finished_at=None if finished is None else START + timedelta(seconds=finished),
    )


def at(seconds):
    return START + timedelta(seconds=seconds)


def test_a_running_load_tells_its_share_read_its_pace_and_the_time_left():
    assert progress_of(task(rows=1000, read=250, total=1000), at(10)) == TaskProgress(
        rows_read=1000,
        bytes_read=250,
        bytes_total=1000,
        percent=25.0,
        rows_per_second=100.0,
        eta_seconds=30.0,
    )


def test_a_queued_load_has_read_nothing_and_has_no_pace():
    queued = progress_of(task("PENDING", total=1000, started=None), at(10))
    assert (queued.percent, queued.rows_per_second, queued.eta_seconds) == (0.0, None, None)
    unknown = progress_of(task("PENDING", started=None), at(10))
    assert (unknown.bytes_total, unknown.percent, unknown.eta_seconds) == (None, None, None)


def test_a_load_that_started_but_stored_no_chunk_yet_has_no_time_left_to_tell():
    started = progress_of(task(total=1000), at(3))
    assert (started.percent, started.rows_per_second, started.eta_seconds) == (0.0, 0.0, None)


@pytest.mark.parametrize(
    ("read", "total", "percent"),
    [(999, 1000, 99.9), (9_999, 10_000, 99.99), (99_999, 100_000, 99.99), (1, 3, 33.33)],
)
def test_the_share_read_is_rounded_down_so_that_only_a_whole_read_is_100(read, total, percent):
    assert progress_of(task(rows=1, read=read, total=total), at(1)).percent == percent


def test_a_load_that_succeeded_is_100_percent_done_at_the_pace_it_had_to_its_end():
    done = progress_of(task("SUCCESS", rows=500, read=800, total=800, finished=4), at(1000))
    assert (done.percent, done.rows_per_second, done.eta_seconds) == (100.0, 125.0, 0.0)
    empty = progress_of(task("SUCCESS", total=0, finished=1), at(2))
    assert (empty.percent, empty.bytes_read, empty.eta_seconds) == (100.0, 0, 0.0)


def test_a_load_stopped_part_way_keeps_its_share_and_has_no_time_left():
    cancelled = progress_of(task("CANCELLED", rows=40, read=400, total=1000, finished=2), at(60))
    assert (cancelled.percent, cancelled.rows_per_second, cancelled.eta_seconds) == (
        40.0,
        20.0,
        0.0,
    )
    never_run = progress_of(task("CANCELLED", total=1000, started=None, finished=1), at(2))
    assert (never_run.percent, never_run.rows_per_second, never_run.eta_seconds) == (
        0.0,
        None,
        0.0,
    )


def test_a_start_that_another_clock_put_after_now_gives_no_pace():
    ahead = progress_of(task(rows=10, read=10, total=100, started=5), at(4))
    assert (ahead.rows_per_second, ahead.eta_seconds) == (None, None)


def test_the_load_tasks_tell_the_progress_of_a_split_load_as_its_parts_end():
    clock = Clock(START)
    data = b"".join(b"%d,Job %d\n" % (i, i) for i in range(1, 301))
    tasks = make_tasks(FakeDatabase(), {"jobs.csv": data}, clock=clock, part_bytes=1000)
    submitted = tasks.submit("jobs")
    assert tasks.progress(submitted).percent == 0.0
    tasks.run(submitted.id)
    parts = tasks.store.parts(submitted.id)
    clock.advance(10)
    tasks.run(submitted.id, 0)
    running = tasks.progress(tasks.get(submitted.id))
    share = parts[0].bytes_total / len(data)
    assert running.percent == int(10_000 * share) / 100
    assert running.rows_per_second == round((parts[1].first_line - 1) / 10, 1)
    assert running.eta_seconds == round(
        10 * (len(data) - parts[0].bytes_total) / parts[0].bytes_total, 1
    )
    for part in parts[1:]:
        tasks.run(submitted.id, part.part)
    clock.advance(20)
    done = tasks.progress(tasks.get(submitted.id))
    assert (done.rows_read, done.bytes_read, done.bytes_total) == (300, len(data), len(data))
    assert (done.percent, done.rows_per_second, done.eta_seconds) == (100.0, 30.0, 0.0)


def test_the_load_tasks_list_a_page_of_tasks_newest_first():
    clock = Clock(START)
    tasks = make_tasks(FakeDatabase(), store=FakeTaskStore(), clock=clock)
    made = []
    for _ in range(3):
        made.append(tasks.submit("jobs").id)
        clock.advance(1)
    items, total = tasks.page(1, 2)
    assert ([t.id for t in items], total) == ([made[2], made[1]], 3)
    items, total = tasks.page(2, 2)
    assert ([t.id for t in items], total) == ([made[0]], 3)

"""The queue of SQLite writers: threads and processes take turns, a fork starts afresh."""

import multiprocessing
import threading
from pathlib import Path

import pytest

from core.errors import DatabaseUnavailable
from infra.db.engine import make_engine
from infra.db.migrate import upgrade
from infra.db.sqlite_writers import LOCK_FILE_SUFFIX, WriterQueue, writer_queue
from infra.db.unit_of_work import SqlUnitOfWork

# How long a waiter is watched to see that it still waits; never how long a turn takes.
WATCH = 0.5


def _take_turn_in_thread(queue: WriterQueue) -> tuple[threading.Event, threading.Event]:
    """A thread that takes a turn, says so, and holds it until told to let go."""
    inside, leave = threading.Event(), threading.Event()

    def writer() -> None:
        with queue.turn():
            inside.set()
            leave.wait()

    threading.Thread(target=writer, daemon=True).start()
    return inside, leave


def test_a_thread_waits_for_the_writer_before_it(tmp_path):
    queue = WriterQueue(str(tmp_path / "hr.sqlite3"))
    with queue.turn():
        inside, leave = _take_turn_in_thread(queue)
        assert not inside.wait(WATCH)
    assert inside.wait(10)
    leave.set()


def test_a_thread_may_nest_its_turns(tmp_path):
    queue = WriterQueue(str(tmp_path / "hr.sqlite3"))
    with queue.turn():
        with queue.turn():
            pass
        inside, leave = _take_turn_in_thread(queue)
        assert not inside.wait(WATCH)  # the inner turn's end let no one in
    assert inside.wait(10)
    leave.set()


def _turn_in_child(database: str, inside, leave) -> None:  # type: ignore[no-untyped-def]
    with writer_queue(database).turn():
        inside.set()
        leave.wait(30)


def test_a_process_waits_for_the_writer_of_another(tmp_path):
    database = str(tmp_path / "hr.sqlite3")
    context = multiprocessing.get_context("fork")
    inside, leave = context.Event(), context.Event()
    with writer_queue(database).turn():
        # Forked while this thread holds the turn: the child has a queue of its own, and
        # still waits for this process through the lock file.
        child = context.Process(target=_turn_in_child, args=(database, inside, leave))
        child.start()
        assert not inside.wait(WATCH)
    assert inside.wait(10)
    mine, let_go = _take_turn_in_thread(writer_queue(database))
    assert not mine.wait(WATCH)
    leave.set()
    child.join(10)
    assert child.exitcode == 0
    assert mine.wait(10)
    let_go.set()
    assert Path(database + LOCK_FILE_SUFFIX).exists()


def test_engines_on_one_file_share_its_queue(tmp_path):
    database = str(tmp_path / "hr.sqlite3")
    assert writer_queue(database) is writer_queue(str(tmp_path / "." / "hr.sqlite3"))
    assert writer_queue(database) is not writer_queue(str(tmp_path / "other.sqlite3"))
    assert WriterQueue(":memory:").lock_path is None
    assert WriterQueue("file::memory:?cache=shared").lock_path is None
    assert writer_queue(None) is writer_queue(":memory:") is writer_queue("file::memory:")


def test_a_unit_of_work_on_sqlite_holds_a_turn_until_it_ends(tmp_path):
    database = str(tmp_path / "hr.sqlite3")
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with SqlUnitOfWork(engine) as uow:
        uow.rows.insert("departments", [(1, "Sales")])
        inside, leave = _take_turn_in_thread(writer_queue(database))
        assert not inside.wait(WATCH)
        uow.commit()
        assert not inside.wait(WATCH)  # committed, but the connection is not closed yet
    assert inside.wait(10)
    leave.set()
    with SqlUnitOfWork(engine) as uow:
        assert uow.rows.ids("departments") == {1}
    engine.dispose()


def test_a_unit_of_work_that_cannot_begin_lets_the_next_writer_in(tmp_path):
    database = tmp_path / "hr.sqlite3"
    database.mkdir()  # a folder where the file should be: no connection opens
    engine = make_engine(f"sqlite:///{database}")
    with pytest.raises(DatabaseUnavailable):
        SqlUnitOfWork(engine).__enter__()
    inside, leave = _take_turn_in_thread(writer_queue(str(database)))
    assert inside.wait(10)
    leave.set()
    engine.dispose()


def test_without_a_lock_file_the_threads_of_a_process_still_queue(tmp_path, caplog):
    database = str(tmp_path / "hr.sqlite3")
    Path(database + LOCK_FILE_SUFFIX).mkdir()  # a folder where the lock file should be
    queue = WriterQueue(database)
    with queue.turn():
        inside, leave = _take_turn_in_thread(queue)
        assert not inside.wait(WATCH)
    assert inside.wait(10)
    leave.set()
    assert queue.lock_path is None
    assert f"no lock file for SQLite writers at {database}{LOCK_FILE_SUFFIX}" in caplog.text

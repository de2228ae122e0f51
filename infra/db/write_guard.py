"""Restores and writes never interleave: a restore holds the data tables alone.

Every writing unit of work holds the guard shared for its whole transaction, and a restore
holds it exclusively for its own; so a write happens wholly before a restore or wholly after
it, and the hire counts never mix rows from either side. A writer waits for a running restore
at most `wait` seconds (then RestoreInProgress), a restore for running writes likewise (then
WritesInProgress); a waiting restore lets no new writer pass it.

- PostgreSQL: an advisory lock held by the transaction, shared or exclusive.
- SQL Server: an application lock (sp_getapplock) owned by the transaction.
- SQLite, whose writers already take their turns one at a time: a restore also holds a lock
  file beside the database, so that a writer sees it running and waits for it, bounded,
  rather than queue behind it for as long as it lasts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from sqlalchemy import Connection

from core.errors import RestoreInProgress, WritesInProgress
from infra.db.engine import lost_connection

try:
    import fcntl
except ImportError:  # no flock here: SQLite writers simply queue behind a restore
    fcntl = None  # type: ignore[assignment]

# The advisory lock's key: any number no other application on the database uses ("hr-w").
ADVISORY_KEY = 0x68722D77
APPLOCK_RESOURCE = "hr-data-tables"
RESTORE_LOCK_SUFFIX = "-restore"
_POLL_SECONDS = 0.02


def _too_long(exclusive: bool, wait: float) -> Exception:
    if exclusive:
        return WritesInProgress(
            f"writes to the tables went on for more than {wait:g} s; try the restore again"
        )
    return RestoreInProgress("a restore is replacing the tables; try again when it has finished")


def hold_postgres(connection: Connection, exclusive: bool, wait: float) -> None:
    """Take the advisory lock in the connection's transaction, waiting at most wait s."""
    import psycopg

    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    driver: Any = connection.connection.driver_connection
    statements = (
        f"SET LOCAL lock_timeout = '{max(1, int(wait * 1000))}ms'; "
        f"SELECT {function}({ADVISORY_KEY}); "
        "SET LOCAL lock_timeout = DEFAULT"
    )
    try:
        with lost_connection(driver), driver.cursor() as cursor:
            cursor.execute(statements)
    except psycopg.errors.LockNotAvailable:
        raise _too_long(exclusive, wait) from None


def sql_server_applock(exclusive: bool, wait: float) -> str:
    """The T-SQL that takes the application lock; it returns sp_getapplock's status."""
    mode = "Exclusive" if exclusive else "Shared"
    return (
        "SET NOCOUNT ON; DECLARE @status int; "
        f"EXEC @status = sp_getapplock @Resource = N'{APPLOCK_RESOURCE}', "
        f"@LockMode = N'{mode}', @LockOwner = N'Transaction', "
        f"@LockTimeout = {max(0, int(wait * 1000))}; "
        "SELECT @status"
    )


def hold_sql_server(connection: Connection, exclusive: bool, wait: float) -> None:
    status = connection.exec_driver_sql(sql_server_applock(exclusive, wait)).scalar()
    if status is None or status < 0:
        raise _too_long(exclusive, wait)


class RestoreLock:
    """The lock file of a SQLite database's restores (None where there is no file)."""

    def __init__(self, database: str | None) -> None:
        in_memory = not database or database == ":memory:" or database.startswith("file::")
        self.path = None if in_memory or fcntl is None else f"{database}{RESTORE_LOCK_SUFFIX}"

    @contextmanager
    def hold(self, exclusive: bool, wait: float) -> Iterator[None]:
        """As a restore, hold the file locked; as a writer, wait until no restore holds it."""
        if self.path is None or fcntl is None:
            yield
            return
        with open(self.path, "ab") as file:  # a file of its own: flock is per open file
            if exclusive:
                fcntl.flock(file, fcntl.LOCK_EX)  # only another restore can be ahead
                yield
                return
            _wait_for_no_restore(file, wait)
        yield


def _wait_for_no_restore(file: IO[bytes], wait: float) -> None:
    assert fcntl is not None
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise _too_long(False, wait) from None
            time.sleep(_POLL_SECONDS)
        else:
            fcntl.flock(file, fcntl.LOCK_UN)
            return

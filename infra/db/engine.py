"""Engines for the supported databases, each set up for this service's work."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url

from core.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# An execution option of connections that only read: on SQLite they take no write lock.
READ_ONLY = "hr_read_only"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        options: dict[str, Any] = {"pool_pre_ping": True}
        if parsed.get_backend_name() == "mssql":
            options["fast_executemany"] = True
        engine = create_engine(url, **options)
    event.listen(engine, "handle_error", _unreachable)
    return engine


def _unreachable(context: ExceptionContext) -> None:
    """A database that cannot be reached, or drops a connection, is DatabaseUnavailable.

    The driver's message (host, port, file) goes to the log only. A failed pre-ping is left to
    the pool, which opens a fresh connection instead.
    """
    if context.is_pre_ping:
        return
    connecting = context.connection is None
    if connecting or context.is_disconnect:
        log.warning("database unreachable: %s", context.original_exception)
        raise DatabaseUnavailable() from context.original_exception


@contextmanager
def lost_connection(driver: Any) -> Iterator[None]:
    """Statements sent straight to the driver (COPY, locks) pass no engine hook: an error of
    theirs that leaves the connection broken or closed is DatabaseUnavailable too."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as error:
        if getattr(driver, "broken", False) or getattr(driver, "closed", False):
            log.warning("database connection lost: %s", error)
            raise DatabaseUnavailable() from error
        raise


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at the start, so two writers wait for each other
        # instead of failing with "database is locked" when a reader turns writer. A read
        # begins deferred: it reads a snapshot beside the writer (WAL), never waiting for it.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine

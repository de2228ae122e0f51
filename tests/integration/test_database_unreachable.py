"""A database that cannot be reached is DatabaseUnavailable, never a driver error."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text

from core.errors import DatabaseUnavailable
from infra.db.engine import make_engine
from infra.db.unit_of_work import SqlUnitOfWork


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_postgresql_is_database_unavailable_without_its_address() -> None:
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test")
    with pytest.raises(DatabaseUnavailable) as raised, SqlUnitOfWork(engine):
        pass
    assert str(raised.value) == "the database is unreachable"
    assert raised.value.code == "service_unavailable"
    assert raised.value.retry_after == 5


def test_a_lost_connection_is_database_unavailable(postgres_engine):
    with postgres_engine.connect() as victim, postgres_engine.connect() as killer:
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DatabaseUnavailable):
            victim.execute(text("SELECT 1"))
    with postgres_engine.connect() as fresh:
        assert fresh.execute(text("SELECT 1")).scalar_one() == 1


def test_a_connection_lost_under_a_copy_is_database_unavailable(postgres_engine):
    """COPY goes straight to the driver, past the engine's hook: the same error all the same."""
    # the rollback as the unit of work ends meets the lost connection again
    with pytest.raises(DatabaseUnavailable), SqlUnitOfWork(postgres_engine) as uow:
        pid = uow.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with postgres_engine.connect() as killer:
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DatabaseUnavailable) as raised:
            uow.rows.insert("jobs", [(1, "Clerk"), (2, "Welder")])
    assert type(raised.value.__cause__).__name__ == "AdminShutdown"
    with SqlUnitOfWork(postgres_engine) as uow:
        assert uow.rows.ids("jobs") == set()

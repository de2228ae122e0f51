"""Engines on migrated databases, for the tests of the database adapters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from infra.db.engine import make_engine
from infra.db.migrate import upgrade


def _migrated(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database: SQLite, then PostgreSQL."""
    yield from _migrated(database_url)


@pytest.fixture
def postgres_engine(postgres_database: str) -> Iterator[Engine]:
    """A migrated, empty PostgreSQL database."""
    yield from _migrated(postgres_database)

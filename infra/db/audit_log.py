"""The audit trail in the SQL database: rows written in a unit of work's transaction, or in
their own; read newest first."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from core.ports import AuditEntry, AuditFilter
from infra.db.engine import READ_ONLY
from infra.db.schema import audit_log
from infra.db.values import from_db, storable, to_db

# What each text column holds at most.
_LIMITS = {"key_name": 255, "role": 32, "action": 32, "route": 1024, "target": 255}
_REQUEST_ID = 128


def audit_values(entry: AuditEntry) -> dict[str, Any]:
    """The row of an entry: texts made storable and cut to their columns."""
    texts = {
        name: None if value is None else storable(value)[:limit]
        for name, limit in _LIMITS.items()
        for value in (getattr(entry, name),)
    }
    return {
        **texts,
        "at": to_db(entry.at),
        "request_id": None if entry.request_id is None else entry.request_id[:_REQUEST_ID],
        "outcome": entry.outcome,
        "rows": None if entry.rows is None else json.dumps(entry.rows, sort_keys=True),
    }


def write(connection: Connection, entry: AuditEntry) -> None:
    connection.execute(insert(audit_log).values(audit_values(entry)))


class SqlAuditRepository:
    """The audit rows of a unit of work, in its transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, entry: AuditEntry) -> None:
        write(self.connection, entry)


class SqlAuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, entry: AuditEntry) -> None:
        with self.engine.begin() as conn:
            write(conn, entry)

    def page(self, where: AuditFilter, page: int, per_page: int) -> tuple[list[AuditEntry], int]:
        a = audit_log
        conditions = []
        if where.action is not None:
            conditions.append(a.c.action == where.action)
        if where.key_name is not None:
            conditions.append(a.c.key_name == where.key_name)
        if where.since is not None:
            conditions.append(a.c.at >= to_db(where.since))
        if where.until is not None:
            conditions.append(a.c.at < to_db(where.until))
        query = (
            select(a)
            .where(*conditions)
            .order_by(a.c.at.desc(), a.c.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        count = select(func.count()).select_from(a).where(*conditions)
        with self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                total = conn.scalar(count) or 0
                rows = conn.execute(query).all()
        return [_entry(r) for r in rows], total


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=from_db(row.at),
        key_name=row.key_name,
        role=row.role,
        action=row.action,
        route=row.route,
        target=row.target,
        request_id=row.request_id,
        outcome=row.outcome,
        rows=None if row.rows is None else json.loads(row.rows),
    )

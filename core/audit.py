"""The audit trail: every write, and every read of personal data, as a row.

An entry point hands a use case an Audit: who asks (the API key's name and role, none when no
keys are configured), the request's id and route, and the status the request is answered
with when the use case succeeds. The use case writes the row in the transaction of the
change it records (a batch's rows, a task record, a restore), or, for a read, after the
read: a read whose row cannot be written is not answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.errors import Unavailable
from core.ports import AuditEntry, AuditFilter, AuditLog


class Action(StrEnum):
    BATCH = "batch"
    UPLOAD = "upload"  # a file sent with the request, stored in the source and loaded
    LOAD = "load"  # a load of files already in the source
    BACKUP = "backup"
    RESTORE = "restore"
    CANCEL = "cancel"
    RETRY = "retry"
    LIST_ROWS = "list_rows"
    LIST_REJECTIONS = "list_rejections"
    READ_AUDIT = "read_audit"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """Who sends a request: the name and role of its API key (None without keys)."""

    key_name: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class Audit:
    """The request a use case runs for, as its audit row names it."""

    actor: Actor
    route: str  # method and path, with the query
    request_id: str | None = None
    outcome: int = 200  # the status answered when the use case succeeds

    def entry(
        self,
        action: Action,
        target: str | None,
        rows: Mapping[str, Any] | None = None,
        at: datetime | None = None,
        outcome: int | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            at=at or _now(),
            action=action.value,
            route=self.route,
            outcome=self.outcome if outcome is None else outcome,
            key_name=self.actor.key_name,
            role=self.actor.role,
            target=target,
            request_id=self.request_id,
            rows=None if rows is None else dict(rows),
        )


def withdrawn(entry: AuditEntry, error: BaseException) -> AuditEntry:
    """The row of a change undone after its row was written (a load task that could not be
    queued): the same target, with the status the request is answered with instead."""
    return replace(entry, at=_now(), outcome=503 if isinstance(error, Unavailable) else 500)


@dataclass
class AuditTrail:
    log: AuditLog
    clock: Callable[[], datetime] = field(default=_now)

    def record(
        self,
        audit: Audit,
        action: Action,
        target: str | None,
        rows: Mapping[str, Any] | None = None,
        outcome: int | None = None,
    ) -> None:
        """Write the row of a request that changed nothing: a read, or a refusal."""
        self.log.add(audit.entry(action, target, rows, self.clock(), outcome))

    def page(
        self, where: AuditFilter, page: int, per_page: int, audit: Audit | None = None
    ) -> tuple[list[AuditEntry], int]:
        """Entries newest first; the read is itself audited."""
        items, total = self.log.page(where, page, per_page)
        if audit is not None:
            self.record(audit, Action.READ_AUDIT, None, {"returned": len(items)})
        return items, total

"""Stored rows and rejections, page by page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.audit import Action, Audit
from core.ports import AuditLog, ReadModel, RejectionFilter
from domain.tables import table_spec

Page = tuple[list[dict[str, Any]], int]  # the items of the page, and how many there are in all


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Listings:
    """Listings of personal data: each read is audited once it is done (a read whose audit
    row cannot be written fails)."""

    read_model: ReadModel
    audit_log: AuditLog | None = None
    clock: Callable[[], datetime] = field(default=_now)

    def rows(self, table: str, page: int, per_page: int, audit: Audit | None = None) -> Page:
        spec = table_spec(table)
        found = self.read_model.rows(spec.name, page, per_page)
        self._audit(audit, Action.LIST_ROWS, spec.name, found)
        return found

    def rejections(
        self,
        page: int,
        per_page: int,
        table: str | None = None,
        task_id: str | None = None,
        batch_id: str | None = None,
        audit: Audit | None = None,
    ) -> Page:
        where = RejectionFilter(table, task_id, batch_id)
        found = self.read_model.rejections(where, page, per_page)
        self._audit(audit, Action.LIST_REJECTIONS, batch_id or task_id or table, found)
        return found

    def _audit(self, audit: Audit | None, action: Action, target: str | None, found: Page) -> None:
        if audit is not None and self.audit_log is not None:
            rows = {"returned": len(found[0])}
            self.audit_log.add(audit.entry(action, target, rows, self.clock()))

    def rejection_counts(self) -> list[tuple[str, str, int]]:
        """(table, reason, count) of every rejected row there is, by table and reason."""
        return self.read_model.rejection_counts()

    def latest_rejections(self, limit: int = 10) -> list[dict[str, Any]]:
        """The limit rows rejected last, newest first."""
        return self.read_model.latest_rejections(limit)

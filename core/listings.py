"""Stored rows and rejections, page by page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.ports import ReadModel, RejectionFilter
from domain.tables import table_spec

Page = tuple[list[dict[str, Any]], int]  # the items of the page, and how many there are in all


@dataclass
class Listings:
    read_model: ReadModel

    def rows(self, table: str, page: int, per_page: int) -> Page:
        return self.read_model.rows(table_spec(table).name, page, per_page)

    def rejections(
        self,
        page: int,
        per_page: int,
        table: str | None = None,
        task_id: str | None = None,
        batch_id: str | None = None,
    ) -> Page:
        where = RejectionFilter(table, task_id, batch_id)
        return self.read_model.rejections(where, page, per_page)

    def rejection_counts(self) -> list[tuple[str, str, int]]:
        """(table, reason, count) of every rejected row there is, by table and reason."""
        return self.read_model.rejection_counts()

    def latest_rejections(self, limit: int = 10) -> list[dict[str, Any]]:
        """The limit rows rejected last, newest first."""
        return self.read_model.latest_rejections(limit)

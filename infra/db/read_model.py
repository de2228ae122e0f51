"""Plain listings of stored rows and rejections, paginated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, func, select, text

from core.ports import RejectionFilter
from infra.db.schema import data_table, rejections
from infra.db.values import from_db


class SqlReadModel:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def rows(self, table: str, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
        t = data_table(table)
        return self._page(select(t).order_by(t.c.id), page, per_page)

    def rejections(
        self, where: RejectionFilter, page: int, per_page: int
    ) -> tuple[list[dict[str, Any]], int]:
        r = rejections
        query = select(
            r.c.id,
            r.c.table_name.label("table"),
            r.c.task_id,
            r.c.batch_id,
            r.c.line,
            r.c.position.label("index"),
            r.c.record_id,
            r.c.field,
            r.c.reason,
            r.c.message,
            r.c.raw,
            r.c.created_at,
        ).order_by(r.c.id)
        for column, value in (
            (r.c.table_name, where.table),
            (r.c.task_id, where.task_id),
            (r.c.batch_id, where.batch_id),
        ):
            if value is not None:
                query = query.where(column == value)
        return self._page(query, page, per_page)

    def check(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def _page(
        self, query: Select[Any], page: int, per_page: int
    ) -> tuple[list[dict[str, Any]], int]:
        count = select(func.count()).select_from(query.order_by(None).subquery())
        with self.engine.begin() as conn:
            total = conn.scalar(count) or 0
            rows = conn.execute(query.limit(per_page).offset((page - 1) * per_page)).mappings()
            items = [{k: from_db(v) for k, v in row.items()} for row in rows]
        return items, total

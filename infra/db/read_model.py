"""Plain listings of stored rows and rejections, paginated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, func, select, text

from core.ports import RejectionFilter
from infra.db.schema import data_table, rejections
from infra.db.values import from_db

_REJECTION = select(
    rejections.c.id,
    rejections.c.table_name.label("table"),
    rejections.c.task_id,
    rejections.c.batch_id,
    rejections.c.line,
    rejections.c.position.label("index"),
    rejections.c.record_id,
    rejections.c.field,
    rejections.c.reason,
    rejections.c.message,
    rejections.c.raw,
    rejections.c.created_at,
)


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
        query = _REJECTION.order_by(r.c.id)
        for column, value in (
            (r.c.table_name, where.table),
            (r.c.task_id, where.task_id),
            (r.c.batch_id, where.batch_id),
        ):
            if value is not None:
                query = query.where(column == value)
        return self._page(query, page, per_page)

    def rejection_counts(self) -> list[tuple[str, str, int]]:
        r = rejections
        query = (
            select(r.c.table_name, r.c.reason, func.count())
            .group_by(r.c.table_name, r.c.reason)
            .order_by(r.c.table_name, func.count().desc(), r.c.reason)
        )
        with self.engine.connect() as conn:
            return [(str(t), str(reason), int(n)) for t, reason, n in conn.execute(query)]

    def latest_rejections(self, limit: int) -> list[dict[str, Any]]:
        query = _REJECTION.order_by(rejections.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings()
            return [{k: from_db(v) for k, v in row.items()} for row in rows]

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

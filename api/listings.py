"""Stored rows and rejections, page by page."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api.deps import services
from api.schemas import PageArgs, RejectionArgs, query_args

bp = Blueprint("listings", __name__)


def _rows(table: str) -> Response:
    args = query_args(PageArgs())
    items, total = services().listings.rows(table, args["page"], args["per_page"])
    return jsonify({"items": items, **args, "total": total})


@bp.get("/departments")
def departments() -> Response:
    return _rows("departments")


@bp.get("/jobs")
def jobs() -> Response:
    return _rows("jobs")


@bp.get("/hired-employees")
def hired_employees() -> Response:
    return _rows("hired_employees")


@bp.get("/rejections")
def rejections() -> Response:
    args = query_args(RejectionArgs())
    items, total = services().listings.rejections(
        args["page"], args["per_page"], args.get("table"), args.get("task_id"), args.get("batch_id")
    )
    return jsonify(
        {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}
    )

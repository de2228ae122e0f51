"""Stored rows and rejections, page by page: a listing route for each table spec."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, jsonify

from api.audit import request_audit
from api.deps import services
from api.schemas import PageArgs, RejectionArgs, query_args
from domain.tables import TABLES, TableSpec


def listing_path(spec: TableSpec) -> str:
    """Where a table's rows are listed: /departments, /hired-employees."""
    return "/" + spec.name.replace("_", "-")


def blueprint() -> Blueprint:
    """The listing routes of the tables there are when the app is made."""
    bp = Blueprint("listings", __name__)
    for spec in TABLES.values():
        bp.add_url_rule(listing_path(spec), spec.name, _rows_of(spec.name), methods=["GET"])
    bp.add_url_rule("/rejections", "rejections", _rejections, methods=["GET"])
    return bp


def _rows_of(table: str) -> Callable[[], Response]:
    """The view of one table's rows: a named function, as extensions expect of views."""

    def view() -> Response:
        return _rows(table)

    view.__name__ = view.__qualname__ = f"rows_of_{table}"
    return view


def _rows(table: str) -> Response:
    args = query_args(PageArgs())
    items, total = services().listings.rows(table, args["page"], args["per_page"], request_audit())
    return jsonify({"items": items, **args, "total": total})


def _rejections() -> Response:
    args = query_args(RejectionArgs())
    items, total = services().listings.rejections(
        args["page"],
        args["per_page"],
        args.get("table"),
        args.get("task_id"),
        args.get("batch_id"),
        request_audit(),
    )
    return jsonify(
        {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}
    )

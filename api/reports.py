"""The two hiring reports, as JSON or as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api.csv_export import csv_response
from api.deps import services
from api.schemas import ReportArgs, query_args

bp = Blueprint("reports", __name__, url_prefix="/report")

QUARTER_COLUMNS = ("department", "job", "Q1", "Q2", "Q3", "Q4")
ABOVE_COLUMNS = ("id", "department", "hired")


@bp.get("/hired-by-quarter")
def quarter_report() -> Response:
    args = query_args(ReportArgs())
    rows = services().reports.hired_by_quarter(args["year"])
    cells = [(r.department, r.job, r.q1, r.q2, r.q3, r.q4) for r in rows]
    if args["format"] == "csv":
        return csv_response(f"hired-by-quarter-{args['year']}.csv", QUARTER_COLUMNS, cells)
    return jsonify(
        {"year": args["year"], "rows": [dict(zip(QUARTER_COLUMNS, c, strict=True)) for c in cells]}
    )


@bp.get("/hiring-above-average")
def above_average_report() -> Response:
    args = query_args(ReportArgs())
    report = services().reports.hiring_above_average(args["year"])
    cells = [(r.id, r.department, r.hired) for r in report.rows]
    if args["format"] == "csv":
        return csv_response(f"hiring-above-average-{args['year']}.csv", ABOVE_COLUMNS, cells)
    return jsonify(
        {
            "year": report.year,
            "mean": report.mean,
            "rows": [dict(zip(ABOVE_COLUMNS, c, strict=True)) for c in cells],
        }
    )

"""The two hiring reports, as JSON or CSV, or drawn as SVG, PNG or an HTML page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify

from api.charts import CHART_FORMATS, above_average_chart, chart_response, quarter_chart
from api.csv_export import csv_response
from api.deps import services
from api.schemas import ReportArgs, query_args

bp = Blueprint("reports", __name__, url_prefix="/report")

QUARTER_COLUMNS = ("department", "job", "Q1", "Q2", "Q3", "Q4")
ABOVE_COLUMNS = ("id", "department", "hired")


@bp.get("/hired-by-quarter")
def quarter_report() -> Response:
    args = query_args(ReportArgs())
    as_of = datetime.now(UTC)  # the data drawn is at least this recent
    rows = services().reports.hired_by_quarter(args["year"])
    stem = f"hired-by-quarter-{args['year']}"
    if args["format"] in CHART_FORMATS:
        return chart_response(args["format"], stem, quarter_chart(args["year"], rows, as_of))
    cells = [(r.department, r.job, r.q1, r.q2, r.q3, r.q4) for r in rows]
    if args["format"] == "csv":
        return csv_response(f"{stem}.csv", QUARTER_COLUMNS, cells)
    return jsonify(
        {"year": args["year"], "rows": [dict(zip(QUARTER_COLUMNS, c, strict=True)) for c in cells]}
    )


@bp.get("/hiring-above-average")
def above_average_report() -> Response:
    args = query_args(ReportArgs())
    as_of = datetime.now(UTC)
    report = services().reports.hiring_above_average(args["year"])
    stem = f"hiring-above-average-{args['year']}"
    if args["format"] in CHART_FORMATS:
        return chart_response(args["format"], stem, above_average_chart(report, as_of))
    cells = [(r.id, r.department, r.hired) for r in report.rows]
    if args["format"] == "csv":
        return csv_response(f"{stem}.csv", ABOVE_COLUMNS, cells)
    return jsonify(
        {
            "year": report.year,
            "mean": report.mean,
            "rows": [dict(zip(ABOVE_COLUMNS, c, strict=True)) for c in cells],
        }
    )

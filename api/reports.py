"""The two hiring reports, as JSON or CSV, or drawn as SVG, PNG or an HTML page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app

from api.charts import CHART_FORMATS, above_average_chart, chart_body, quarter_chart
from api.charts.specs import Chart
from api.csv_export import csv_text
from api.deps import services
from api.schemas import ReportArgs, query_args

bp = Blueprint("reports", __name__, url_prefix="/report")

QUARTER_COLUMNS = ("department", "job", "Q1", "Q2", "Q3", "Q4")
ABOVE_COLUMNS = ("id", "department", "hired")
REPORTS = ("hired-by-quarter", "hiring-above-average")


@dataclass(frozen=True)
class Report:
    """A report's figures as a table, its JSON body, and its chart."""

    name: str
    year: int
    columns: Sequence[str]
    cells: list[tuple[Any, ...]]
    body: dict[str, Any]
    chart: Chart


@dataclass(frozen=True)
class ReportFile:
    body: str | bytes
    mimetype: str
    filename: str
    inline: bool = False


def report(name: str, year: int) -> Report:
    """The report called name, for year (InvalidRequest if the year is out of range)."""
    as_of = datetime.now(UTC)  # the data drawn is at least this recent
    reports = services().reports
    if name == "hired-by-quarter":
        rows = reports.hired_by_quarter(year)
        cells: list[tuple[Any, ...]] = [(r.department, r.job, r.q1, r.q2, r.q3, r.q4) for r in rows]
        body = {"year": year, "rows": [dict(zip(QUARTER_COLUMNS, c, strict=True)) for c in cells]}
        return Report(name, year, QUARTER_COLUMNS, cells, body, quarter_chart(year, rows, as_of))
    above = reports.hiring_above_average(year)
    cells = [(r.id, r.department, r.hired) for r in above.rows]
    body = {
        "year": above.year,
        "mean": above.mean,
        "rows": [dict(zip(ABOVE_COLUMNS, c, strict=True)) for c in cells],
    }
    return Report(name, year, ABOVE_COLUMNS, cells, body, above_average_chart(above, as_of))


def report_file(name: str, year: int, fmt: str) -> ReportFile:
    """The report as fmt: json, csv, or one of the chart formats."""
    found = report(name, year)
    stem = f"{name}-{year}"
    if fmt in CHART_FORMATS:
        body, mimetype = chart_body(fmt, found.chart)
        return ReportFile(body, mimetype, f"{stem}.{fmt}", inline=fmt == "html")
    if fmt == "csv":
        return ReportFile(csv_text(found.columns, found.cells), "text/csv", f"{stem}.csv")
    text = current_app.json.dumps(found.body) + "\n"
    return ReportFile(text, "application/json", f"{stem}.json", inline=True)


@bp.get("/hired-by-quarter")
def quarter_report() -> Response:
    return _answer("hired-by-quarter")


@bp.get("/hiring-above-average")
def above_average_report() -> Response:
    return _answer("hiring-above-average")


def _answer(name: str) -> Response:
    args = query_args(ReportArgs())
    found = report_file(name, args["year"], args["format"])
    disposition = "inline" if found.inline else "attachment"
    headers = (
        {}
        if found.mimetype == "application/json"
        else {"Content-Disposition": f'{disposition}; filename="{found.filename}"'}
    )
    return Response(found.body, mimetype=found.mimetype, headers=headers)

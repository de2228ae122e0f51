"""The operator's console at /: the reports of a year as charts and tables, data quality,
loads with their progress, uploads and backups, on one server-rendered page.

It reads without JavaScript; its script (inlined, like its style: nothing is fetched from
elsewhere) only sorts and filters the tables, follows running loads and uploads, and sends
the action buttons' requests to the API routes without leaving the page. The actions a
caller's role may not take are not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from api.deps import services
from api.loads import task_json
from api.reports import report
from api.schemas import ConsoleArgs, query_args
from api.security import ADMIN, KEY_COOKIE, WRITER, allows
from core.tasks import table_results
from domain.reports import YEAR_MAX, YEAR_MIN
from domain.tables import LOAD_ORDER

bp = Blueprint("console", __name__, template_folder="templates")

TASKS_SHOWN = 20
REJECTIONS_SHOWN = 10
REPORT_TITLES = {
    "hired-by-quarter": "Hires by department, job and quarter",
    "hiring-above-average": "Departments that hired more than the mean",
}


@dataclass(frozen=True)
class Allowed:
    """The actions the console offers: loads (writer) and backups, restores, cancels and
    retries (admin)."""

    load: bool
    admin: bool


def allowed() -> Allowed:
    caller = getattr(g, "caller", None)
    role = getattr(caller, "role", None)
    if caller is None or role is None:
        return Allowed(load=True, admin=True)
    return Allowed(load=allows(role, WRITER), admin=allows(role, ADMIN))


def result_text(result: dict[str, Any] | None) -> str:
    """A load's result in a line: inserted, already there and rejected rows, by table."""
    return "; ".join(
        f"{s.get('table', '?')}: {s.get('inserted', 0)} inserted, "
        f"{s.get('already_exists', 0)} already there, {s.get('rejected', 0)} rejected"
        for s in table_results(result)
    )


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


@bp.get("/")
def page() -> str:
    year: int = query_args(ConsoleArgs())["year"]
    found = services()
    reports = []
    for name, title in REPORT_TITLES.items():
        made = report(name, year)
        downloads = {
            fmt: url_for(f"reports.{_ENDPOINTS[name]}", year=year, format=fmt)
            for fmt in ("svg", "png", "csv")
        }
        reports.append(
            {
                "name": name,
                "title": title,
                "columns": made.columns,
                "cells": made.cells,
                "mean": made.body.get("mean"),
                "chart": downloads["svg"],
                "downloads": downloads,
                "json": url_for(f"reports.{_ENDPOINTS[name]}", year=year),
            }
        )
    counts = found.listings.rejection_counts()
    loads = found.loads
    tasks, total_tasks = loads.page(1, TASKS_SHOWN)
    return render_template(
        "console.html",
        year=year,
        year_min=YEAR_MIN,
        year_max=YEAR_MAX,
        reports=reports,
        rejection_counts=counts,
        rejections_total=sum(n for _, _, n in counts),
        rejection_max=max((n for _, _, n in counts), default=0),
        latest_rejections=found.listings.latest_rejections(REJECTIONS_SHOWN),
        tasks=[task_json(t, loads) for t in tasks],
        total_tasks=total_tasks,
        tables=LOAD_ORDER,
        backups=[b.as_dict() for b in found.backups.available()],
        allowed=allowed(),
        result_text=result_text,
        duration_text=duration_text,
    )


_ENDPOINTS = {"hired-by-quarter": "quarter_report", "hiring-above-average": "above_average_report"}


@bp.get("/console/key")
def key_form() -> str:
    """Where a person gives the console an API key, when keys are configured."""
    return render_template("console_key.html", message=None)


@bp.post("/console/key")
def take_key() -> WerkzeugResponse | tuple[str, int]:
    """A valid key is kept in a cookie (HttpOnly, SameSite=Strict) that the console's
    requests carry; an empty one forgets it."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        return render_template("console_key.html", message="sent from another site"), 400
    given = request.form.get("key", "").strip()
    answer = redirect(url_for("console.page"), 303)
    if not given:
        answer.delete_cookie(KEY_COOKIE, path="/")
        return answer
    if current_app.extensions["hr_guard"].caller_of(given).role is None:
        return render_template("console_key.html", message="that is not a valid key"), 400
    answer.set_cookie(
        KEY_COOKIE, given, httponly=True, samesite="Strict", secure=request.is_secure, path="/"
    )
    return answer

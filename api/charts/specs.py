"""The Vega-Lite specifications of the two reports, and the tables that go beside them.

Built from the same rows as the JSON answers. The data sits inline in each specification, so
rendering fetches nothing. Field names are fixed (never taken from the data), so no value can
change what a specification means.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.ports import QuarterCounts
from core.reports import AboveAverage

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
Spec = dict[str, Any]

_FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
_CONFIG: Spec = {
    "font": _FONT,
    "title": {"anchor": "start", "fontSize": 16, "subtitleFontSize": 12, "subtitleColor": "#444"},
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 220},
    "view": {"stroke": None},
}
_BAR = "#4c78a8"
_MEAN = "#d62728"


@dataclass(frozen=True)
class Table:
    """The numbers of a chart as an HTML table: its text alternative."""

    caption: str
    columns: tuple[str, ...]
    rows: list[tuple[str | int, ...]]
    row_headers: tuple[int, ...]  # the cells of a row that name it (th scope="row")
    foot: tuple[str | int, ...] | None = None
    empty: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    spec: Spec  # drawn as SVG and PNG
    table: Table
    page_spec: Spec = field(default_factory=dict)  # drawn in the HTML page, if it differs

    @property
    def interactive(self) -> Spec:
        return self.page_spec or self.spec


def as_of_text(as_of: datetime) -> str:
    return f"data as of {as_of.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def number(value: float) -> str:
    """A count or a mean as written in titles and labels: 1,929 or 160.75."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _hires(n: int) -> str:
    return f"{number(n)} hire" + ("" if n == 1 else "s")


def quarter_chart(year: int, rows: Sequence[QuarterCounts], as_of: datetime) -> Chart:
    """Hires by quarter: a heat map of department by quarter, with each department's total
    beside it and each quarter's above it; the page adds the jobs of a chosen department."""
    departments = list(dict.fromkeys(r.department for r in rows))  # in the JSON's order
    cells: Counter[tuple[str, str]] = Counter()
    for r in rows:
        for quarter, n in zip(QUARTERS, (r.q1, r.q2, r.q3, r.q4), strict=True):
            cells[(r.department, quarter)] += n
    by_department = Counter({d: sum(cells[(d, q)] for q in QUARTERS) for d in departments})
    by_quarter = [sum(cells[(d, q)] for d in departments) for q in QUARTERS]
    total = sum(by_quarter)
    if total:
        title = f"Hires by quarter in {year}"
        summary = f"{_hires(total)} in {len(departments)} department" + (
            "" if len(departments) == 1 else "s"
        )
    else:
        title = f"No hires in {year}"
        summary = "no department hired anyone this year"
    subtitle = [summary, as_of_text(as_of)]
    top = max((cells[k] for k in cells), default=0)

    department_axis = {
        "field": "department",
        "type": "nominal",
        "title": "Department",
        "sort": departments,
        "scale": {"domain": departments},
    }
    quarter_axis = {
        "field": "quarter",
        "type": "ordinal",
        "title": "Quarter",
        "sort": list(QUARTERS),
        "scale": {"domain": list(QUARTERS)},
    }
    hires_field = {"field": "hired", "type": "quantitative", "title": "Hires"}
    heat_cells = [
        {"department": d, "quarter": q, "hired": cells[(d, q)]}
        for d in departments
        for q in QUARTERS
    ]
    heat_map: Spec = {
        "width": {"step": 56},
        "height": {"step": 22} if departments else 120,
        "data": {"values": heat_cells},
        "encoding": {"x": {**quarter_axis, "axis": {"labelAngle": 0}}, "y": department_axis},
        "layer": [
            {
                "mark": {"type": "rect", "stroke": "white", "strokeWidth": 1},
                "encoding": {
                    "color": {
                        **hires_field,
                        "scale": {"scheme": "blues", "domainMin": 0},
                        "legend": (
                            {"title": "Hires", "orient": "bottom", "direction": "horizontal"}
                            if total
                            else None
                        ),
                    },
                    "tooltip": [
                        {"field": "department", "title": "Department"},
                        {"field": "quarter", "title": "Quarter"},
                        {**hires_field, "format": ",d"},
                    ],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 11, "aria": False},
                "encoding": {
                    "text": {**hires_field, "format": ",d"},
                    "color": {
                        "condition": {"test": f"datum.hired > {top * 0.55}", "value": "white"},
                        "value": "black",
                    },
                },
            },
        ],
    }
    totals_bar: Spec = {
        "width": 140,
        "height": {"step": 22},
        "data": {"values": [{"department": d, "hired": by_department[d]} for d in departments]},
        "encoding": {
            "y": {**department_axis, "axis": None},
            "x": {**hires_field, "title": "Total", "axis": {"format": ",d"}},
        },
        "layer": [
            {"mark": {"type": "bar", "color": _BAR}},
            {
                "mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 11, "aria": False},
                "encoding": {"text": {**hires_field, "format": ",d"}},
            },
        ],
    }
    quarter_bars: Spec = {
        "width": {"step": 56},
        "height": 70,
        "data": {
            "values": [
                {"quarter": q, "hired": n} for q, n in zip(QUARTERS, by_quarter, strict=True)
            ]
        },
        "encoding": {
            "x": {**quarter_axis, "axis": None},
            "y": {
                **hires_field,
                "title": "Total",
                "axis": {"format": ",d", "tickCount": 3},
            },
        },
        "layer": [
            {"mark": {"type": "bar", "color": _BAR}},
            {
                "mark": {
                    "type": "text",
                    "baseline": "bottom",
                    "dy": -2,
                    "fontSize": 11,
                    "aria": False,
                },
                "encoding": {"text": {**hires_field, "format": ",d"}},
            },
        ],
    }
    description = (
        f"Heat map of hires per department and quarter in {year}, with totals: "
        + (f"{_hires(total)}, " if total else "no hires. ")
        + ", ".join(f"{q} {number(n)}" for q, n in zip(QUARTERS, by_quarter, strict=True))
    )
    base: Spec = {
        "title": {"text": title, "subtitle": subtitle},
        "description": description,
        "config": _CONFIG,
        "padding": 12,
    }
    grid = {
        "vconcat": [
            quarter_bars,
            {"hconcat": [heat_map, totals_bar], "spacing": 8, "bounds": "flush"},
        ],
        "spacing": 8,
        "bounds": "flush",
    }
    spec = {**base, **grid}
    table = Table(
        caption=f"Hires per department and job in {year}, by quarter (UTC), {as_of_text(as_of)}",
        columns=("Department", "Job", *QUARTERS, "Total"),
        rows=[
            (r.department, r.job, r.q1, r.q2, r.q3, r.q4, r.q1 + r.q2 + r.q3 + r.q4) for r in rows
        ],
        row_headers=(0, 1),
        foot=("All departments", "", *by_quarter, total) if total else None,
        empty=f"No hires in {year}.",
    )
    if not total:  # the empty heat map alone: its quarters, no department
        return Chart(title=title, spec={**base, **heat_map}, table=table)

    # The page: a department picked on the heat map (or in the list) shows its jobs.
    jobs = [
        {"department": r.department, "job": r.job, "quarter": q, "hired": n}
        for r in rows
        for q, n in zip(QUARTERS, (r.q1, r.q2, r.q3, r.q4), strict=True)
        if n
    ]
    pick: Spec = {
        "name": "pick",
        "select": {"type": "point", "fields": ["department"], "on": "click", "clear": "dblclick"},
        "bind": {
            "input": "select",
            "options": [None, *departments],
            "labels": ["(none)", *departments],
            "name": "Jobs of the department: ",
        },
    }
    picked_map = {
        **heat_map,
        "layer": [
            {
                **heat_map["layer"][0],
                "params": [pick],
                "encoding": {
                    **heat_map["layer"][0]["encoding"],
                    "strokeWidth": {
                        "condition": {"param": "pick", "empty": False, "value": 3},
                        "value": 1,
                    },
                    "stroke": {
                        "condition": {"param": "pick", "empty": False, "value": "#222"},
                        "value": "white",
                    },
                },
            },
            heat_map["layer"][1],
        ],
    }
    drill_down: Spec = {
        "title": {
            "text": "Jobs of the chosen department, by quarter",
            "subtitle": "Click a department on the heat map, or choose it in the list below",
            "fontSize": 13,
        },
        "width": 420,
        "height": {"step": 16},
        "data": {"values": jobs},
        "transform": [{"filter": {"param": "pick", "empty": False}}],
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "job", "type": "nominal", "title": "Job", "sort": "-x"},
            "x": {**hires_field, "aggregate": "sum", "axis": {"format": ",d"}},
            "color": {
                **quarter_axis,
                "scale": {"domain": list(QUARTERS), "scheme": "tableau10"},
                "legend": {"orient": "bottom", "direction": "horizontal"},
            },
            "order": {"field": "quarter", "sort": "ascending"},
            "tooltip": [
                {"field": "job", "title": "Job"},
                {"field": "quarter", "title": "Quarter"},
                {**hires_field, "format": ",d"},
            ],
        },
    }
    page_spec = {
        **base,
        "vconcat": [
            quarter_bars,
            {"hconcat": [picked_map, totals_bar], "spacing": 8, "bounds": "flush"},
            drill_down,
        ],
        "spacing": 8,
        "bounds": "flush",
    }

    return Chart(title=title, spec=spec, table=table, page_spec=page_spec)


def above_average_chart(report: AboveAverage, as_of: datetime) -> Chart:
    """One bar per department that hired more than the mean, the mean drawn as a rule."""
    year, mean = report.year, report.mean
    names = Counter(r.department for r in report.rows)
    # Two departments of one name stay two bars.
    labels = [
        r.department if names[r.department] == 1 else f"{r.department} (id {r.id})"
        for r in report.rows
    ]
    mean_text = f"mean {number(mean)} hires"
    if report.rows:
        title = f"Departments that hired more than the mean in {year}"
    elif mean:
        title = f"No department hired more than the mean in {year}"
    else:
        title = f"No hires in {year}"
    subtitle = [
        (f"{mean_text} per department that hired" if mean else "no department hired anyone"),
        as_of_text(as_of),
    ]
    hires_field = {"field": "hired", "type": "quantitative", "title": f"Hires in {year}"}
    hires_axis = {**hires_field, "axis": {"format": ",d"}}
    if not mean:
        hires_axis["scale"] = {"domain": [0, 10]}  # axes for an empty year, not a scale of 0 only
    department_axis = {
        "field": "department",
        "type": "nominal",
        "title": "Department",
        "sort": labels,
        "scale": {"domain": labels},
        "axis": {"labelAngle": -30, "labelAlign": "right"},
    }
    bars: Spec = {
        "data": {
            "values": [
                {"department": label, "hired": r.hired}
                for label, r in zip(labels, report.rows, strict=True)
            ]
        },
        "encoding": {"x": department_axis, "y": hires_axis},
    }
    layers: list[Spec] = [
        {
            **bars,
            "mark": {"type": "bar", "color": _BAR},
            "encoding": {
                **bars["encoding"],
                "tooltip": [
                    {"field": "department", "title": "Department"},
                    {**hires_field, "format": ",d"},
                ],
            },
        }
    ]
    if mean:
        # The rule over the bars, labelled on its right, outside the plot.
        mean_data = {"values": [{"mean": mean, "label": mean_text}]}
        at_mean = {"field": "mean", "type": "quantitative"}
        layers += [
            {
                "data": mean_data,
                "mark": {"type": "rule", "color": _MEAN, "strokeWidth": 2, "strokeDash": [6, 4]},
                "encoding": {"y": at_mean, "description": {"field": "label"}},
            },
            {
                "data": mean_data,
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "middle",
                    "dx": 6,
                    "color": _MEAN,
                    "fontWeight": "bold",
                    "fontSize": 12,
                },
                "encoding": {
                    "x": {"value": "width"},
                    "y": at_mean,
                    "text": {"field": "label"},
                    "description": {"field": "label"},
                },
            },
        ]
    # The counts over the bars, drawn last so that the rule never hides one.
    layers.append(
        {
            **bars,
            "mark": {"type": "text", "baseline": "bottom", "dy": -3, "fontSize": 11, "aria": False},
            "encoding": {**bars["encoding"], "text": {**hires_field, "format": ",d"}},
        }
    )
    description = (
        f"Bar chart of the {len(report.rows)} departments that hired more than the {mean_text}"
        f" in {year}: "
        + "; ".join(
            f"{label} {number(r.hired)}" for label, r in zip(labels, report.rows, strict=True)
        )
        if report.rows
        else title
    )
    spec: Spec = {
        "title": {"text": title, "subtitle": subtitle},
        "description": description,
        "config": _CONFIG,
        "padding": 12,
        "width": {"step": 64} if report.rows else 320,
        "height": 300,
        "layer": layers,
    }
    table = Table(
        caption=(
            f"Departments that hired more than the {mean_text} in {year}, {as_of_text(as_of)}"
        ),
        columns=("Id", "Department", "Hires"),
        rows=[(r.id, r.department, r.hired) for r in report.rows],
        row_headers=(1,),
        empty=title + ".",
    )
    return Chart(title=title, spec=spec, table=table)

"""The reports drawn as SVG, PNG and HTML, checked against the historical files.

The expected figures come from the files by plain Python (tests/expected.py). The SVG is read
as XML: Vega describes every mark it draws in aria-label ("Department: Support; Hires in
2021: 216"), so the tests read the values drawn, not the pixels. The PNG is read from its own
header and pixel data with the standard library.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.charts import CHART_FORMATS, PNG_SCALE
from api.schemas import REPORT_FORMATS
from config import Settings
from main import create_app
from tests.conftest import CHALLENGE_DIR, load, unavailable
from tests.expected import expected_from_files

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
REPORTS = ("hired-by-quarter", "hiring-above-average")
MIMETYPES = {"svg": "image/svg+xml", "png": "image/png", "html": "text/html"}
AS_OF = re.compile(r"data as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def _app(tmp: Any, source: Any) -> Flask:
    app = create_app(
        Settings(
            database_url=f"sqlite:///{tmp / 'hr.sqlite3'}",
            csv_source_dir=source,
            backup_dir=tmp / "backups",
        )
    )
    app.testing = True
    return app


@pytest.fixture(scope="module")
def historical() -> dict[str, Any]:
    folder = CHALLENGE_DIR / "lf"
    if not folder.is_dir():
        unavailable(f"the historical files are not at {folder}")
    return expected_from_files(folder)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, historical: Any) -> Iterator[FlaskClient]:
    """The historical files loaded once into SQLite: the charts do not depend on the database
    (the JSON they are drawn from is checked on every database by test_real_data.py)."""
    tmp = tmp_path_factory.mktemp("charts")
    source = tmp / "source"
    shutil.copytree(CHALLENGE_DIR / "lf", source)
    app = _app(tmp, source)
    client = app.test_client()
    assert load(client)["state"] == "SUCCESS"
    yield client
    app.extensions["hr_services"].close()


# --- reading what was drawn ------------------------------------------------------------------


def marks(svg: str, role: str) -> list[dict[str, str]]:
    """The aria descriptions of the marks of one kind, as {field title: value}."""
    found = []
    for element in ET.fromstring(svg).iter():
        if element.get("role") == "graphics-symbol" and element.get("aria-roledescription") == role:
            label = element.get("aria-label", "")
            found.append(dict(part.partition(": ")[::2] for part in label.split("; ")))
    return found


def labels(svg: str) -> list[str]:
    return [e.get("aria-label", "") for e in ET.fromstring(svg).iter() if e.get("aria-label")]


def texts(svg: str) -> list[str]:
    """Every line of text drawn (a text of several lines holds one tspan a line)."""
    found = []
    for element in ET.fromstring(svg).iter():
        if element.tag.endswith("}text"):
            lines = [t for t in element if t.tag.endswith("}tspan")] or [element]
            found += ["".join(line.itertext()) for line in lines]
    return found


def svg_size(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width", "0")), float(root.get("height", "0"))


def png_image(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the raw scanlines of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        at += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, interlace) == (8, 0) and color in (2, 6)
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    channels = 4 if color == 6 else 3
    assert len(pixels) == height * (1 + width * channels)  # a filter byte, then a row
    return width, height, pixels


class Page(HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.tables: list[dict[str, Any]] = []
        self._in: list[str] = []
        self._cell: dict[str, Any] | None = None
        self._script: dict[str, str | None] | None = None
        self.style = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._script = {**dict(attrs), "tag": tag}
            if tag == "script":
                self.scripts.append((self._script, ""))
        elif tag == "table":
            self.tables.append({"caption": "", "head": [], "body": [], "foot": []})
        elif tag in ("thead", "tbody", "tfoot", "caption"):
            self._in.append(tag)
        elif tag == "tr":
            part = {"thead": "head", "tbody": "body", "tfoot": "foot"}[self._in[-1]]
            self.tables[-1][part].append([])
        elif tag in ("th", "td"):
            self._cell = {"tag": tag, "scope": dict(attrs).get("scope"), "text": ""}
            self.tables[-1][self._part()][-1].append(self._cell)

    def _part(self) -> str:
        return {"thead": "head", "tbody": "body", "tfoot": "foot"}[self._in[-1]]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._script = None
        elif tag in ("thead", "tbody", "tfoot", "caption"):
            self._in.pop()
        elif tag in ("th", "td"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._script is not None and self._script["tag"] == "style":
            self.style += data
        elif self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._cell is not None:
            self._cell["text"] += data
        elif self._in and self._in[-1] == "caption":
            self.tables[-1]["caption"] += data

    def spec(self) -> dict[str, Any]:
        [text] = [t for a, t in self.scripts if a.get("id") == "chart-spec"]
        assert self.scripts[0][0] == {
            "type": "application/json",
            "id": "chart-spec",
            "tag": "script",
        }
        spec: dict[str, Any] = json.loads(text)
        return spec


def cells(row: list[dict[str, Any]]) -> list[str]:
    return [c["text"] for c in row]


def number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


# --- the historical files --------------------------------------------------------------------


def test_the_formats_of_the_parameter_are_those_drawn_and_the_rows():
    assert [*REPORT_FORMATS] == ["json", "csv", *CHART_FORMATS]


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("fmt", CHART_FORMATS)
def test_each_chart_has_its_type_and_file_name(real, report, fmt):
    response = real.get(f"/report/{report}?year=2021&format={fmt}")
    assert response.status_code == 200
    assert response.mimetype == MIMETYPES[fmt]
    if fmt != "png":
        assert response.content_type == f"{MIMETYPES[fmt]}; charset=utf-8"
    disposition = "inline" if fmt == "html" else "attachment"
    assert (
        response.headers["Content-Disposition"] == f'{disposition}; filename="{report}-2021.{fmt}"'
    )


def test_the_above_average_svg_has_a_bar_per_department_above_the_mean_and_the_mean_labelled(
    real, historical
):
    response = real.get("/report/hiring-above-average?year=2021&format=svg")
    svg = response.get_data(as_text=True)
    bars = marks(svg, "bar")
    drawn = [(b["Department"], int(b["Hires in 2021"])) for b in bars]
    assert drawn == [(r["department"], r["hired"]) for r in historical["above"]]
    assert len(drawn) == 7 and all(n > historical["mean"] for _, n in drawn)
    assert real.get("/report/hiring-above-average?year=2021").json["rows"] == [
        {"id": r["id"], "department": d, "hired": n}
        for r, (d, n) in zip(historical["above"], drawn, strict=True)
    ]
    mean = f"mean {number(historical['mean'])} hires"
    assert mean == "mean 136.92 hires"  # 1,643 hires over 12 departments
    rule = [e for e in ET.fromstring(svg).iter() if e.get("aria-roledescription") == "rule mark"]
    assert [e.get("aria-label") for e in rule] == [mean]
    assert mean in texts(svg)  # the rule's label, written beside it
    assert "Departments that hired more than the mean in 2021" in texts(svg)
    assert any(AS_OF.fullmatch(t) for t in texts(svg))
    assert "Y-axis titled 'Hires in 2021' for a linear scale with values from 0 to 220" in labels(
        svg
    )


def test_the_quarter_svg_has_every_department_by_quarter_and_the_totals(real, historical):
    svg = real.get("/report/hired-by-quarter?year=2021&format=svg").get_data(as_text=True)
    by_cell: Counter[tuple[str, str]] = Counter()
    for row in historical["by_quarter"]:
        for q in QUARTERS:
            by_cell[(row["department"], q)] += row[q]
    departments = sorted({d for d, _ in by_cell}, key=lambda d: (d.casefold(), d))
    assert len(departments) == 12
    heat = [(c["Department"], c["Quarter"], int(c["Hires"])) for c in marks(svg, "rect mark")]
    assert heat == [(d, q, by_cell[(d, q)]) for d in departments for q in QUARTERS]
    bars = marks(svg, "bar")
    per_quarter = [(b["Quarter"], int(b["Total"])) for b in bars if "Quarter" in b]
    assert per_quarter == [(q, sum(by_cell[(d, q)] for d in departments)) for q in QUARTERS]
    per_department = [(b["Department"], int(b["Total"])) for b in bars if "Department" in b]
    assert per_department == [(d, sum(by_cell[(d, q)] for q in QUARTERS)) for d in departments]
    assert sum(n for _, n in per_department) == 1643
    assert "X-axis titled 'Quarter' for a discrete scale with 4 values: Q1, Q2, Q3, Q4" in labels(
        svg
    )
    shown = texts(svg)
    assert set(departments) | set(QUARTERS) <= set(shown)  # axis labels
    assert "Hires by quarter in 2021" in shown
    assert "1,643 hires in 12 departments" in shown
    assert any(AS_OF.fullmatch(t) for t in shown)


@pytest.mark.parametrize("report", REPORTS)
def test_the_png_is_the_svg_drawn_at_twice_its_size(real, report):
    svg = real.get(f"/report/{report}?year=2021&format=svg").get_data(as_text=True)
    data = real.get(f"/report/{report}?year=2021&format=png").data
    width, height, pixels = png_image(data)
    svg_width, svg_height = svg_size(svg)
    assert (width, height) == (round(svg_width * PNG_SCALE), round(svg_height * PNG_SCALE))
    assert width > 800 and height > 800
    # A picture, not a blank: many colours, and rows that differ from one another.
    assert len(set(pixels)) > 100
    stride = len(pixels) // height
    rows = {pixels[i : i + stride] for i in range(0, len(pixels), stride)}
    assert len(rows) > height // 4


def test_the_quarter_page_holds_the_chart_and_a_table_of_the_json_numbers(real):
    json_rows = real.get("/report/hired-by-quarter?year=2021").json["rows"]
    response = real.get("/report/hired-by-quarter?year=2021&format=html")
    page = Page(response.get_data(as_text=True))
    [table] = page.tables
    assert table["caption"].startswith("Hires per department and job in 2021, by quarter")
    assert AS_OF.search(table["caption"])
    [head] = table["head"]
    assert cells(head) == ["Department", "Job", *QUARTERS, "Total"]
    assert {(c["tag"], c["scope"]) for c in head} == {("th", "col")}
    assert [cells(r) for r in table["body"]] == [
        [
            r["department"],
            r["job"],
            *(str(r[q]) for q in QUARTERS),
            str(sum(r[q] for q in QUARTERS)),
        ]
        for r in json_rows
    ]
    for row in table["body"]:  # the department and the job name the row
        assert [(c["tag"], c["scope"]) for c in row[:3]] == [
            ("th", "row"),
            ("th", "row"),
            ("td", None),
        ]
    [foot] = table["foot"]
    totals = [sum(r[q] for r in json_rows) for q in QUARTERS]
    assert cells(foot) == ["All departments", "", *map(str, totals), "1643"]
    # The chart: its specification, with the drill-down to the jobs of a department.
    spec = page.spec()
    assert spec["title"]["text"] == "Hires by quarter in 2021"
    heat_map = spec["vconcat"][1]["hconcat"][0]
    assert sum(c["hired"] for c in heat_map["data"]["values"]) == 1643
    assert heat_map["layer"][0]["params"][0]["name"] == "pick"
    jobs = spec["vconcat"][2]["data"]["values"]
    assert sorted((j["department"], j["job"], j["quarter"], j["hired"]) for j in jobs) == sorted(
        (r["department"], r["job"], q, r[q]) for r in json_rows for q in QUARTERS if r[q]
    )
    assert_offline_page_drawing_its_chart(page)


def test_the_above_average_page_holds_the_chart_and_a_table_of_the_json_numbers(real):
    body = real.get("/report/hiring-above-average?year=2021").json
    page = Page(
        real.get("/report/hiring-above-average?year=2021&format=html").get_data(as_text=True)
    )
    [table] = page.tables
    assert table["caption"].startswith(
        f"Departments that hired more than the mean {number(body['mean'])} hires in 2021"
    )
    assert cells(table["head"][0]) == ["Id", "Department", "Hires"]
    assert [cells(r) for r in table["body"]] == [
        [str(r["id"]), r["department"], str(r["hired"])] for r in body["rows"]
    ]
    assert all(r[1]["tag"] == "th" and r[1]["scope"] == "row" for r in table["body"])
    spec = page.spec()
    bars, rule = spec["layer"][0], spec["layer"][1]
    assert [v["hired"] for v in bars["data"]["values"]] == [r["hired"] for r in body["rows"]]
    assert rule["mark"]["type"] == "rule"
    assert rule["data"]["values"] == [
        {"mean": body["mean"], "label": f"mean {number(body['mean'])} hires"}
    ]
    assert_offline_page_drawing_its_chart(page)


def assert_offline_page_drawing_its_chart(page: Page) -> None:
    """Nothing is fetched: no script, stylesheet, image or frame from elsewhere; Vega,
    Vega-Lite and vega-embed are inline, and draw the specification into #chart."""
    for tag, attrs in page.tags:
        for name in ("src", "href", "data"):
            assert not attrs.get(name), (tag, attrs)
    assert not [t for t, _ in page.tags if t in ("link", "iframe", "img", "object", "embed")]
    sources = [text for attrs, text in page.scripts if set(attrs) == {"tag"}]
    assert len(sources) == 2
    bundle, draw = sources
    assert len(bundle) > 500_000 and "window.vegaEmbed" in bundle
    assert 'vegaEmbed("#chart", JSON.parse(document.getElementById("chart-spec")' in draw
    assert ("div", {"id": "chart"}) in page.tags
    assert "@import" not in page.style and "url(" not in page.style


# --- any year, any text ----------------------------------------------------------------------


@pytest.mark.parametrize("report", REPORTS)
def test_a_year_without_hires_draws_an_empty_chart_saying_so(real, report):
    svg = real.get(f"/report/{report}?year=1990&format=svg")
    assert svg.status_code == 200
    assert "No hires in 1990" in texts(svg.get_data(as_text=True))
    assert not marks(svg.get_data(as_text=True), "bar")
    width, height, _ = png_image(real.get(f"/report/{report}?year=1990&format=png").data)
    assert width > 200 and height > 200
    page = Page(real.get(f"/report/{report}?year=1990&format=html").get_data(as_text=True))
    [table] = page.tables
    assert [cells(r) for r in table["body"]] == [["No hires in 1990."]]
    assert page.spec()["title"]["text"] == "No hires in 1990"


@pytest.mark.parametrize("report", REPORTS)
def test_an_unknown_format_is_a_400_naming_the_formats(real, report):
    response = real.get(f"/report/{report}?year=2021&format=pdf")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parameters"
    assert response.json["error"]["details"] == {
        "format": ["Must be one of: json, csv, svg, png, html."]
    }


HOSTILE = ["</script><script>alert(1)</script>", '<b>&amp;"Q&A"</b>', '=HYPERLINK("x")']


@pytest.fixture
def hostile(tmp_path: Any) -> Iterator[FlaskClient]:
    """Departments whose names are markup: each hires two people in 2021, one more."""
    app = _app(tmp_path, tmp_path)
    client = app.test_client()
    departments = [{"id": i + 1, "department": name} for i, name in enumerate(HOSTILE)]
    departments.append({"id": 4, "department": "Quiet"})
    assert client.post("/batch/departments", json={"rows": departments}).json["inserted"] == 4
    assert (
        client.post("/batch/jobs", json={"rows": [{"id": 1, "job": "<i>Clerk</i>"}]}).json[
            "inserted"
        ]
        == 1
    )
    hires = [(1, 1), (2, 1), (3, 1), (4, 1), (5, 2), (6, 2), (7, 3), (8, 4)]
    rows = [
        {
            "id": i,
            "name": f"E{i}",
            "datetime": f"2021-0{i}-01T00:00:00Z",
            "department_id": d,
            "job_id": 1,
        }
        for i, d in hires
    ]
    assert client.post("/batch/hired_employees", json={"rows": rows}).json["inserted"] == 8
    yield client
    app.extensions["hr_services"].close()


def test_names_that_are_markup_are_drawn_and_tabled_as_text(hostile):
    # 2021: the first department 4 hires, the second 2, the others 1: mean 2, one above it
    svg = hostile.get("/report/hiring-above-average?format=svg").get_data(as_text=True)
    assert marks(svg, "bar") == [{"Department": HOSTILE[0], "Hires in 2021": "4"}]
    heat = hostile.get("/report/hired-by-quarter?format=svg").get_data(as_text=True)
    assert {c["Department"] for c in marks(heat, "rect mark")} == {*HOSTILE, "Quiet"}
    raw = hostile.get("/report/hired-by-quarter?format=html").get_data(as_text=True)
    page = Page(raw)
    assert raw.count("<script") == 3  # the specification, the bundle, the drawing
    assert [cells(r)[:2] for r in page.tables[0]["body"]] == [
        [name, "<i>Clerk</i>"] for name in sorted([*HOSTILE, "Quiet"], key=str.casefold)
    ]
    jobs = page.spec()["vconcat"][2]["data"]["values"]
    assert {j["department"] for j in jobs} == {*HOSTILE, "Quiet"}
    page = Page(hostile.get("/report/hiring-above-average?format=html").get_data(as_text=True))
    assert cells(page.tables[0]["body"][0]) == ["1", HOSTILE[0], "4"]


@pytest.mark.parametrize("report", REPORTS)
def test_the_openapi_document_lists_the_formats_and_their_content_types(real, report):
    operation = real.get("/openapi.json").json["paths"][f"/report/{report}"]["get"]
    [fmt] = [p for p in operation["parameters"] if p["name"] == "format"]
    assert fmt["schema"]["enum"] == ["json", "csv", "svg", "png", "html"]
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
        "image/svg+xml",
        "image/png",
        "text/html",
    }

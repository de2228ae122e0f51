"""The console at / through the Flask client: its numbers are the reports', its actions
follow the caller's role."""

from __future__ import annotations

import html as markup
import re
from types import SimpleNamespace

import pytest
from flask import g

from tests.conftest import load


def _cells(page: str, report: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*data-report="{report}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert table is not None
    return [
        [markup.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]


def test_the_console_shows_the_reports_of_the_year_asked_for(client):
    load(client)
    page = client.get("/?year=2021")
    assert (page.status_code, page.mimetype) == (200, "text/html")
    html = page.get_data(as_text=True)
    quarter = client.get("/report/hired-by-quarter?year=2021").json["rows"]
    assert _cells(html, "hired-by-quarter") == [
        [r["department"], r["job"], *(str(r[q]) for q in ("Q1", "Q2", "Q3", "Q4"))] for r in quarter
    ]
    above = client.get("/report/hiring-above-average?year=2021").json["rows"]
    assert _cells(html, "hiring-above-average") == [
        [str(r["id"]), r["department"], str(r["hired"])] for r in above
    ]
    for name in ("hired-by-quarter", "hiring-above-average"):
        assert f'src="/report/{name}?year=2021&amp;format=svg"' in html
        for fmt in ("png", "csv"):
            assert f"/report/{name}?year=2021&amp;format={fmt}" in html
    total = client.get("/rejections").json["total"]
    assert f"{total} rows rejected in all" in html
    assert "http://" not in html and "https://" not in html  # nothing from elsewhere


def test_a_year_without_hires_and_a_bad_year(client):
    html = client.get("/?year=1950").get_data(as_text=True)
    assert "Reports for 1950" in html
    assert "No hires in 1950." in html
    bad = client.get("/?year=nope")
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "invalid_parameters"


@pytest.mark.parametrize(
    ("role", "uploads", "admin"),
    [(None, True, True), ("reader", False, False), ("writer", True, False), ("admin", True, True)],
)
def test_actions_the_role_may_not_take_are_not_offered(app, role, uploads, admin):
    if role is not None:

        @app.before_request
        def caller() -> None:
            g.caller = SimpleNamespace(key_name="k", role=role)

    client = app.test_client()
    load(client)
    html = client.get("/").get_data(as_text=True)
    assert ('action="/upload/jobs"' in html) is uploads
    assert ('action="/upload-files"' in html) is uploads
    assert ('action="/backup"' in html) is admin
    assert ('action="/restore/jobs"' in html) is admin
    assert ('<th scope="col">actions</th>' in html) is admin

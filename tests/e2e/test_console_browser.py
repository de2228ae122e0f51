"""The console in a real browser: Debian's headless Chromium driven by Playwright, against
the service run as `python main.py` with the historical files loaded.

Screenshots of each page are written under the test's temporary folder.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHALLENGE_DIR, unavailable
from tests.live_server import free_port, running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLES = ("departments", "jobs", "hired_employees")

pytestmark = [pytest.mark.browser, pytest.mark.shared_data]


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def _post(url: str) -> Any:
    request = urllib.request.Request(url, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed: pip install -r requirements-dev.txt")
    if not CHROMIUM.exists():
        unavailable("Chromium is missing: apt-get install chromium (make test does as root)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service on a free port, the historical files loaded."""
    if not (CHALLENGE_DIR / "lf").is_dir():
        unavailable(f"the historical files are not at {CHALLENGE_DIR / 'lf'}")
    folder = tmp_path_factory.mktemp("console")
    source = folder / "source"
    source.mkdir()
    for table in TABLES:
        shutil.copyfile(CHALLENGE_DIR / "lf" / f"{table}.csv", source / f"{table}.csv")
    port = free_port()
    env = {
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{folder / 'live.sqlite3'}",
        "CSV_SOURCE_DIR": str(source),
        "BACKUP_DIR": str(folder / "backups"),
        "API_KEYS": "",
    }
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "main.py"], env, f"{url}/health", folder / "server.log"):
        task = _post(f"{url}/upload-files")
        for _ in range(600):
            status = _get(f"{url}/task-status/{task['task_id']}")
            if status["state"] in ("SUCCESS", "FAILURE", "CANCELLED"):
                break
            time.sleep(0.1)
        assert status["state"] == "SUCCESS", status
        _post(f"{url}/backup")
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def _table(page: Any, report: str) -> list[list[str]]:
    rows: list[list[str]] = page.eval_on_selector_all(
        f'table[data-report="{report}"] tbody tr:not([hidden])',
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))",
    )
    return rows


def _expected(url: str, year: int) -> dict[str, list[list[str]]]:
    quarter = _get(f"{url}/report/hired-by-quarter?year={year}")["rows"]
    above = _get(f"{url}/report/hiring-above-average?year={year}")["rows"]
    return {
        "hired-by-quarter": [
            [r["department"], r["job"], *(str(r[q]) for q in ("Q1", "Q2", "Q3", "Q4"))]
            for r in quarter
        ],
        "hiring-above-average": [[str(r["id"]), r["department"], str(r["hired"])] for r in above],
    }


def _charts_drawn(page: Any) -> None:
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('img[data-chart]'))"
        ".every(i => i.complete && i.naturalWidth > 100)"
    )
    assert page.locator("img[data-chart]").count() == 2


def test_the_console_draws_both_reports_with_the_json_numbers(live, page, tmp_path):
    page.goto(f"{live}/?year=2021")
    _charts_drawn(page)
    expected = _expected(live, 2021)
    assert len(expected["hired-by-quarter"]) > 100
    for report, rows in expected.items():
        assert _table(page, report) == rows
    assert page.locator("h1").inner_text() == "HR migration service"
    assert page.locator("#rejection-counts tbody tr").count() >= 1
    assert page.locator("#latest-rejections tbody tr").count() == 10
    page.screenshot(path=str(tmp_path / "console-2021.png"), full_page=True)

    # sorted by hires, most first, then filtered by department (the script's additions)
    page.locator('table[data-report="hiring-above-average"] th button', has_text="hired").click()
    page.locator('table[data-report="hiring-above-average"] th button', has_text="hired").click()
    hired = [int(r[2]) for r in _table(page, "hiring-above-average")]
    assert hired == sorted(hired, reverse=True)
    department = expected["hired-by-quarter"][0][0]
    page.fill("#filter-hired-by-quarter", department)
    shown = _table(page, "hired-by-quarter")
    assert shown == [r for r in expected["hired-by-quarter"] if department.lower() in r[0].lower()]
    page.screenshot(path=str(tmp_path / "console-sorted-filtered.png"), full_page=True)


def test_changing_the_year_shows_that_year(live, page, tmp_path):
    page.goto(f"{live}/?year=2021")
    page.fill("#year", "2020")
    page.click("#year-form button[type=submit]")
    page.wait_for_url("**/?year=2020")
    _charts_drawn(page)
    assert page.locator("#reports-heading").inner_text() == "Reports for 2020"
    expected = _expected(live, 2020)
    for report, rows in expected.items():
        assert _table(page, report) == (rows or [["No hires in 2020."]])
    page.screenshot(path=str(tmp_path / "console-2020.png"), full_page=True)


def test_an_upload_through_the_form_finishes_at_100_percent(live, page, tmp_path):
    page.goto(f"{live}/")
    form = page.locator('form[data-table="jobs"]')
    form.locator("input[type=file]").set_input_files(str(CHALLENGE_DIR / "lf" / "jobs.csv"))
    form.locator("button[type=submit]").click()
    page.wait_for_selector(
        'form[data-table="jobs"][data-task-state="SUCCESS"]', state="attached", timeout=60_000
    )
    assert form.locator("progress.upload").evaluate("p => p.value") == 100
    assert form.locator("progress.task").evaluate("p => p.value") == 100
    assert "183 already there" in form.locator(".status").inner_text()
    page.screenshot(path=str(tmp_path / "console-upload.png"), full_page=True)


def test_without_javascript_the_reports_tables_still_show(live, browser, tmp_path):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    try:
        page.goto(f"{live}/?year=2021")
        _charts_drawn(page)
        for report, rows in _expected(live, 2021).items():
            assert _table(page, report) == rows
        assert page.locator(".department-filter").count() == 0  # the script's, absent
        assert page.locator("#tasks tbody tr[data-task-id]").count() >= 1
        page.screenshot(path=str(tmp_path / "console-no-script.png"), full_page=True)
    finally:
        context.close()

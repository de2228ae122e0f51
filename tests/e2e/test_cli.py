"""The command line: Flask's CLI with the service's commands, through Click's runner and as a
real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from domain.tables import LOAD_ORDER
from tests.conftest import PROJECT, load

FLASK = Path(sys.executable).parent / "flask"


@pytest.fixture
def loaded(app, client):
    load(client)
    return app.test_cli_runner()


def test_the_above_average_report_as_a_table_holds_the_json_figures(loaded, client):
    result = loaded.invoke(args=["report", "hiring-above-average", "--year", "2021"])
    assert result.exit_code == 0, result.output
    body = client.get("/report/hiring-above-average?year=2021").json
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "department", "hired"]
    assert len(lines) == 2 + len(body["rows"]) + 1
    for line, row in zip(lines[2:], body["rows"], strict=False):
        assert line.split()[0] == str(row["id"])
        assert line.split()[-1] == str(row["hired"])
        assert row["department"] in line
    assert lines[-1] == f"mean: {body['mean']:.2f} hires"


def test_the_quarter_report_as_csv_is_the_download(loaded, client):
    result = loaded.invoke(args=["report", "hired-by-quarter", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == client.get("/report/hired-by-quarter?format=csv").data


def test_a_chart_is_written_to_the_output_file(loaded, tmp_path):
    out = tmp_path / "above.png"
    result = loaded.invoke(
        args=["report", "hiring-above-average", "--format", "png", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"hiring-above-average 2021: written to {out}\n"
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_an_image_without_an_output_file_and_a_year_out_of_range_are_refused(loaded):
    image = loaded.invoke(args=["report", "hiring-above-average", "--format", "png"])
    assert (image.exit_code, "a png image needs --output FILE" in image.output) == (2, True)
    year = loaded.invoke(args=["report", "hired-by-quarter", "--year", "1800"])
    assert year.exit_code == 1
    assert "Error: year must be between 1900 and 2100" in year.output


def test_rejections_lists_the_latest_with_their_reasons(loaded, client):
    total = client.get("/rejections?table=hired_employees").json["total"]
    result = loaded.invoke(args=["rejections", "--table", "hired_employees", "--limit", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["table", "line", "index", "id", "field", "reason", "message"]
    assert len(lines) == 2 + 3 + 1
    assert all(line.startswith("hired_employees") for line in lines[2:5])
    assert lines[-1] == f"3 of {total} rejections"


def test_the_commands_are_listed_by_a_real_process(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    shown = subprocess.run(
        [str(FLASK), "--app", "main", "--help"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for command in ("backup", "backups", "check", "rejections", "report", "restore"):
        assert f"  {command} " in shown.stdout


def test_load_runs_every_table_and_says_what_it_did(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["load"])
    assert result.exit_code == 0, result.output
    tables = {t: client.get(f"/{t.replace('_', '-')}").json["total"] for t in LOAD_ORDER}
    rejected = {
        t: client.get("/rejections", query_string={"table": t}).json["total"] for t in LOAD_ORDER
    }
    summaries = [line for line in result.output.splitlines() if line.split(":")[0] in tables]
    assert [line.split(":")[0] for line in summaries] == list(LOAD_ORDER)
    for line, table in zip(summaries, LOAD_ORDER, strict=True):
        assert f"{tables[table]} inserted" in line
        assert f"{rejected[table]} rejected" in line
    strict = runner.invoke(args=["load", "--strict"])
    assert strict.exit_code == 1
    assert f"Error: {sum(rejected.values())} rows were rejected" in strict.output
    assert "already there" in strict.output


def test_load_of_a_file_shows_its_first_rejections_and_tasks_lists_it(app, tmp_path):
    data = tmp_path / "d.csv"
    data.write_bytes(b"1,Sales\nx,Bad\n2,Ops\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["load", "departments", "--file", str(data)])
    assert result.exit_code == 0, result.output
    assert "departments: 3 rows, 2 inserted, 0 already there, 1 rejected (3 lines)" in result.output
    assert "  line 2: invalid_integer: 'x' is not a whole number" in result.output
    listed = runner.invoke(args=["tasks"]).output.splitlines()
    assert listed[0].split() == ["task", "table", "state", "rows", "%", "created"]
    assert listed[2].split()[1:5] == ["departments", "SUCCESS", "3", "100.0"]
    assert listed[-1] == "1 of 1 tasks"
    refused = runner.invoke(args=["load", "--file", str(data)])
    assert refused.exit_code == 2
    assert "--file loads one table: name it" in refused.output


def test_python_main_help_says_how_to_run_it_instead_of_serving():
    shown = subprocess.run(
        [sys.executable, "main.py", "--help"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.startswith("python main.py             serve the API")
    assert "flask --app main --help" in shown.stdout

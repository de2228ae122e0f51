"""The historical files load as the data rules say, and the reports match a plain count.

The expected figures are computed here from the files with the standard library only,
not with the service's code.
"""

import shutil

import pytest

from tests.conftest import CHALLENGE_DIR, load, unavailable
from tests.expected import expected_from_files


@pytest.fixture(params=["lf", "crlf"])
def challenge_dir(request, source_dir):
    folder = CHALLENGE_DIR / request.param
    if not folder.is_dir():
        unavailable(f"the historical files are not at {folder}")
    for name in ("departments.csv", "jobs.csv", "hired_employees.csv"):
        shutil.copyfile(folder / name, source_dir / name)
    return folder


def test_the_historical_files_load_and_report_as_a_plain_count_says(client, challenge_dir):
    expected = expected_from_files(challenge_dir)
    assert expected["counts"] == (12, 183, 1929, 70)
    task = load(client)
    assert task["state"] == "SUCCESS", task["error"]
    tables = task["result"]["tables"]
    got = (
        tables["departments"]["inserted"],
        tables["jobs"]["inserted"],
        tables["hired_employees"]["inserted"],
        tables["hired_employees"]["rejected"],
    )
    assert got == (12, 183, 1929, 70)
    assert client.get("/rejections?table=hired_employees").json["total"] == 70
    assert client.get("/report/hired-by-quarter?year=2021").json["rows"] == expected["by_quarter"]
    above = client.get("/report/hiring-above-average?year=2021").json
    assert above["mean"] == pytest.approx(expected["mean"])
    assert above["rows"] == expected["above"]

    again = load(client)["result"]["tables"]
    assert [again[t]["already_exists"] for t in ("departments", "jobs", "hired_employees")] == [
        12,
        183,
        1929,
    ]
    assert [again[t]["inserted"] for t in ("departments", "jobs", "hired_employees")] == [0, 0, 0]
    assert client.get("/hired-employees").json["total"] == 1929

"""The historical files load as the data rules say, and the reports match a plain count.

The expected figures are computed here from the files with the standard library only,
not with the service's code.
"""

import csv
import shutil
from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest

from tests.conftest import CHALLENGE_DIR, load, unavailable


def expected_from_files(folder):
    def rows(name):
        with open(folder / name, newline="", encoding="utf-8") as f:
            return [r for r in csv.reader(f) if r]

    departments = {int(r[0]): r[1] for r in rows("departments.csv")}
    jobs = {int(r[0]): r[1] for r in rows("jobs.csv")}
    good = []
    for r in rows("hired_employees.csv"):
        if len(r) != 5 or not all(v.strip() for v in r):
            continue
        if int(r[3]) in departments and int(r[4]) in jobs:
            hired = datetime.fromisoformat(r[2]).astimezone(UTC)
            good.append((int(r[0]), hired, int(r[3]), int(r[4])))
    quarters: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    per_dept: Counter[int] = Counter()
    for _, hired, dept, job in good:
        if hired.year == 2021:
            quarters[(departments[dept], jobs[job])][(hired.month - 1) // 3] += 1
            per_dept[dept] += 1
    by_quarter = [
        {"department": d, "job": j, "Q1": q[0], "Q2": q[1], "Q3": q[2], "Q4": q[3]}
        for (d, j), q in sorted(
            quarters.items(),
            key=lambda kv: (kv[0][0].casefold(), kv[0][0], kv[0][1].casefold(), kv[0][1]),
        )
    ]
    mean = sum(per_dept.values()) / len(per_dept)
    above = sorted(
        (
            {"id": d, "department": departments[d], "hired": n}
            for d, n in per_dept.items()
            if n > mean
        ),
        key=lambda r: (-r["hired"], r["department"].casefold(), r["department"]),
    )
    return {
        "counts": (
            len(departments),
            len(jobs),
            len(good),
            len(rows("hired_employees.csv")) - len(good),
        ),
        "by_quarter": by_quarter,
        "mean": mean,
        "above": above,
    }


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

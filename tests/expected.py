"""Expected load counts and reports of the historical files, by plain Python.

Computed with the standard library only, not with the service's code, so that a test
comparing the two can fail.
"""

import csv
from collections import Counter, defaultdict
from datetime import UTC, datetime


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

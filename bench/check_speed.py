"""The speed of the data rules alone, with no file and no database, in its own process.

python -m bench.check_speed [LINES] [JSON_ROWS] [REPEATS]

Checks LINES generated hired_employees lines (1% bad, as bench.generate writes them) through
RowChecker.check_lines in blocks of a load's chunk, and JSON_ROWS batch elements through
RowChecker.check_json. Each figure is the best of REPEATS runs, next to a baseline timed in
the same process over the same input: `line.split(",")` for lines, and reading each element's
values for JSON. Prints one JSON object.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable

from bench.generate import DEPARTMENTS, JOBS, employee_lines
from bench.machine import describe
from domain.tables import HIRED_EMPLOYEES
from domain.validation import RowChecker

CHUNK = 50_000  # core.loading.CHUNK_ROWS
GC_THRESHOLD = 10_000  # core.loading.LOADING_GC_THRESHOLD, set during loads
KNOWN = {"departments": set(range(1, DEPARTMENTS + 1)), "jobs": set(range(1, JOBS + 1))}


def employee_rows(lines: list[str]) -> list[object]:
    """The same employees as batch elements; the bad ones stay bad."""
    rows: list[object] = []
    for line in lines:
        row_id, name, moment, department, job = line.split(",")
        rows.append(
            {
                "id": int(row_id) if row_id.isdigit() else row_id,
                "name": name,
                "datetime": moment,
                "department_id": int(department) if department.isdigit() else None,
                "job_id": int(job) if job.isdigit() else None,
            }
        )
    return rows


def best(repeats: int, runs: list[Callable[[], object]]) -> list[float]:
    """The shortest time of each run, the runs taking turns so that noise spreads evenly."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for run, taken in zip(runs, times, strict=True):
            gc.collect()
            started = time.perf_counter()
            run()
            taken.append(time.perf_counter() - started)
    return [min(taken) for taken in times]


def check_lines(lines: list[str]) -> int:
    checker = RowChecker(HIRED_EMPLOYEES, KNOWN)
    accepted = 0
    for start in range(0, len(lines), CHUNK):
        candidates, _ = checker.check_lines(lines[start : start + CHUNK], start + 1)
        accepted += len(candidates)
    return accepted


def split_lines(lines: list[str]) -> int:
    count = 0
    for start in range(0, len(lines), CHUNK):
        count += len([line.split(",") for line in lines[start : start + CHUNK]])
    return count


def check_json(rows: list[object]) -> int:
    checker = RowChecker(HIRED_EMPLOYEES, KNOWN)
    return sum(1 for i, row in enumerate(rows) if not hasattr(checker.check_json(row, i), "reason"))


def read_json(rows: list[object]) -> int:
    names = HIRED_EMPLOYEES.column_names
    return len([tuple(row[n] for n in names) for row in rows])  # type: ignore[index]


def main() -> None:
    line_count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    json_count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    lines = list(employee_lines(line_count))
    rows = employee_rows(lines[:json_count])
    accepted_lines, accepted_rows = check_lines(lines), check_json(rows)
    gc.set_threshold(GC_THRESHOLD)
    lines_s, split_s, json_s, read_s = best(
        repeats,
        [
            lambda: check_lines(lines),
            lambda: split_lines(lines),
            lambda: check_json(rows),
            lambda: read_json(rows),
        ],
    )
    print(
        json.dumps(
            {
                "machine": describe("not used"),
                "lines": {
                    "rows": line_count,
                    "accepted": accepted_lines,
                    "rows_per_s": round(line_count / lines_s),
                    "baseline_split_rows_per_s": round(line_count / split_s),
                    "vs_baseline": round(split_s / lines_s, 3),
                },
                "json": {
                    "rows": json_count,
                    "accepted": accepted_rows,
                    "rows_per_s": round(json_count / json_s),
                    "baseline_read_rows_per_s": round(json_count / read_s),
                    "vs_baseline": round(read_s / json_s, 3),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

"""Writes benchmark files: departments, jobs and N hired_employees with about 1% bad rows.

python -m bench.generate 1000000 bench/data/1m
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

DEPARTMENTS = 12
JOBS = 183
BAD_EVERY = 100  # one row in a hundred breaks a rule


_BAD = (
    "{i},Bad Date,2021-02-30T10:00:00Z,1,1",
    "{i},,2021-03-01T10:00:00Z,1,1",
    "{i},No Job,2021-03-01T10:00:00Z,1,",
    "{i},Unknown Dept,2021-03-01T10:00:00Z,999,1",
    "x{i},Bad Id,2021-03-01T10:00:00Z,1,1",
)


def employee_lines(count: int, seed: int = 7) -> Iterator[str]:
    """count lines of hired_employees, without line ends; one in BAD_EVERY breaks a rule."""
    rng = random.Random(seed)
    for i in range(1, count + 1):
        if i % BAD_EVERY == 0:
            yield _BAD[(i // BAD_EVERY) % len(_BAD)].format(i=i)
        else:
            yield (
                f"{i},Person {rng.randrange(10**6)} Name,"
                f"{rng.choice((2020, 2021, 2021, 2022))}-{rng.randrange(1, 13):02d}-"
                f"{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
                f"{rng.randrange(60):02d}Z,{rng.randrange(1, DEPARTMENTS + 1)},"
                f"{rng.randrange(1, JOBS + 1)}"
            )


def generate(rows: int, folder: Path, seed: int = 7) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "departments.csv").write_text(
        "".join(f"{i},Department {i}\n" for i in range(1, DEPARTMENTS + 1))
    )
    (folder / "jobs.csv").write_text("".join(f"{i},Job title {i}\n" for i in range(1, JOBS + 1)))
    with (folder / "hired_employees.csv").open("w", newline="") as out:
        lines = employee_lines(rows, seed)
        while block := list(islice(lines, 100_000)):
            out.write("\n".join(block) + "\n")
    return folder


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))

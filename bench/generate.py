"""Writes benchmark files: departments, jobs and N hired_employees with about 1% bad rows.

python -m bench.generate 1000000 bench/data/1m
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

DEPARTMENTS = 12
JOBS = 183
BAD_EVERY = 100  # one row in a hundred breaks a rule


def generate(rows: int, folder: Path, seed: int = 7) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    (folder / "departments.csv").write_text(
        "".join(f"{i},Department {i}\n" for i in range(1, DEPARTMENTS + 1))
    )
    (folder / "jobs.csv").write_text("".join(f"{i},Job title {i}\n" for i in range(1, JOBS + 1)))
    bad = [
        lambda i: f"{i},Bad Date,2021-02-30T10:00:00Z,1,1",
        lambda i: f"{i},,2021-03-01T10:00:00Z,1,1",
        lambda i: f"{i},No Job,2021-03-01T10:00:00Z,1,",
        lambda i: f"{i},Unknown Dept,2021-03-01T10:00:00Z,999,1",
        lambda i: f"x{i},Bad Id,2021-03-01T10:00:00Z,1,1",
    ]
    with (folder / "hired_employees.csv").open("w", newline="") as out:
        lines = []
        for i in range(1, rows + 1):
            if i % BAD_EVERY == 0:
                lines.append(bad[(i // BAD_EVERY) % len(bad)](i))
            else:
                lines.append(
                    f"{i},Person {rng.randrange(10**6)} Name,"
                    f"{rng.choice((2020, 2021, 2021, 2022))}-{rng.randrange(1, 13):02d}-"
                    f"{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
                    f"{rng.randrange(60):02d}Z,{rng.randrange(1, DEPARTMENTS + 1)},"
                    f"{rng.randrange(1, JOBS + 1)}"
                )
            if len(lines) == 100_000:
                out.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            out.write("\n".join(lines) + "\n")
    return folder


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))

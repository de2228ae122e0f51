"""The peak memory of loading a CSV file that is one line of many megabytes, in its own process.

python -m bench.one_line FOLDER [MEGABYTES]

Writes FOLDER/source/departments.csv, `a,a,a,…` with no line end, and loads it through the
service (SQLite, in-process tasks) as `POST /upload/departments` does. The baseline, in the
same process, is reading the same file in 1 MiB blocks. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench.machine import describe, peak_rss_mb
from config import Settings
from main import create_app

MIB = 1024 * 1024


def write_line(path: Path, megabytes: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    block = b"a," * (MIB // 2)
    with path.open("wb") as file:
        for _ in range(megabytes):
            file.write(block)


def read_through(path: Path) -> float:
    started = time.perf_counter()
    with path.open("rb") as file:
        while file.read(MIB):
            pass
    return time.perf_counter() - started


def main() -> None:
    folder = Path(sys.argv[1])
    megabytes = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    source = folder / "source" / "departments.csv"
    write_line(source, megabytes)
    settings = Settings(
        database_url=f"sqlite:///{folder / 'hr.db'}",
        csv_source_dir=source.parent,
        backup_dir=folder / "backups",
    )
    app = create_app(settings)
    client = app.test_client()
    baseline = read_through(source)
    before = peak_rss_mb()
    started = time.perf_counter()
    task_id = client.post("/upload/departments").json["task_id"]
    while (task := client.get(f"/task-status/{task_id}").json)["state"] not in (
        "SUCCESS",
        "FAILURE",
    ):
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    app.extensions["hr_services"].close()
    figures = {
        "machine": describe("not used"),
        "file_mb": megabytes,
        "load_seconds": round(seconds, 3),
        "baseline_read_seconds": round(baseline, 3),
        "rss_before_load_mb": round(before, 1),
        "peak_rss_mb": round(peak, 1),
        "state": task["state"],
        "result": task["result"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""One measured load in its own process, so that its peak memory is its own.

    python -m bench.one_load KIND DATABASE_URL FOLDER

KIND: service (the service's load use case, every rule, rejections stored), copy
(PostgreSQL's COPY of the file's valid lines), to_sql (pandas DataFrame.to_sql of the valid
rows), executemany (SQLite executemany of pre-parsed tuples in one transaction). Prints one
JSON line: rows, seconds, peak_rss_mb. The tables must exist and hold departments and jobs.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

from sqlalchemy import create_engine

from bench.machine import peak_rss_mb
from core.loading import load_csv
from core.ports import Origin
from domain.tables import table_spec
from infra.db.engine import make_engine
from infra.db.unit_of_work import SqlUnitOfWork

COLUMNS = "id, name, datetime, department_id, job_id"


def valid_lines(path: Path, departments: set[int], jobs: set[int]) -> list[bytes]:
    """The lines every rule accepts (read before the clock starts, for the baselines)."""
    good = []
    with path.open("rb") as f:
        for line in f:
            fields = line.decode().rstrip("\n").split(",")
            try:
                ok = (
                    int(fields[0]) > 0
                    and fields[1].strip() != ""
                    and datetime.fromisoformat(fields[2]) is not None
                    and int(fields[3]) in departments
                    and int(fields[4]) in jobs
                )
            except ValueError:
                ok = False
            if ok:
                good.append(line)
    return good


def service(url: str, folder: Path) -> Callable[[], int]:
    engine = make_engine(url)

    def run() -> int:
        with (folder / "hired_employees.csv").open("rb") as stream:
            summary = load_csv(
                partial(SqlUnitOfWork, engine),
                table_spec("hired_employees"),
                stream,
                Origin(task_id="bench"),
            )
        return summary.processed

    return run


def copy(url: str, lines: list[bytes]) -> Callable[[], int]:
    import psycopg

    def run() -> int:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain) as conn, conn.cursor() as cursor:
            statement = f"COPY hired_employees ({COLUMNS}) FROM STDIN (FORMAT csv)"
            with cursor.copy(statement) as cp:
                for start in range(0, len(lines), 10_000):
                    cp.write(b"".join(lines[start : start + 10_000]))
        return len(lines)

    return run


def to_sql(url: str, lines: list[bytes]) -> Callable[[], int]:
    import pandas

    frame = pandas.read_csv(
        io.BytesIO(b"".join(lines)),
        names=["id", "name", "datetime", "department_id", "job_id"],
        parse_dates=["datetime"],
    )
    frame["datetime"] = frame["datetime"].dt.tz_convert(None)
    engine = create_engine(url)

    def run() -> int:
        frame.to_sql("hired_employees", engine, if_exists="append", index=False)
        return len(frame)

    return run


def executemany(url: str, lines: list[bytes]) -> Callable[[], int]:
    rows = [
        (
            int(f[0]),
            f[1],
            datetime.fromisoformat(f[2]).replace(tzinfo=None).isoformat(" ", "microseconds"),
            int(f[3]),
            int(f[4]),
        )
        for f in csv.reader(io.StringIO(b"".join(lines).decode()))
    ]
    engine = make_engine(url)

    def run() -> int:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO hired_employees ({COLUMNS}) VALUES (?, ?, ?, ?, ?)", rows
            )
        return len(rows)

    return run


def main() -> None:
    kind, url, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if kind == "service":
        run = service(url, folder)
    else:
        departments = _ids(folder / "departments.csv")
        jobs = _ids(folder / "jobs.csv")
        lines = valid_lines(folder / "hired_employees.csv", departments, jobs)
        prepare = {"copy": copy, "to_sql": to_sql, "executemany": executemany}[kind]
        run = prepare(url, lines)
    started = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    print(json.dumps({"kind": kind, "rows": rows, "seconds": seconds, "peak_rss_mb": peak}))


def _ids(path: Path) -> set[int]:
    return {int(line.split(",")[0]) for line in path.read_text().splitlines()}


if __name__ == "__main__":
    main()

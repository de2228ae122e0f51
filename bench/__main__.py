"""The benchmark suite: every figure next to its baseline, from one run on one machine.

    python -m bench [--sizes 1000000,10000000] [--out bench/results.md]

Needs the PostgreSQL of BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
where it creates and drops its own databases, and pandas (requirements-bench.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from functools import partial
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.generate import generate
from bench.http_latency import batch_latency, get_latency
from bench.machine import describe
from core.loading import load_csv
from core.ports import Origin
from domain.tables import table_spec
from infra.db.engine import make_engine
from infra.db.migrate import upgrade
from infra.db.unit_of_work import SqlUnitOfWork

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT / "bench" / "data"
ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def fresh_postgres(name: str) -> str:
    admin = make_url(ADMIN_URL)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres(name: str) -> None:
    admin = make_url(ADMIN_URL)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepared(url: str, folder: Path) -> str:
    """The schema, with departments and jobs loaded: ready for hired_employees."""
    engine = make_engine(url)
    upgrade(engine)
    for table in ("departments", "jobs"):
        with (folder / f"{table}.csv").open("rb") as stream:
            load_csv(
                partial(SqlUnitOfWork, engine),
                table_spec(table),
                stream,
                Origin(),
            )
    engine.dispose()
    return url


def one_load(kind: str, url: str, folder: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.one_load", kind, url, str(folder)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    measured["rows_per_s"] = measured["rows"] / measured["seconds"]
    print(
        f"  {kind:12} {measured['rows']:>10,} rows  {measured['seconds']:8.1f} s  "
        f"{measured['rows_per_s']:>10,.0f} rows/s  peak RSS {measured['peak_rss_mb']:.0f} MB",
        flush=True,
    )
    return measured


def one_backup(url: str) -> dict:
    folder = DATA / "backups"
    result = subprocess.run(
        [sys.executable, "-m", "bench.one_backup", url, str(folder)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    for made in folder.glob("*.avro"):
        made.unlink()
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"  backup       {measured['rows']:>10,} rows  {measured['seconds']:8.1f} s  "
        f"peak RSS {measured['peak_rss_mb']:.0f} MB (at start {measured['rss_before_mb']:.0f} MB)",
        flush=True,
    )
    return measured


def worker_figures(folder: Path) -> dict[int, dict]:
    """hired_employees.csv split in 8 parts, loaded by 1 and by 2 Celery workers."""
    import redis

    from config import Settings
    from main import create_app

    broker = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    redis.Redis.from_url(broker).flushdb()
    part_mb = (folder / "hired_employees.csv").stat().st_size / 8 / 1024 / 1024
    figures = {}
    for workers in (1, 2):
        url = prepared(fresh_postgres("bench_workers"), folder)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": broker,
            "CSV_SOURCE_DIR": str(folder),
            "LOAD_PART_MB": f"{part_mb:.3f}",
        }
        log = (DATA / f"workers-{workers}.log").open("wb")
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "main.celery_app",
                    "worker",
                    "--pool=solo",
                    "--hostname",
                    f"bench{n}@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=PROJECT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for n in range(workers)
        ]
        app = create_app(
            Settings(
                database_url=url,
                csv_source_dir=folder,
                celery_broker_url=broker,
                load_part_mb=part_mb,
            )
        )
        try:
            client = app.test_client()
            started = time.perf_counter()
            task_id = client.post("/upload/hired_employees").json["task_id"]
            while (task := client.get(f"/task-status/{task_id}").json)["state"] not in (
                "SUCCESS",
                "FAILURE",
            ):
                time.sleep(0.2)
            seconds = time.perf_counter() - started
            assert task["state"] == "SUCCESS", task["error"]
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=60)
            log.close()
            app.extensions["hr_services"].close()
            drop_postgres("bench_workers")
        rows = task["result"]["processed"]
        figures[workers] = {
            "rows": rows,
            "seconds": seconds,
            "rows_per_s": rows / seconds,
            "parts": task["result"].get("parts", 1),
        }
        print(
            f"  {workers} worker(s)  {rows:>10,} rows  {seconds:8.1f} s  {rows / seconds:>10,.0f} rows/s  "
            f"in {figures[workers]['parts']} parts",
            flush=True,
        )
    return figures


def gunicorn(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "RATE_LIMIT": "1000000 per minute",  # the clients measure the service, not its limit
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "main:create_app()"],
        cwd=PROJECT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start: {log.read_text()}")


def http_figures(url: str, size: int, port: int, reports: bool) -> dict:
    figures = {}
    server = gunicorn(url, port, DATA / f"gunicorn-{port}.log")
    try:
        if reports:
            figures["quarter"] = get_latency(
                port, "/report/hired-by-quarter?year=2021", 50, lambda p: len(p["rows"]) > 0
            )
            figures["above"] = get_latency(
                port, "/report/hiring-above-average?year=2021", 50, lambda p: len(p["rows"]) > 0
            )
        figures["batch"] = batch_latency(port, clients=4, per_client=25, first_id=size + 1_000_000)
        if reports:  # right after the batches: the reports still answer, and quickly
            figures["quarter_after_batches"] = get_latency(
                port, "/report/hired-by-quarter?year=2021", 20, lambda p: len(p["rows"]) > 0
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--out", default=str(PROJECT / "bench" / "results.md"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with psycopg.connect(
        make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    ) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    machine = describe(pg_version)
    print("machine:", machine, flush=True)
    runs = []
    for size in sizes:
        folder = DATA / str(size)
        if not (folder / "hired_employees.csv").exists():
            print(f"generating {size:,} rows in {folder}", flush=True)
            generate(size, folder)
        print(f"{size:,} hired_employees rows (1% bad):", flush=True)
        run: dict = {"size": size}
        for kind in ("service", "copy", "to_sql"):
            url = prepared(fresh_postgres(f"bench_{kind}"), folder)
            run[f"pg_{kind}"] = one_load(kind, url, folder)
            if kind == "service":
                run["pg_http"] = http_figures(url, size, 18_765, reports=True)
                run["pg_backup"] = one_backup(url)
            drop_postgres(f"bench_{kind}")
        for kind in ("service", "executemany"):
            path = DATA / f"bench_{kind}.sqlite3"
            for leftover in DATA.glob(f"bench_{kind}.sqlite3*"):
                leftover.unlink()
            url = prepared(f"sqlite:///{path}", folder)
            run[f"sqlite_{kind}"] = one_load(kind, url, folder)
            if kind == "service":
                run["sqlite_http"] = http_figures(url, size, 18_766, reports=False)
            for leftover in DATA.glob(f"bench_{kind}.sqlite3*"):
                leftover.unlink()
        run["workers"] = worker_figures(folder)
        runs.append(run)
        print(
            json.dumps(run["pg_http"] | {"sqlite_batch": run["sqlite_http"]["batch"]}), flush=True
        )
        # Written after each size, so that a long run keeps what it measured so far.
        Path(args.out).write_text(render(machine, runs))
        raw = {"machine": machine, "runs": runs}
        Path(args.out).with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")
        print(f"written to {args.out}", flush=True)


def render(machine: dict[str, str], runs: list[dict]) -> str:
    lines = ["# Benchmark results", "", "Written by `make bench` (`python -m bench`). Machine:", ""]
    lines += [f"- {k}: {v}" for k, v in machine.items()]
    lines += [
        "",
        "## Loads of hired_employees.csv (1% bad rows)",
        "",
        "| rows | path | rows/s | vs baseline | peak RSS |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        size, copy, to_sql = run["size"], run["pg_copy"], run["pg_to_sql"]
        service, sqlite, plain = run["pg_service"], run["sqlite_service"], run["sqlite_executemany"]
        lines += [
            f"| {size:,} | PostgreSQL: the service's load (every rule, rejections stored) | {service['rows_per_s']:,.0f} | "
            f"{service['rows_per_s'] / copy['rows_per_s']:.2f} x COPY, {service['rows_per_s'] / to_sql['rows_per_s']:.2f} x to_sql | {service['peak_rss_mb']:.0f} MB |",
            f"| {size:,} | PostgreSQL: COPY of the valid lines (baseline) | {copy['rows_per_s']:,.0f} | 1 | |",
            f"| {size:,} | PostgreSQL: pandas `to_sql` of the valid rows (baseline) | {to_sql['rows_per_s']:,.0f} | | |",
            f"| {size:,} | SQLite: the service's load | {sqlite['rows_per_s']:,.0f} | {sqlite['rows_per_s'] / plain['rows_per_s']:.2f} x executemany | {sqlite['peak_rss_mb']:.0f} MB |",
            f"| {size:,} | SQLite: executemany of pre-parsed tuples, one transaction (baseline) | {plain['rows_per_s']:,.0f} | 1 | |",
        ]
    lines += [
        "",
        "## HTTP under gunicorn on loopback (2 workers x 4 threads)",
        "",
        "| employees | what | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    for run in runs:
        size, pg, lite = run["size"], run["pg_http"], run["sqlite_http"]
        lines += [
            f"| {size:,} | PostgreSQL: POST /batch/hired_employees, 1000 rows, 4 clients | {pg['batch'][0]:.1f} | {pg['batch'][1]:.1f} |",
            f"| {size:,} | SQLite: POST /batch/hired_employees, 1000 rows, 4 clients | {lite['batch'][0]:.1f} | {lite['batch'][1]:.1f} |",
            f"| {size:,} | PostgreSQL: GET /report/hired-by-quarter | {pg['quarter'][0]:.1f} | {pg['quarter'][1]:.1f} |",
            f"| {size:,} | PostgreSQL: GET /report/hiring-above-average | {pg['above'][0]:.1f} | {pg['above'][1]:.1f} |",
            f"| {size:,} | PostgreSQL: GET /report/hired-by-quarter right after the batches | {pg['quarter_after_batches'][0]:.1f} | {pg['quarter_after_batches'][1]:.1f} |",
        ]
    lines += ["", "## Backup of hired_employees to AVRO (PostgreSQL)", ""]
    lines += [
        "| employees | seconds | file size | peak RSS | RSS at start |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        b = run["pg_backup"]
        lines.append(
            f"| {b['rows']:,} | {b['seconds']:.1f} | {b['bytes'] / 1e6:.1f} MB "
            f"| {b['peak_rss_mb']:.0f} MB | {b['rss_before_mb']:.0f} MB |"
        )
    lines += ["", "## One file split in 8 parts over Celery workers (PostgreSQL)", ""]
    lines += ["| rows | workers | seconds | rows/s | vs 1 worker |", "|---|---|---|---|---|"]
    for run in runs:
        one = run["workers"][1]
        for workers, w in run["workers"].items():
            lines.append(
                f"| {w['rows']:,} | {workers} | {w['seconds']:.1f} | {w['rows_per_s']:,.0f} "
                f"| {w['rows_per_s'] / one['rows_per_s']:.2f} |"
            )
    lines += [
        "",
        "One run. On a shared 2-core virtual machine the same figure can move by half or",
        "more from one run to the next, and within a run: compare figures measured side by side.",
    ]
    lines += [
        "",
        "The COPY and to_sql baselines load only the lines every rule accepts (COPY stops at the",
        "first bad line); the service reads the whole file and stores each bad row with its reason.",
        "All of them write the same table, whose only index is its primary key. The service's",
        "load also keeps the hire_counts summary in step, in the same transactions.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

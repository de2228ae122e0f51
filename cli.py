"""The service's commands on Flask's CLI: `flask --app main COMMAND`.

Each command calls use cases with plain values, as the routes do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from flask import Flask

from api.reports import REPORTS, report, report_file
from config import SAMPLE_DATA_DIR, Settings
from core.errors import ServiceError
from core.ports import FINISHED, TaskRecord
from core.services import Services
from core.tasks import table_results
from domain.reports import DEFAULT_YEAR
from domain.tables import LOAD_ORDER, TABLES

POLL_SECONDS = 0.2


def register_commands(app: Flask, settings: Settings, services: Services) -> None:
    @app.cli.command("backup")
    @click.argument("tables", nargs=-1, type=click.Choice(LOAD_ORDER))
    def backup(tables: tuple[str, ...]) -> None:
        """Back up TABLES (all three when none is named) to AVRO files."""
        for made in services.backups.backup(list(tables or LOAD_ORDER)):
            click.echo(f"{made.meta.table}: {made.meta.rows} rows -> {made.name}")

    @app.cli.command("backups")
    @click.option("--table", type=click.Choice(LOAD_ORDER))
    def backups(table: str | None) -> None:
        """List the backups, newest first."""
        for found in services.backups.available(table):
            meta = found.meta
            click.echo(
                f"{found.name}\t{meta.table}\t{meta.rows} rows\t{found.size} bytes\t"
                f"{meta.created_at:%Y-%m-%d %H:%M:%S}Z"
            )

    @app.cli.command("restore")
    @click.argument("tables", nargs=-1, required=True, type=click.Choice(LOAD_ORDER))
    @click.option(
        "--backup", "names", multiple=True, help="A backup to restore (default: the newest)."
    )
    def restore(tables: tuple[str, ...], names: tuple[str, ...]) -> None:
        """Replace the rows of TABLES with those of their backups, in one transaction."""
        chosen: dict[str, str | None] = dict.fromkeys(tables)
        for name in names:
            table = next((t for t in tables if name.startswith(f"{t}-")), None)
            if table is None:
                raise click.BadParameter(f"{name} is not a backup of {', '.join(tables)}")
            chosen[table] = name
        try:
            restored = services.backups.restore(chosen)
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        for r in restored:
            click.echo(f"{r.table}: {r.rows} rows from {r.backup}")

    @app.cli.command("check")
    def check() -> None:
        """Count the hires of every stored employee again and compare with the report summary."""
        differences = services.consistency.hire_count_differences()
        for d in differences:
            click.echo(
                f"department {d.department_id}, job {d.job_id}, {d.year} Q{d.quarter}: "
                f"{d.counted} employees stored, {d.summary} in the summary"
            )
        if differences:
            raise click.ClickException(
                f"{len(differences)} hire counts differ from the employees stored"
            )
        click.echo("hire counts: every count equals the employees stored")

    @app.cli.command("load")
    @click.argument("tables", nargs=-1, type=click.Choice(LOAD_ORDER))
    @click.option(
        "--file",
        "path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Load this file (into the one TABLE named) instead of the source's.",
    )
    @click.option("--strict", is_flag=True, help="Exit with status 1 when rows were rejected.")
    def load(tables: tuple[str, ...], path: Path | None, strict: bool) -> None:
        """Load TABLES (all three when none is named) from the CSV source, or --file."""
        if path is not None and len(tables) != 1:
            raise click.UsageError("--file loads one table: name it")
        loads = services.loads
        try:
            if path is not None:
                with path.open("rb") as stream:
                    submitted = [loads.upload(tables[0], stream)]
            elif tables:
                submitted = [loads.submit(t) for t in LOAD_ORDER if t in tables]
            else:
                submitted = [loads.submit_all()]
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        rejected = 0
        for task in submitted:
            ended = _follow(services, task.id)
            if ended.state != "SUCCESS":
                raise click.ClickException(f"task {ended.id} {ended.state}: {ended.error}")
            for summary in table_results(ended.result):
                rejected += summary["rejected"]
                click.echo(
                    f"{summary['table']}: {summary['processed']} rows, "
                    f"{summary['inserted']} inserted, {summary['already_exists']} already there, "
                    f"{summary['rejected']} rejected ({summary.get('lines_read', '?')} lines)"
                )
                for r in summary["rejections"][:10]:
                    click.echo(f"  line {r['line']}: {r['reason']}: {r['message']}")
        if strict and rejected:
            raise click.ClickException(f"{rejected} rows were rejected")

    @app.cli.command("tasks")
    @click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
    def tasks(limit: int) -> None:
        """The latest load tasks, newest first."""
        items, total = services.loads.page(1, limit)
        columns = ("task", "table", "state", "rows", "%", "created")
        cells = [
            (
                t.id,
                t.table,
                t.state,
                t.rows_read,
                services.loads.progress(t).percent,
                f"{t.created_at:%Y-%m-%d %H:%M:%S}" if t.created_at else None,
            )
            for t in items
        ]
        click.echo(text_table(columns, cells), nl=False)
        click.echo(f"{len(items)} of {total} tasks")

    @app.cli.command("report")
    @click.argument("name", type=click.Choice(REPORTS))
    @click.option("--year", type=int, default=DEFAULT_YEAR, show_default=True)
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json", "svg", "png", "html"]),
        default="table",
        show_default=True,
    )
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="A file.")
    def report_command(name: str, year: int, fmt: str, output: Path | None) -> None:
        """Print a report (or write it to --output): hired-by-quarter or hiring-above-average."""
        try:
            if fmt == "table":
                found = report(name, year)
                table = text_table(found.columns, found.cells)
                if "mean" in found.body:
                    table += f"mean: {found.body['mean']:.2f} hires\n"
                body: str | bytes = table
            else:
                body = report_file(name, year, fmt).body
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        if output is not None:
            output.write_bytes(body.encode() if isinstance(body, str) else body)
            click.echo(f"{name} {year}: written to {output}")
        elif isinstance(body, bytes):
            raise click.UsageError(f"a {fmt} image needs --output FILE")
        else:
            click.echo(body.encode(), nl=False)  # as it is: CSV lines end with CRLF

    @app.cli.command("rejections")
    @click.option("--table", type=click.Choice(sorted(TABLES)))
    @click.option("--task", "task_id", help="Only the rejections of this load task.")
    @click.option("--batch", "batch_id", help="Only the rejections of this batch.")
    @click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
    def rejections(
        table: str | None, task_id: str | None, batch_id: str | None, limit: int, as_json: bool
    ) -> None:
        """The latest rejected rows, with their reasons."""
        items, total = services.listings.rejections(1, limit, table, task_id, batch_id)
        if as_json:
            for item in items:
                click.echo(json.dumps(item, default=str))
            return
        columns = ("table", "line", "index", "id", "field", "reason", "message")
        click.echo(text_table(columns, [tuple(i.get(c) for c in columns) for i in items]), nl=False)
        click.echo(f"{len(items)} of {total} rejections")

    @app.cli.command("create-containers")
    @click.option("--with-sample-data", is_flag=True, help="Put the sample CSV files in it.")
    def create_containers(with_sample_data: bool) -> None:
        """Create the CSV source and the backup store (containers or folders) if missing."""
        if settings.azure_storage_connection_string:
            where = f"container {settings.azure_storage_container}"
        else:
            where = f"folder {settings.csv_source_dir}"
        created = services.source_files.create()
        click.echo(f"{where}: {'created' if created else 'exists'}")
        if settings.azure_storage_connection_string and settings.azure_backup_container:
            backups_at = f"backup container {settings.azure_backup_container}"
        else:
            backups_at = f"backup folder {settings.backup_dir}"
        created = services.backups.create_store()
        click.echo(f"{backups_at}: {'created' if created else 'exists'}")
        if with_sample_data:
            added = services.source_files.add(sorted(SAMPLE_DATA_DIR.glob("*.csv")))
            for name in added:
                click.echo(f"{name}: copied into the CSV source")
            if not added:
                click.echo("the sample files are in the CSV source already")


def text_table(columns: Sequence[str], cells: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell; numbers to the right."""
    shown = [[("" if c is None else str(c)) for c in row] for row in cells]
    widths = [max([len(h), *(len(r[i]) for r in shown)]) for i, h in enumerate(columns)]
    numeric = [all(isinstance(row[i], int | float) for row in cells) for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(columns), rule, *(line(r) for r in shown)]) + "\n"


def _follow(services: Services, task_id: str) -> TaskRecord:
    """Wait for a task to end, with a progress bar of its share of bytes read."""
    loads = services.loads
    with click.progressbar(length=100, label=f"task {task_id[:8]}", show_eta=False) as bar:
        shown = 0
        while True:
            task = loads.get(task_id)
            percent = int(loads.progress(task).percent or 0)
            if percent > shown:
                bar.update(percent - shown)
                shown = percent
            if task.state in FINISHED:
                return task
            time.sleep(POLL_SECONDS)

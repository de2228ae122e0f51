"""The service's commands on Flask's CLI: `flask --app main COMMAND`.

Each command calls use cases with plain values, as the routes do.
"""

from __future__ import annotations

import click
from flask import Flask

from config import SAMPLE_DATA_DIR, Settings
from core.errors import ServiceError
from core.services import Services
from domain.tables import LOAD_ORDER


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

    @app.cli.command("create-containers")
    @click.option("--with-sample-data", is_flag=True, help="Put the sample CSV files in it.")
    def create_containers(with_sample_data: bool) -> None:
        """Create the CSV source (blob container or folder) if it is missing."""
        if settings.azure_storage_connection_string:
            where = f"container {settings.azure_storage_container}"
        else:
            where = f"folder {settings.csv_source_dir}"
        created = services.source_files.create()
        click.echo(f"{where}: {'created' if created else 'exists'}")
        if with_sample_data:
            added = services.source_files.add(sorted(SAMPLE_DATA_DIR.glob("*.csv")))
            for name in added:
                click.echo(f"{name}: copied into the CSV source")
            if not added:
                click.echo("the sample files are in the CSV source already")

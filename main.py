"""The composition root: builds the adapters from the settings and wires them to the API.

`python main.py` serves the app; `celery -A main.celery_app worker` runs a load worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import click
from celery import Celery
from flask import Flask

import api
from config import SAMPLE_DATA_DIR, Settings
from core.backups import Backups
from core.consistency import hire_count_differences
from core.errors import DatabaseUnavailable, ServiceError
from core.ports import BackupStore, CsvSource, TaskQueue
from core.services import Once, Services
from core.tasks import LoadTasks
from domain.tables import LOAD_ORDER
from infra.backup.blob_store import BlobBackupStore
from infra.backup.folder_store import FolderBackupStore
from infra.db.engine import make_engine
from infra.db.migrate import upgrade
from infra.db.read_model import SqlReadModel
from infra.db.report_queries import SqlReportQueries
from infra.db.task_store import SqlTaskStore
from infra.db.unit_of_work import SqlUnitOfWork
from infra.storage.azure_blob import BlobCsvSource
from infra.storage.local_folder import LocalFolderCsvSource
from infra.tasks.celery_queue import CeleryTaskQueue, celery_init_app, make_celery
from infra.tasks.in_process import InProcessTaskQueue

VERSION = "1.0.0"


log = logging.getLogger(__name__)


def build_services(settings: Settings, celery: Celery | None = None) -> Services:
    """The adapters and use cases. The service starts even when its database cannot be
    reached: the migrations (and the resumption of orphaned loads) are tried again by every
    request until they succeed, and until then requests that need the database answer 503."""
    engine = make_engine(settings.database_url)

    def uow_factory(snapshot: bool = False, exclusive: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, snapshot, exclusive, settings.lock_wait_seconds)

    source = build_source(settings)
    queue: TaskQueue
    closers: list[Callable[[], None]] = [engine.dispose]
    if celery is not None:
        queue = CeleryTaskQueue(celery)
    else:
        in_process = InProcessTaskQueue(lambda task_id, part: loads.run(task_id, part))
        queue = in_process
        closers.insert(0, in_process.shutdown)
    task_store = SqlTaskStore(engine)
    loads = LoadTasks(
        uow_factory,
        task_store,
        source,
        queue,
        part_bytes=int(settings.load_part_mb * 1024 * 1024),
        max_record_bytes=settings.max_record_kb * 1024,
        lease_seconds=settings.task_lease_seconds,
        retry_seconds=settings.load_retry_seconds,
    )

    def prepare() -> None:
        upgrade(engine)

    prepared = Once(prepare)
    try:
        prepared()
    except DatabaseUnavailable:
        log.warning("the database is unreachable: answering 503 until it can be reached")
    engine.dispose()  # no connection is shared with worker processes forked later
    if celery is None:  # a Celery worker keeps the leases once it is ready
        closers.insert(0, loads.keep_leases())
    return Services(
        prepare=prepared,
        closers=closers,
        backups=Backups(uow_factory, build_backup_store(settings), tasks=task_store),
        uow_factory=uow_factory,
        loads=loads,
        reports=SqlReportQueries(engine),
        read_model=SqlReadModel(engine),
        source=source,
        queue=queue,
    )


def build_backup_store(settings: Settings) -> BackupStore:
    if settings.azure_storage_connection_string and settings.azure_backup_container:
        return BlobBackupStore.from_connection_string(
            settings.azure_storage_connection_string, settings.azure_backup_container
        )
    return FolderBackupStore(settings.backup_dir)


def build_source(settings: Settings) -> CsvSource:
    if settings.azure_storage_connection_string:
        return BlobCsvSource.from_connection_string(
            settings.azure_storage_connection_string, settings.azure_storage_container
        )
    return LocalFolderCsvSource(settings.csv_source_dir)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    celery = None
    if settings.celery_broker_url:
        celery = make_celery(settings.celery_broker_url, settings.celery_visibility_timeout)
    services = build_services(settings, celery)
    app = Flask(__name__)
    app.config["VERSION"] = VERSION
    api.register(app, services, api_keys=settings.api_keys, max_upload_mb=settings.max_upload_mb)
    if celery is not None:
        celery_init_app(app, celery, services.loads.run, services.loads.keep_leases)
    register_commands(app, settings, services)
    return app


def register_commands(app: Flask, settings: Settings, services: Services) -> None:
    """Flask CLI commands: `flask --app main:create_app COMMAND`."""

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
                f"{found.name}\t{meta.table}\t{meta.rows} rows\t{found.size} bytes\t{meta.created_at:%Y-%m-%d %H:%M:%S}Z"
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
        differences = hire_count_differences(services.uow_factory)
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
        """Create the blob container of the CSV source if it is missing."""
        source = services.source
        if isinstance(source, BlobCsvSource):
            created = source.create_container()
            click.echo(
                f"container {settings.azure_storage_container}: {'created' if created else 'exists'}"
            )
        if with_sample_data:
            for path in sorted(SAMPLE_DATA_DIR.glob("*.csv")):
                if not source.exists(path.name):
                    with path.open("rb") as stream:
                        source.save(path.name, stream)
                    click.echo(f"{path.name}: copied into the CSV source")


def __getattr__(name: str) -> Any:
    """`main.app` for WSGI servers and `main.celery_app` for `celery -A`, built on first use."""
    if name == "app":
        return create_app()
    if name == "celery_app":
        settings = Settings.from_env()
        if not settings.celery_broker_url:
            raise RuntimeError("set CELERY_BROKER_URL to run a Celery worker")
        return create_app(settings).extensions["celery"]
    raise AttributeError(name)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    create_app(settings).run(host=settings.host, port=settings.port, threaded=True)

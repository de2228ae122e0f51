"""The composition root: the adapters chosen by the settings, and the use cases built on them.

Everything the service is made of is built here, once per process; entry points (routes,
CLI commands, Celery tasks) receive the use cases and nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from celery import Celery

from config import Settings
from core.audit import AuditTrail
from core.backups import Backups
from core.batches import Batches
from core.consistency import Consistency
from core.errors import DatabaseUnavailable
from core.idempotency import Idempotency
from core.listings import Listings
from core.ports import BackupStore, CsvSource, TaskQueue
from core.reports import Reports
from core.services import Once, Readiness, Services
from core.source_files import SourceFiles
from core.tasks import LoadTasks
from infra.backup.blob_store import BlobBackupStore
from infra.backup.folder_store import FolderBackupStore
from infra.db.audit_log import SqlAuditLog
from infra.db.engine import make_engine
from infra.db.idempotency_store import SqlIdempotencyStore
from infra.db.migrate import upgrade
from infra.db.read_model import SqlReadModel
from infra.db.report_queries import SqlReportQueries
from infra.db.task_store import SqlTaskStore
from infra.db.unit_of_work import SqlUnitOfWork
from infra.storage.azure_blob import BlobCsvSource
from infra.storage.local_folder import LocalFolderCsvSource
from infra.tasks.celery_queue import CeleryTaskQueue
from infra.tasks.in_process import InProcessTaskQueue

log = logging.getLogger(__name__)


def build_services(settings: Settings, celery: Celery | None = None) -> Services:
    """The use cases on the adapters the settings name.

    The service starts even when its database cannot be reached: the migrations are tried
    again by every request until they succeed, and until then requests that need the
    database answer 503.
    """
    engine = make_engine(settings.database_url)

    def uow_factory(snapshot: bool = False, exclusive: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, snapshot, exclusive, settings.lock_wait_seconds)

    closers: list[Callable[[], None]] = [engine.dispose]
    queue: TaskQueue
    in_process: InProcessTaskQueue | None = None
    if celery is not None:
        queue = CeleryTaskQueue(celery)
    else:
        queue = in_process = InProcessTaskQueue()
    source = build_source(settings)
    backup_store = build_backup_store(settings)
    task_store = SqlTaskStore(engine)
    read_model = SqlReadModel(engine)
    audit_log = SqlAuditLog(engine)
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
    if in_process is not None:
        in_process.serve(loads.run)
        closers.insert(0, in_process.shutdown)

    prepared = Once(lambda: upgrade(engine))
    try:
        prepared()
    except DatabaseUnavailable:
        log.warning("the database is unreachable: answering 503 until it can be reached")
    engine.dispose()  # no connection is shared with worker processes forked later
    if celery is None:  # a Celery worker keeps the leases once it is ready
        closers.insert(0, loads.keep_leases())
    return Services(
        loads=loads,
        batches=Batches(uow_factory),
        reports=Reports(SqlReportQueries(engine)),
        listings=Listings(read_model, audit_log),
        backups=Backups(uow_factory, backup_store, tasks=task_store, audit_log=audit_log),
        consistency=Consistency(uow_factory),
        source_files=SourceFiles(source),
        readiness=Readiness(read_model, source, backup_store, queue, prepared),
        idempotency=Idempotency(
            SqlIdempotencyStore(engine), ttl=timedelta(hours=settings.idempotency_ttl_hours)
        ),
        audit=AuditTrail(audit_log),
        closers=closers,
        prepare=prepared,
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

"""The composition root: builds the adapters from the settings and wires them to the API.

`python main.py` serves the app; `celery -A main.celery_app worker` runs a load worker.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

import api
from config import Settings
from core.ports import CsvSource
from core.services import Services
from core.tasks import LoadTasks
from infra.db.engine import make_engine
from infra.db.migrate import upgrade
from infra.db.read_model import SqlReadModel
from infra.db.report_queries import SqlReportQueries
from infra.db.task_store import SqlTaskStore
from infra.db.unit_of_work import SqlUnitOfWork
from infra.storage.azure_blob import BlobCsvSource
from infra.storage.local_folder import LocalFolderCsvSource
from infra.tasks.in_process import InProcessTaskQueue

VERSION = "1.0.0"


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings.database_url)
    upgrade(engine)

    def uow_factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    source = build_source(settings)
    queue = InProcessTaskQueue(lambda task_id: loads.run(task_id))
    loads = LoadTasks(uow_factory, SqlTaskStore(engine), source, queue)
    return Services(
        closers=[queue.shutdown, engine.dispose],
        uow_factory=uow_factory,
        loads=loads,
        reports=SqlReportQueries(engine),
        read_model=SqlReadModel(engine),
        source=source,
        queue=queue,
    )


def build_source(settings: Settings) -> CsvSource:
    if settings.azure_storage_connection_string:
        return BlobCsvSource.from_connection_string(
            settings.azure_storage_connection_string, settings.azure_storage_container
        )
    return LocalFolderCsvSource(settings.csv_source_dir)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["VERSION"] = VERSION
    api.register(
        app,
        build_services(settings),
        api_keys=settings.api_keys,
        max_upload_mb=settings.max_upload_mb,
    )
    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return create_app()
    raise AttributeError(name)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    create_app(settings).run(host=settings.host, port=settings.port, threaded=True)

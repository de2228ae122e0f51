"""The HTTP entry point: Flask blueprints that parse requests, call core, shape answers."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, request

from api import backups, batches, console, docs, health, listings, loads, reports
from api.deps import services
from api.errors import register_error_handlers
from api.json_provider import ServiceJSONProvider
from api.metrics import Metrics
from api.security import require_api_key
from api.text import CONVERTERS
from core.services import Services


def register(
    app: Flask, services: Services, *, api_keys: Sequence[str], max_upload_mb: int
) -> None:
    """Attach the routes, error handlers and request checks of the service to app."""
    app.json = ServiceJSONProvider(app)
    app.url_map.converters.update(CONVERTERS)
    app.extensions["hr_services"] = services
    app.config["MAX_CONTENT_LENGTH"] = max_upload_mb * 1024 * 1024
    app.before_request(require_api_key(tuple(api_keys)))
    register_error_handlers(app)
    Metrics(app)
    app.before_request(_database_prepared)
    for module in (health, loads, batches, reports, backups, docs, console):
        app.register_blueprint(module.bp)
    app.register_blueprint(listings.blueprint())


# What answers without the database: liveness, readiness (which checks it), the documents.
_WITHOUT_DATABASE = frozenset({"health.health", "health.ready", "static"})
_BLUEPRINTS_WITHOUT_DATABASE = frozenset({"docs", "metrics"})


def _database_prepared() -> None:
    """Until the database has been reached once (and migrated), each route that needs it
    tries again, and answers 503 service_unavailable while it is unreachable."""
    if (
        request.url_rule is None  # 404 and 405 answers
        or request.endpoint in _WITHOUT_DATABASE
        or request.blueprint in _BLUEPRINTS_WITHOUT_DATABASE
    ):
        return
    services().prepare()

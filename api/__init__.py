"""The HTTP entry point: Flask blueprints that parse requests, call core, shape answers."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

from api import backups, batches, docs, health, listings, loads, reports
from api.errors import register_error_handlers
from api.json_provider import ServiceJSONProvider
from api.metrics import Metrics
from api.security import require_api_key
from core.services import Services


def register(
    app: Flask, services: Services, *, api_keys: Sequence[str], max_upload_mb: int
) -> None:
    """Attach the routes, error handlers and request checks of the service to app."""
    app.json = ServiceJSONProvider(app)
    app.extensions["hr_services"] = services
    app.config["MAX_CONTENT_LENGTH"] = max_upload_mb * 1024 * 1024
    app.before_request(require_api_key(tuple(api_keys)))
    register_error_handlers(app)
    Metrics(app)
    for module in (health, loads, batches, listings, reports, backups, docs):
        app.register_blueprint(module.bp)

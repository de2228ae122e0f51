"""The HTTP entry point: Flask blueprints that parse requests, call core, shape answers."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, request

from api import (
    audit,
    backups,
    batches,
    console,
    docs,
    health,
    idempotency,
    listings,
    loads,
    reports,
    request_id,
)
from api.bodies import check_bodies
from api.deps import services
from api.errors import register_error_handlers
from api.headers import secure_headers
from api.json_provider import ServiceJSONProvider
from api.metrics import Metrics
from api.ratelimit import rate_limit
from api.security import guard
from api.text import CONVERTERS
from config import DEFAULT_RATE_LIMIT, ApiKey
from core.services import Services


def register(
    app: Flask,
    services: Services,
    *,
    api_keys: Sequence[ApiKey],
    max_upload_mb: int,
    metrics_token: str | None = None,
    rate_limit_per_caller: str = DEFAULT_RATE_LIMIT,
    rate_limit_storage: str = "memory://",
    cors_origins: Sequence[str] = (),
) -> None:
    """Attach the routes, error handlers and request checks of the service to app."""
    app.json = ServiceJSONProvider(app)
    app.url_map.converters.update(CONVERTERS)
    app.extensions["hr_services"] = services
    app.config["MAX_CONTENT_LENGTH"] = max_upload_mb * 1024 * 1024
    request_id.register(app)  # first: every answer and log line has the request's id
    guarded = guard(api_keys, metrics_token)
    app.extensions["hr_guard"] = guarded
    app.before_request(guarded.identify)
    rate_limit(app, rate_limit_per_caller, rate_limit_storage)  # by the caller identified
    app.before_request(guarded.check)
    check_bodies(app, max_upload_mb * 1024 * 1024)
    secure_headers(app, cors_origins)
    register_error_handlers(app)
    Metrics(app)
    app.before_request(_database_prepared)
    idempotency.register(app)
    for module in (health, loads, batches, reports, backups, docs, console):
        app.register_blueprint(module.bp)
    app.register_blueprint(listings.blueprint())
    audit.register(app)


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

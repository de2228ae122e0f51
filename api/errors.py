"""Every error answer is JSON: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from core import errors
from domain.tables import TABLES, UnknownTable

log = logging.getLogger(__name__)

_STATUS: dict[type[errors.ServiceError], int] = {
    errors.NotFound: 404,
    errors.InvalidBatch: 422,
    errors.InvalidRequest: 400,
    errors.InvalidSourceName: 400,
    errors.Conflict: 409,
    errors.RestoreInProgress: 409,
    errors.WritesInProgress: 409,
    errors.LoadInProgress: 409,
    errors.InvalidBackup: 422,
    errors.IdempotencyKeyReused: 422,
    errors.Unavailable: 503,
}


def error_response(status: int, code: str, message: str, details: object = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(errors.ServiceError)
    def service_error(error: errors.ServiceError) -> Response:
        status = next((s for kind, s in _STATUS.items() if isinstance(error, kind)), 400)
        response = error_response(status, error.code, error.message, error.details)
        if error.retry_after is not None:
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(UnknownTable)
    def unknown_table(error: UnknownTable) -> Response:
        return error_response(
            404,
            "unknown_table",
            f"no table named {error.name!r}",
            {"tables": sorted(TABLES)},
        )

    @app.errorhandler(ValidationError)
    def invalid_parameters(error: ValidationError) -> Response:
        return error_response(400, "invalid_parameters", _summary(error), error.messages)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = re.sub(r"\W+", "_", (error.name or "error").lower()).strip("_")
        return error_response(error.code or 500, code, error.description or code)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error")
        return error_response(500, "internal_error", "the service failed to answer; see its log")


def _summary(error: ValidationError) -> str:
    messages = error.messages
    if isinstance(messages, dict):
        parts = [
            f"{name}: {' '.join(map(str, m)) if isinstance(m, list) else m}"
            for name, m in messages.items()
        ]
        return "; ".join(parts)
    return str(messages)

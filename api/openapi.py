"""The service's OpenAPI 3 document, built from the request schemas and the route list."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from api.idempotency import HEADER as IDEMPOTENCY_KEY
from api.idempotency import REPLAYED
from api.listings import listing_path
from api.schemas import (
    STORABLE_PATTERN,
    AuditArgs,
    BackupArgs,
    BatchBody,
    ConsoleArgs,
    PageArgs,
    RejectionArgs,
    ReportArgs,
    RestoreAllBody,
    RestoreBody,
)
from api.security import BEARER_ROUTES, PUBLIC, ROUTE_ROLES
from core.audit import Action
from core.idempotency import KEY_PATTERN, MAX_KEY
from domain.tables import TABLES

_ERROR = {"$ref": "#/components/schemas/Error"}
_PART_STATE = {"type": "string", "enum": ["ok", "down"]}
_PARTS = ("database", "csv_source", "backup_store", "task_queue")
_READY = {
    "type": "object",
    "required": ["status", "checks", "down"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "unavailable"]},
        "checks": {
            "type": "object",
            "required": list(_PARTS),
            "properties": dict.fromkeys(_PARTS, _PART_STATE),
            "additionalProperties": False,
        },
        "down": {"type": "array", "items": {"type": "string", "enum": list(_PARTS)}},
    },
}
_OBJECT = {"type": "object"}
_TABLE = {
    "name": "table",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": sorted(TABLES)},
}


_NULLABLE_INTEGER = {"type": "integer", "nullable": True}
_NULLABLE_NUMBER = {"type": "number", "nullable": True}
_MOMENT = {"type": "string", "format": "date-time"}
_PROGRESS = {
    "type": "object",
    "description": "how far the load has got; a split load's figures add up its parts'",
    "required": [
        "rows_read",
        "bytes_read",
        "bytes_total",
        "percent",
        "rows_per_second",
        "eta_seconds",
    ],
    "properties": {
        "rows_read": {
            "type": "integer",
            "description": "records processed so far (stored or rejected), in every file",
        },
        "bytes_read": {
            "type": "integer",
            "description": "bytes of its files those records were read from, line ends included",
        },
        "bytes_total": {
            **_NULLABLE_INTEGER,
            "description": "the size of its files (all three for a load of all tables); "
            "null while not known",
        },
        "percent": {
            **_NULLABLE_NUMBER,
            "description": "100 * bytes_read / bytes_total, rounded down to 0.01; 100 once "
            "the load succeeded; null while bytes_total is not known",
        },
        "rows_per_second": {
            **_NULLABLE_NUMBER,
            "description": "rows_read over the seconds since the load started, to its end "
            "once it ended; null before it started",
        },
        "eta_seconds": {
            **_NULLABLE_NUMBER,
            "description": "seconds left at the pace its bytes have been read so far; 0 once "
            "the load ended; null while that pace is not known",
        },
    },
}
_TASK = {
    "type": "object",
    "required": [
        "task_id",
        "table",
        "source",
        "state",
        "progress",
        "result",
        "error",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
    ],
    "properties": {
        "task_id": {"type": "string"},
        "table": {"type": "string", "description": "a table, or 'all'"},
        "source": {"type": "string", "description": "the file(s) in the CSV source"},
        "state": {
            "type": "string",
            "enum": ["PENDING", "STARTED", "SUCCESS", "FAILURE", "CANCELLED"],
        },
        "progress": {"$ref": "#/components/schemas/TaskProgress"},
        "result": {"type": "object", "nullable": True},
        "error": {"type": "string", "nullable": True},
        "attempts": {"type": "integer"},
        "created_at": _MOMENT,
        "started_at": {
            **_MOMENT,
            "nullable": True,
            "description": "when the run that loads it started (a split load: when it was split)",
        },
        "finished_at": {
            **_MOMENT,
            "nullable": True,
            "description": "when it ended: its load (a split load's last part) done, failed "
            "or cancelled",
        },
    },
}
_TASK_REF = {"$ref": "#/components/schemas/Task"}
_TASK_PAGE = {
    "type": "object",
    "required": ["items", "page", "per_page", "total"],
    "properties": {
        "items": {"type": "array", "items": _TASK_REF},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "total": {"type": "integer"},
    },
}

_TASK_ID = {
    "name": "task_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "pattern": STORABLE_PATTERN},
}


def _answer(
    description: str, schema: dict[str, Any] = _OBJECT, mime: str = "application/json"
) -> dict[str, Any]:
    return {"description": description, "content": {mime: {"schema": schema}}}


_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds after which the same request may succeed",
        "schema": {"type": "integer"},
    }
}
_UNAVAILABLE = {
    **_answer(
        "a part the route needs (database, CSV source, backup store, task queue) is unreachable",
        _ERROR,
    ),
    "headers": _RETRY_AFTER,
}

_TOO_MANY = {
    **_answer("more requests than RATE_LIMIT allows this key (or address)", _ERROR),
    "headers": _RETRY_AFTER,
}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _answer("error", _ERROR) for code in codes}


def _op(summary: str, ok: dict[str, Any], *errors: int, **extra: Any) -> dict[str, Any]:
    """An operation; every one but those of _op_without_parts may answer 503."""
    responses = {**ok, **_errors(*errors), "503": _UNAVAILABLE}
    return {"summary": summary, "responses": responses, **extra}


def _op_without_parts(summary: str, ok: dict[str, Any]) -> dict[str, Any]:
    """An operation that needs no database nor storage: it never answers 503."""
    return {"summary": summary, "responses": ok}


_TEXT = {"type": "string"}
_DOWNLOAD = {
    "Content-Disposition": {
        "description": "the file name, as <report>-<year>.<format>: attachment for CSV, SVG and "
        "PNG, inline for HTML",
        "schema": {"type": "string"},
    }
}
_IDEMPOTENCY_KEY = {
    "name": IDEMPOTENCY_KEY,
    "in": "header",
    "required": False,
    "description": (
        "A key of your choosing (a UUID, say) that makes the request safe to send again: the "
        "same key with the same request replays the first answer, with nothing done again; "
        "with another request it is a 422 idempotency_key_reused; while the first request "
        "runs, a 409 idempotency_key_in_use. Kept 24 hours (IDEMPOTENCY_TTL_HOURS), per API key."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": KEY_PATTERN},
}
_REPLAYED = {
    REPLAYED: {
        "description": "true when this is the answer kept for the Idempotency-Key, replayed",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


# The writes that take an Idempotency-Key (the routes marked @idempotent).
IDEMPOTENT_PATHS = (
    "/upload-files",
    "/upload/{table}",
    "/batch/{table}",
    "/backup/{table}",
    "/backup",
    "/restore/{table}",
    "/restore",
)


def _idempotent(operation: dict[str, Any]) -> dict[str, Any]:
    """A write that takes an Idempotency-Key: its parameter, the answers it adds."""
    operation["parameters"] = [*operation.get("parameters", []), _IDEMPOTENCY_KEY]
    responses = operation["responses"]
    for status, answer in list(responses.items()):
        if status.startswith("2"):
            responses[status] = {**answer, "headers": {**answer.get("headers", {}), **_REPLAYED}}
    for code in (400, 409, 422):
        responses.setdefault(str(code), _answer("error", _ERROR))
    operation["responses"] = dict(sorted(responses.items()))
    return operation


_NULLABLE_TEXT = {"type": "string", "nullable": True}
_AUDIT_ROW = {
    "type": "object",
    "required": [
        "id",
        "at",
        "key_name",
        "role",
        "action",
        "route",
        "target",
        "request_id",
        "outcome",
        "rows",
    ],
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "key_name": _NULLABLE_TEXT,
        "role": _NULLABLE_TEXT,
        "action": {"type": "string", "enum": [a.value for a in Action]},
        "route": {"type": "string"},
        "target": _NULLABLE_TEXT,
        "request_id": _NULLABLE_TEXT,
        "outcome": {"type": "integer"},
        "rows": {"type": "object", "nullable": True},
    },
}
_AUDIT_PAGE = {
    "type": "object",
    "required": ["items", "page", "per_page", "total"],
    "properties": {
        "items": {"type": "array", "items": _AUDIT_ROW},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "total": {"type": "integer"},
    },
}


def _report(summary: str) -> dict[str, Any]:
    """A report: JSON by default, CSV, or a chart as SVG, PNG or an HTML page (format=)."""
    content = {
        "application/json": {"schema": _OBJECT},
        "text/csv": {"schema": _TEXT},
        "image/svg+xml": {"schema": _TEXT},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "text/html": {"schema": _TEXT},
    }
    return _op(
        summary,
        {
            "200": {
                "description": "the report: its rows as JSON or CSV, or drawn as an SVG or PNG "
                "chart, or as a standalone HTML page (the chart, drawn with no network, and "
                "its numbers in a table)",
                "content": content,
                "headers": _DOWNLOAD,
            }
        },
        400,
        parameters=[{"in": "query", "schema": ReportArgs}],
    )


def build_spec(version: str) -> dict[str, Any]:
    spec = APISpec(
        title="HR migration service",
        version=version,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Migrates HR CSV files into SQL, takes batches, backs up, reports."},
    )
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "details": {},
                    },
                }
            },
        },
    )
    spec.components.schema("BatchBody", schema=BatchBody)
    spec.components.schema("TaskProgress", _PROGRESS)
    spec.components.schema("Task", _TASK)
    spec.components.security_scheme(
        "ApiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    )
    spec.components.security_scheme("MetricsToken", {"type": "http", "scheme": "bearer"})
    accepted = {"202": _answer("load queued: task_id and status_url")}
    paths: dict[str, dict[str, Any]] = {
        "/health": {"get": _op_without_parts("liveness", {"200": _answer("alive")})},
        "/health/ready": {
            "get": _op_without_parts(
                "database, CSV source, backup store and task queue reachable",
                {
                    "200": _answer("every part ok", _READY),
                    "503": _answer("a part is down: its name is in 'down'", _READY),
                },
            )
        },
        "/upload-files": {
            "post": _op(
                "load departments, jobs and hired_employees from the CSV source", accepted, 404, 503
            )
        },
        "/upload/{table}": {
            "post": _op(
                "load one table: from the multipart form's one 'file' part, or from a text/csv "
                "body, stored in the source first; with no body at all, from the table's own "
                "file in the source",
                accepted,
                400,
                404,
                503,
                parameters=[_TABLE],
                requestBody={
                    "required": False,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                                "required": ["file"],
                                "additionalProperties": False,
                            }
                        },
                        "text/csv": {"schema": {"type": "string", "format": "binary"}},
                    },
                },
            )
        },
        "/batch/{table}": {
            "post": _op(
                "insert 1 to 1000 rows; each row checked on its own",
                {"200": _answer("summary of every row")},
                400,
                404,
                409,
                422,
                parameters=[_TABLE],
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/BatchBody"}}
                    },
                },
            )
        },
        "/task-status/{task_id}": {
            "get": _op(
                "state, progress and result of a load",
                {"200": _answer("task", _TASK_REF)},
                404,
                parameters=[_TASK_ID],
            )
        },
        "/task/{task_id}/cancel": {
            "post": _op(
                "cancel a PENDING or STARTED load: it stops at its next chunk, keeping what it "
                "stored, which becomes its result",
                {"200": _answer("the task, CANCELLED", _TASK_REF)},
                404,
                409,
                parameters=[_TASK_ID],
            )
        },
        "/task/{task_id}/retry": {
            "post": _op(
                "queue a load that ended FAILURE or CANCELLED again, under the same id; it goes "
                "on from what is stored",
                accepted,
                404,
                409,
                503,
                parameters=[_TASK_ID],
            )
        },
        "/task-list": {
            "get": _op(
                "loads, newest first",
                {"200": _answer("page of tasks", _TASK_PAGE)},
                400,
                parameters=[{"in": "query", "schema": PageArgs}],
            )
        },
        "/rejections": {
            "get": _op(
                "rejected rows with their reasons",
                {"200": _answer("page of rejections")},
                400,
                parameters=[{"in": "query", "schema": RejectionArgs}],
            )
        },
        "/report/hired-by-quarter": {
            "get": _report("hires per department and job in a year, by quarter")
        },
        "/report/hiring-above-average": {
            "get": _report("departments that hired more than the year's mean")
        },
        "/backup/{table}": {
            "post": _op(
                "back up one table to an AVRO file",
                {"201": _answer("the backup: name, rows, size, sha256")},
                404,
                parameters=[_TABLE],
            )
        },
        "/backup": {
            "post": _op(
                "back up the three tables from one view of the database",
                {"201": _answer("the backups")},
            )
        },
        "/backups": {
            "get": _op(
                "stored backups, newest first",
                {"200": _answer("backups")},
                400,
                parameters=[{"in": "query", "schema": BackupArgs}],
            )
        },
        "/restore/{table}": {
            "post": _op(
                "replace a table's rows with a backup's (the newest by default), atomically",
                {"200": _answer("table, backup, rows")},
                400,
                404,
                409,
                422,
                parameters=[_TABLE],
                requestBody={
                    "required": False,
                    "content": {"application/json": {"schema": RestoreBody}},
                },
            )
        },
        "/restore": {
            "post": _op(
                "restore the three tables together, in one transaction",
                {"200": _answer("the restored tables")},
                400,
                404,
                409,
                422,
                requestBody={
                    "required": False,
                    "content": {"application/json": {"schema": RestoreAllBody}},
                },
            )
        },
        "/audit": {
            "get": _op(
                "the audit trail, newest first: every write, and every read of personal data "
                "(for admins)",
                {"200": _answer("page of audit rows", _AUDIT_PAGE)},
                400,
                401,
                403,
                parameters=[{"in": "query", "schema": AuditArgs}],
            )
        },
        "/": {
            "get": _op(
                "the operator's console: a year's reports as charts and tables, rejections, "
                "loads with their progress, uploads and backups (actions the role allows)",
                {
                    "200": _answer("page", _TEXT, "text/html"),
                    "303": {"description": "no key, when keys are configured: to the key form"},
                },
                400,
                parameters=[{"in": "query", "schema": ConsoleArgs}],
            )
        },
        "/console/key": {
            "get": _op("the console's key form", {"200": _answer("page", _TEXT, "text/html")}),
            "post": _op(
                "keep a valid API key in a cookie (HttpOnly, SameSite=Strict) for the console's "
                "requests, then go to the console; an empty key forgets it",
                {
                    "303": {"description": "to the console"},
                    "400": _answer(
                        "not a valid key, or a form sent from another site: the form again",
                        _TEXT,
                        "text/html",
                    ),
                },
                requestBody={
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"key": {"type": "string"}},
                            }
                        }
                    },
                },
            ),
        },
        "/openapi.json": {"get": _op_without_parts("this document", {"200": _answer("OpenAPI 3")})},
        "/docs": {
            "get": _op_without_parts(
                "interactive API page", {"200": _answer("page", {"type": "string"}, "text/html")}
            )
        },
        "/metrics": {
            "get": _op_without_parts(
                "Prometheus metrics", {"200": _answer("metrics", {"type": "string"}, "text/plain")}
            )
        },
    }
    for table in TABLES.values():
        paths[listing_path(table)] = {
            "get": _op(
                f"stored rows of {table.name} by id",
                {"200": _answer("page of rows")},
                400,
                parameters=[{"in": "query", "schema": PageArgs}],
            )
        }
    for path in IDEMPOTENT_PATHS:
        _idempotent(paths[path]["post"])
    for path, operations in paths.items():
        for method, operation in operations.items():
            _secure(f"{method.upper()} {path}", operation)
            if path != "/health":  # the one route never limited
                operation["responses"]["429"] = _TOO_MANY
            if method == "post":  # a body of another type, or over MAX_UPLOAD_MB
                operation["responses"].update(_errors(413, 415))
            operation["tags"] = [_tag(path)]
        spec.path(path=path, operations=operations)
    return spec.to_dict()


# How /docs groups the routes: by the first segment of their path.
_TAGS = {
    "upload-files": "loads",
    "upload": "loads",
    "task-status": "loads",
    "task-list": "loads",
    "task": "loads",
    "batch": "batches",
    "report": "reports",
    "backup": "backups",
    "backups": "backups",
    "restore": "backups",
    "rejections": "listings",
    "": "console",
}


def _tag(path: str) -> str:
    first = path.strip("/").split("/")[0]
    if first in _TAGS:
        return _TAGS[first]
    if any(listing_path(spec) == f"/{first}" for spec in TABLES.values()):
        return "listings"
    return "operations"  # health, metrics, audit, the documents


def _secure(name: str, operation: dict[str, Any]) -> None:
    """The operation's security and role, from the one table of api.security."""
    role = ROUTE_ROLES[name]
    operation["x-role"] = role
    if role == PUBLIC:
        operation["security"] = []
        operation["description"] = "Open to anyone: no key needed."
        return
    operation["security"] = [{"ApiKey": []}]
    operation["description"] = f"Needs an API key of role {role} (or above)."
    if name in BEARER_ROUTES:
        operation["security"].append({"MetricsToken": []})
        operation["description"] += " Or the metrics token as a bearer token."
    operation["responses"].update(
        {
            "401": _answer("no valid API key (when keys are configured)", _ERROR),
            "403": _answer("the key's role is too low for this route", _ERROR),
        }
    )

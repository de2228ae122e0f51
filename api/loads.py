"""Loads of CSV files as background tasks, and their status."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from api.audit import request_audit
from api.deps import services
from api.idempotency import idempotent
from api.schemas import PageArgs, query_args
from core.errors import InvalidRequest
from core.ports import TaskRecord
from core.tasks import LoadTasks
from domain.tables import table_spec

bp = Blueprint("loads", __name__)


@bp.post("/upload-files")
@idempotent
def upload_files() -> tuple[Response, int, dict[str, str]]:
    return _accepted(services().loads.submit_all(request_audit(202)))


@bp.post("/upload/<table>")
@idempotent
def upload_table(table: str) -> tuple[Response, int, dict[str, str]]:
    """A multipart form of one 'file' part, or a text/csv body, is stored in the source and
    loaded; no body at all loads the source's own file. (api.bodies answers 415 to others.)"""
    spec = table_spec(table)
    loads = services().loads
    if request.mimetype == "multipart/form-data":
        files = request.files
        parts = [n for n, _ in request.form.items(multi=True)]
        parts += [n for n, _ in files.items(multi=True)]
        if parts != ["file"] or "file" not in files:
            raise InvalidRequest(
                "a multipart upload holds exactly one part: the CSV file in a field named 'file'",
                {"parts": parts},
            )
        return _accepted(loads.upload(spec.name, files["file"].stream, request_audit(202)))
    if request.mimetype == "text/csv":
        return _accepted(loads.upload(spec.name, request.stream, request_audit(202)))
    return _accepted(loads.submit(spec.name, audit=request_audit(202)))


@bp.get("/task-status/<task_id>")
def task_status(task_id: str) -> Response:
    loads = services().loads
    return jsonify(task_json(loads.get(task_id), loads))


@bp.post("/task/<task_id>/cancel")
def cancel_task(task_id: str) -> Response:
    loads = services().loads
    return jsonify(task_json(loads.cancel(task_id, request_audit()), loads))


@bp.post("/task/<task_id>/retry")
def retry_task(task_id: str) -> tuple[Response, int, dict[str, str]]:
    return _accepted(services().loads.retry(task_id, request_audit(202)))


@bp.get("/task-list")
def task_list() -> Response:
    args = query_args(PageArgs())
    loads = services().loads
    items, total = loads.page(args["page"], args["per_page"])
    return jsonify({"items": [task_json(t, loads) for t in items], **args, "total": total})


def task_json(task: TaskRecord, loads: LoadTasks) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "table": task.table,
        "source": task.source,
        "state": task.state,
        "progress": loads.progress(task).as_dict(),
        "result": task.result,
        "error": task.error,
        "attempts": task.attempts,
        "created_at": task.created_at,
        "started_at": task.started_at,
        "finished_at": task.finished_at,
    }


def _accepted(task: TaskRecord) -> tuple[Response, int, dict[str, str]]:
    status_url = url_for("loads.task_status", task_id=task.id)
    body = {"task_id": task.id, "status_url": status_url}
    return jsonify(body), 202, {"Location": status_url}

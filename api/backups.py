"""AVRO backups of tables, and restores from them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from api.audit import request_audit
from api.deps import services
from api.idempotency import idempotent
from api.schemas import BackupArgs, RestoreAllBody, RestoreBody, json_body, query_args
from domain.tables import LOAD_ORDER, table_spec

bp = Blueprint("backups", __name__)


@bp.post("/backup/<table>")
@idempotent
def backup_table(table: str) -> tuple[Response, int]:
    (made,) = services().backups.backup([table_spec(table).name], request_audit(201))
    return jsonify(made.as_dict()), 201


@bp.post("/backup")
@idempotent
def backup_all() -> tuple[Response, int]:
    made = services().backups.backup(list(LOAD_ORDER), request_audit(201))
    return jsonify({"items": [b.as_dict() for b in made]}), 201


@bp.get("/backups")
def list_backups() -> Response:
    args = query_args(BackupArgs())
    found = services().backups.available(args.get("table"))
    return jsonify({"items": [b.as_dict() for b in found]})


@bp.post("/restore/<table>")
@idempotent
def restore_table(table: str) -> Response:
    spec = table_spec(table)
    body: dict[str, Any] = RestoreBody().load(json_body(required=False, absent={}))
    (restored,) = services().backups.restore({spec.name: body.get("backup")}, request_audit())
    return jsonify(restored.as_dict())


@bp.post("/restore")
@idempotent
def restore_all() -> Response:
    body: dict[str, Any] = RestoreAllBody().load(json_body(required=False, absent={}))
    chosen: dict[str, str | None] = {t: None for t in LOAD_ORDER}
    chosen.update(body.get("backups") or {})
    restored = services().backups.restore(chosen, request_audit())
    return jsonify({"tables": [r.as_dict() for r in restored]})

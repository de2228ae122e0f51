"""The audit trail over HTTP: what each route hands its use case, the rows of refusals, and
GET /audit.

Each audited route passes its use case an Audit of the request (core/audit.py), and the use
case writes the row with its change, or after its read. A request refused with a 4xx by an
audited route is a row too, where it came with an API key: its status is the outcome.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request

from api import caller
from api.deps import services
from api.idempotency import REPLAYED
from api.schemas import AuditArgs, query_args
from core.audit import Action, Actor, Audit
from core.ports import AuditEntry, AuditFilter
from domain.tables import TABLES

bp = Blueprint("audit", __name__)
log = logging.getLogger(__name__)

# The action of each audited route, by endpoint (an upload is a load without a file).
ACTIONS: dict[str, Action] = {
    "batches.batch": Action.BATCH,
    "loads.upload_files": Action.LOAD,
    "loads.upload_table": Action.UPLOAD,
    "loads.cancel_task": Action.CANCEL,
    "loads.retry_task": Action.RETRY,
    "backups.backup_table": Action.BACKUP,
    "backups.backup_all": Action.BACKUP,
    "backups.restore_table": Action.RESTORE,
    "backups.restore_all": Action.RESTORE,
    "listings.rejections": Action.LIST_REJECTIONS,
    "audit.audit": Action.READ_AUDIT,
    **{f"listings.{name}": Action.LIST_ROWS for name in TABLES},
}


def request_audit(outcome: int = 200) -> Audit:
    """The request as its audit row names it; outcome is its status if all goes well."""
    query = request.query_string.decode("latin-1")
    return Audit(
        Actor(caller.key_name(), caller.role()),
        route=f"{request.method} {request.path}" + (f"?{query}" if query else ""),
        request_id=g.get("request_id"),
        outcome=outcome,
    )


@bp.get("/audit")
def audit() -> Response:
    args = query_args(AuditArgs())
    where = AuditFilter(
        args.get("action"), args.get("key_name"), args.get("since"), args.get("until")
    )
    items, total = services().audit.page(where, args["page"], args["per_page"], request_audit())
    return jsonify(
        {
            "items": [entry_json(e) for e in items],
            "page": args["page"],
            "per_page": args["per_page"],
            "total": total,
        }
    )


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "key_name": entry.key_name,
        "role": entry.role,
        "action": entry.action,
        "route": entry.route,
        "target": entry.target,
        "request_id": entry.request_id,
        "outcome": entry.outcome,
        "rows": entry.rows,
    }


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_audit_refusal)


def _audit_refusal(response: Response) -> Response:
    """Write the row of a request with an API key that an audited route refused (4xx)."""
    action = _action()
    if (
        action is None
        or not 400 <= response.status_code < 500
        or caller.key_name() is None
        or REPLAYED in response.headers  # answered before, and audited then
    ):
        return response
    args = request.view_args or {}
    target = args.get("table") or args.get("task_id")
    if action is Action.LIST_ROWS and request.endpoint:
        target = request.endpoint.partition(".")[2]
    try:
        services().audit.record(request_audit(), action, target, outcome=response.status_code)
    except Exception:  # the refusal stands; the database may be what is wrong
        log.exception("the audit row of a refused request could not be written")
    return response


def _action() -> Action | None:
    action = ACTIONS.get(request.endpoint or "")
    if action is Action.UPLOAD and request.mimetype != "multipart/form-data":
        return Action.LOAD
    return action

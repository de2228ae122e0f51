"""New rows through the API, 1 to 1000 a request."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from marshmallow import ValidationError

from api.audit import request_audit
from api.deps import services
from api.idempotency import idempotent
from api.metrics import count_rows
from api.schemas import BatchBody, json_body
from core.errors import InvalidBatch
from domain.tables import table_spec

bp = Blueprint("batches", __name__)


@bp.post("/batch/<table>")
@idempotent
def batch(table: str) -> Response:
    table_spec(table)  # an unknown table is a 404 before the body is read
    body = json_body()
    try:
        envelope = BatchBody().load(body)
    except ValidationError as error:
        raise InvalidBatch(
            'the body must be {"rows": [...]} with 1 to 1000 rows', error.messages
        ) from None
    batch_id, summary = services().batches.insert(table, envelope["rows"], request_audit())
    count_rows(summary)
    return jsonify({"batch_id": batch_id, **summary.as_dict()})

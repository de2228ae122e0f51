"""Marshmallow schemas of the request envelopes and query parameters."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import RAISE, Schema, fields, validate

from domain.reports import DEFAULT_YEAR, YEAR_MAX, YEAR_MIN
from domain.tables import TABLES


class PageArgs(Schema):
    class Meta:
        unknown = RAISE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class RejectionArgs(PageArgs):
    table = fields.String(validate=validate.OneOf(sorted(TABLES)))
    task_id = fields.String(validate=validate.Length(max=36))
    batch_id = fields.String(validate=validate.Length(max=36))


class ReportArgs(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(
        load_default=DEFAULT_YEAR, validate=validate.Range(min=YEAR_MIN, max=YEAR_MAX)
    )
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class BatchBody(Schema):
    class Meta:
        unknown = RAISE

    rows = fields.List(fields.Raw(allow_none=True), required=True)


class TaskAccepted(Schema):
    task_id = fields.String()
    status_url = fields.String()


def query_args(schema: Schema) -> dict[str, Any]:
    loaded: dict[str, Any] = schema.load(request.args.to_dict(flat=True))
    return loaded

"""Marshmallow schemas of the request envelopes and query parameters."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from api.text import storable
from core.errors import InvalidRequest
from domain.reports import DEFAULT_YEAR, YEAR_MAX, YEAR_MIN
from domain.tables import TABLES

NOT_STORABLE = "Must not hold a NUL character or a lone surrogate."


class Text(fields.String):
    """A string a database can store: no NUL character, no lone surrogate."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not storable(text):
            raise ValidationError(NOT_STORABLE)
        return text


class PageArgs(Schema):
    class Meta:
        unknown = RAISE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class RejectionArgs(PageArgs):
    table = Text(validate=validate.OneOf(sorted(TABLES)))
    task_id = Text(validate=validate.Length(max=36))
    batch_id = Text(validate=validate.Length(max=36))


class ReportArgs(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(
        load_default=DEFAULT_YEAR, validate=validate.Range(min=YEAR_MIN, max=YEAR_MAX)
    )
    format = Text(load_default="json", validate=validate.OneOf(["json", "csv"]))


class _Rows(fields.List[Any]):
    """A JSON array, documented as an array of rows; each row meets the data rules, not a schema."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return value


class BatchBody(Schema):
    class Meta:
        unknown = RAISE

    rows = _Rows(fields.Raw(allow_none=True), required=True)


class TaskAccepted(Schema):
    task_id = fields.String()
    status_url = fields.String()


class BackupArgs(Schema):
    class Meta:
        unknown = RAISE

    table = Text(validate=validate.OneOf(sorted(TABLES)))


class RestoreBody(Schema):
    class Meta:
        unknown = RAISE

    backup = Text(validate=validate.Length(min=1, max=1024))


class RestoreAllBody(Schema):
    class Meta:
        unknown = RAISE

    backups = fields.Dict(
        keys=Text(validate=validate.OneOf(sorted(TABLES))),
        values=Text(validate=validate.Length(min=1, max=1024)),
    )


def json_body(required: bool = True) -> Any:
    """The request body as JSON; an empty body is None when not required."""
    data = request.get_data(cache=False)
    if not data.strip() and not required:
        return None
    try:
        return json.loads(data or b"")
    except (ValueError, RecursionError):
        raise InvalidRequest("the body must be JSON") from None


def query_args(schema: Schema) -> dict[str, Any]:
    loaded: dict[str, Any] = schema.load(request.args.to_dict(flat=True))
    return loaded

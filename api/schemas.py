"""Marshmallow schemas of the request envelopes and query parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import request
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from api.text import storable
from core.audit import Action
from core.batches import MAX_BATCH_ROWS
from core.errors import InvalidRequest
from domain.reports import DEFAULT_YEAR, YEAR_MAX, YEAR_MIN
from domain.tables import TABLES

NOT_STORABLE = "Must not hold a NUL character or a lone surrogate."
# The same, documented as a regular expression of the OpenAPI document. (The lone surrogates
# stay out of it: validators built on Rust's regex engine cannot compile them.)
STORABLE_PATTERN = r"^[^\x00]*$"
# A backup's name: a file name ending in .avro.
BACKUP_NAME = r"^[^/\\\x00]+\.avro$"


class Text(fields.String):
    """A string a database can store: no NUL character, no lone surrogate."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": STORABLE_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

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


class AuditArgs(PageArgs):
    action = Text(validate=validate.OneOf([a.value for a in Action]))
    key_name = Text(validate=validate.Length(min=1, max=255))
    since = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "at or after"})
    until = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "before"})

    @post_load
    def in_utc(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for name in ("since", "until"):
            if name in data:
                data[name] = _utc(data[name])
        return data


def _utc(moment: datetime) -> datetime:
    """The moment in UTC; one beyond the years a datetime holds, the first or last there is."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if moment.year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)


class ConsoleArgs(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(
        load_default=DEFAULT_YEAR,
        validate=validate.Range(min=YEAR_MIN, max=YEAR_MAX),
        metadata={"description": "the year whose reports the console shows"},
    )


# JSON and CSV answer the rows; SVG, PNG and HTML draw them (api/charts).
REPORT_FORMATS = ["json", "csv", "svg", "png", "html"]


class ReportArgs(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(
        load_default=DEFAULT_YEAR, validate=validate.Range(min=YEAR_MIN, max=YEAR_MAX)
    )
    format = Text(
        load_default="json",
        validate=validate.OneOf(REPORT_FORMATS),
        metadata={
            "description": "json or csv: the rows; svg, png (the SVG's size, twice over) or "
            "html (a standalone page: the chart and its numbers in a table): a chart"
        },
    )


class _Rows(fields.List[Any]):
    """A JSON array, documented as an array of rows; each row meets the data rules, not a schema."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return value


class BatchBody(Schema):
    class Meta:
        unknown = RAISE

    # Documented bounds; Batches.insert checks them, with its own message.
    rows = _Rows(
        fields.Raw(allow_none=True),
        required=True,
        metadata={"minItems": 1, "maxItems": MAX_BATCH_ROWS},
    )


class TaskAccepted(Schema):
    task_id = fields.String()
    status_url = fields.String()


class BackupArgs(Schema):
    class Meta:
        unknown = RAISE

    table = Text(validate=validate.OneOf(sorted(TABLES)))


def _backup_name() -> Text:
    return Text(
        validate=[
            validate.Length(min=1, max=1024),
            validate.Regexp(
                BACKUP_NAME, error="Must be the file name of a backup, ending in .avro."
            ),
        ],
        metadata={"pattern": BACKUP_NAME},
    )


class RestoreBody(Schema):
    class Meta:
        unknown = RAISE

    backup = _backup_name()


class ChosenBackups(Schema):
    """The backup to restore of each table named; the newest for those not named."""

    class Meta:
        unknown = RAISE

    departments = _backup_name()
    jobs = _backup_name()
    hired_employees = _backup_name()


class RestoreAllBody(Schema):
    class Meta:
        unknown = RAISE

    backups = fields.Nested(ChosenBackups)


def json_body(required: bool = True, absent: Any = None) -> Any:
    """The request body as JSON; no body at all is `absent` when not required."""
    data = request.get_data(cache=False)
    if not data and not required:
        return absent
    try:
        return json.loads(data or b"")
    except (ValueError, RecursionError):
        raise InvalidRequest("the body must be JSON") from None


def query_args(schema: Schema) -> dict[str, Any]:
    loaded: dict[str, Any] = schema.load(request.args.to_dict(flat=True))
    return loaded

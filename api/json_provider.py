"""JSON answers: datetimes as ISO 8601 in UTC, keys in the order they were built."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.json.provider import DefaultJSONProvider


class ServiceJSONProvider(DefaultJSONProvider):
    sort_keys = False
    ensure_ascii = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime):
            return iso(o)
        return DefaultJSONProvider.default(o)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

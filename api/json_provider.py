"""JSON answers: datetimes as ISO 8601 in UTC, keys in the order they were built."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.json.provider import DefaultJSONProvider


class ServiceJSONProvider(DefaultJSONProvider):
    sort_keys = False
    ensure_ascii = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate echoed back: send it as an escape
            text = super().dumps(obj, **{**kwargs, "ensure_ascii": True})
        return text

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime):
            return iso(o)
        return DefaultJSONProvider.default(o)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

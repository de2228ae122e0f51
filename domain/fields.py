"""Field parsers: one per kind of field, for CSV text and for JSON values.

Each returns the parsed value or raises FieldError with a reason code and a message.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from domain.rejections import Reason

MAX_ID = 2_147_483_647
MAX_TEXT = 255

_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)


class FieldError(ValueError):
    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _required() -> FieldError:
    return FieldError(Reason.REQUIRED, "a value is required")


def _checked_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise FieldError(Reason.OUT_OF_RANGE, f"must be between 1 and {MAX_ID}")
    return value


def int_from_text(text: str) -> int:
    text = text.strip()
    if not text:
        raise _required()
    if not (text.isascii() and text.isdigit()):
        raise FieldError(Reason.INVALID_INTEGER, f"{_shown(text)} is not a whole number")
    if len(text.lstrip("0")) > len(str(MAX_ID)):
        raise FieldError(Reason.OUT_OF_RANGE, f"must be between 1 and {MAX_ID}")
    return _checked_id(int(text))


def int_from_json(value: object) -> int:
    if value is None:
        raise _required()
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(Reason.INVALID_INTEGER, f"must be a JSON integer, not {_json_kind(value)}")
    return _checked_id(value)


def text_from_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise _required()
    if len(text) > MAX_TEXT:
        raise FieldError(Reason.TOO_LONG, f"{len(text)} characters, at most {MAX_TEXT}")
    if "\x00" in text or not _encodable(text):
        raise FieldError(
            Reason.INVALID_TEXT,
            "contains a NUL character or a lone surrogate, which cannot be stored",
        )
    return text


def text_from_json(value: object) -> str:
    if value is None:
        raise _required()
    if not isinstance(value, str):
        raise FieldError(Reason.INVALID_TEXT, f"must be a string, not {_json_kind(value)}")
    return text_from_text(value)


def datetime_from_text(text: str) -> datetime:
    """Parse an ISO 8601 date and time; no offset means UTC. Returns an aware UTC datetime."""
    text = text.strip()
    if not text:
        raise _required()
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise FieldError(
            Reason.INVALID_DATETIME,
            f"{_shown(text)} is not an ISO 8601 date and time (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])",
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        tz = UTC if offset in (None, "Z") else _offset(offset)
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micros, tz
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise FieldError(
            Reason.INVALID_DATETIME, f"{_shown(text)} is not a valid date and time"
        ) from None


def datetime_from_json(value: object) -> datetime:
    if value is None:
        raise _required()
    if not isinstance(value, str):
        raise FieldError(
            Reason.INVALID_DATETIME, f"must be an ISO 8601 string, not {_json_kind(value)}"
        )
    return datetime_from_text(value)


def _offset(text: str) -> timezone:
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number" if isinstance(value, float) else "an integer"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__

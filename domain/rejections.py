"""Why a row was refused, and the record of it that is kept."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

KEPT_RAW = 4096  # characters of a raw record kept with its rejection, and the mark of a cut
_MARK_ROOM = 64


class Reason(StrEnum):
    REQUIRED = "required"
    INVALID_INTEGER = "invalid_integer"
    OUT_OF_RANGE = "out_of_range"
    INVALID_TEXT = "invalid_text"
    TOO_LONG = "too_long"
    UNTERMINATED_QUOTE = "unterminated_quote"
    INVALID_DATETIME = "invalid_datetime"
    UNKNOWN_DEPARTMENT = "unknown_department"
    UNKNOWN_JOB = "unknown_job"
    UNKNOWN_REFERENCE = "unknown_reference"  # of a table without a reason code of its own
    WRONG_FIELD_COUNT = "wrong_field_count"
    INVALID_ENCODING = "invalid_encoding"
    DUPLICATE_ID = "duplicate_id"
    UNKNOWN_FIELD = "unknown_field"
    INVALID_ROW = "invalid_row"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Rejection:
    """One refused row: where it came from, what was wrong, and the raw record."""

    table: str
    reason: Reason
    message: str
    raw: str
    field: str | None = None
    record_id: int | None = None
    line: int | None = None  # 1-based physical line of a CSV file
    index: int | None = None  # 0-based position in a JSON batch

    def __post_init__(self) -> None:
        if len(self.raw) > KEPT_RAW + _MARK_ROOM:
            object.__setattr__(self, "raw", capped(self.raw))

    def as_dict(self) -> dict[str, object]:
        where: dict[str, object] = (
            {"line": self.line} if self.line is not None else {"index": self.index}
        )
        return {
            **where,
            "id": self.record_id,
            "field": self.field,
            "reason": self.reason.value,
            "message": self.message,
        }


def capped(raw: str) -> str:
    """The first KEPT_RAW characters of raw, and a mark saying how much was cut."""
    return f"{raw[:KEPT_RAW]}…[cut: {len(raw) - KEPT_RAW} more characters]"


def cut_mark(kept: str, more_bytes: int) -> str:
    """kept, the start of a record of which more_bytes more were never read."""
    return f"{kept}…[cut: {more_bytes} more bytes]"

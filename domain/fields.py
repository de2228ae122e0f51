"""The rules of each kind of field, in one place: one object per Kind of column.

Each has three entry points, which return the field's value or raise FieldError with a
reason code and a message:

- text: a field of a CSV record;
- json: a value of a batch element;
- stored: a value read back from a backup, which must be one these rules give.

Each also carries the pieces that domain.fast_rows assembles into the quick check of a whole
row: the usual written form of the field as a regular expression, and the statements that
turn a field in that form, or a JSON value, into its value or give up (the row then goes
through the entry points above, which accept it or say why not).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

from domain.rejections import Reason
from domain.tables import Kind

MAX_ID = 2_147_483_647
MAX_TEXT = 255
_ID_DIGITS = len(str(MAX_ID))

T = TypeVar("T")


class FieldError(ValueError):
    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class FieldRules(ABC, Generic[T]):
    """The rules of one kind of field.

    The quick pieces are Python source, written once here and assembled per table: in
    `quick_plain`, `{raw}` is a str that fully matches `plain`, the usual written form; in
    `quick_json`, any JSON value. Both set `{value}` or `return None`, and may use the names
    of QUICK_NAMES. They must give up on anything that text or json would refuse, and
    otherwise give the same value. `quick_known` gives up on a `{value}` that is not among
    `{known}`, the ids of the table a reference refers to.
    """

    kind: ClassVar[Kind]
    plain: ClassVar[str]  # a regular expression without groups that matches no comma
    quick_plain: ClassVar[tuple[str, ...]]
    quick_json: ClassVar[tuple[str, ...]]
    quick_known: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def text(self, text: str) -> T: ...

    @abstractmethod
    def json(self, value: object) -> T: ...

    @abstractmethod
    def stored(self, value: object) -> T: ...


class IdRules(FieldRules[int]):
    """A row's id: a whole number from 1 to MAX_ID, written in ASCII digits."""

    kind = Kind.ID
    plain = f"[0-9]{{1,{_ID_DIGITS}}}"
    quick_plain: ClassVar[tuple[str, ...]] = (
        "{value} = int({raw})",
        "if not 0 < {value} <= MAX_ID: return None",
    )
    quick_json: ClassVar[tuple[str, ...]] = (
        "{value} = {raw}",
        "if type({value}) is not int or not 0 < {value} <= MAX_ID: return None",
    )

    def text(self, text: str) -> int:
        text = text.strip()
        if not text:
            raise _required()
        if not (text.isascii() and text.isdigit()):
            raise FieldError(Reason.INVALID_INTEGER, f"{_shown(text)} is not a whole number")
        if len(text.lstrip("0")) > _ID_DIGITS:
            raise _out_of_range()
        return self._in_range(int(text))

    def json(self, value: object) -> int:
        if value is None:
            raise _required()
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(
                Reason.INVALID_INTEGER, f"must be a JSON integer, not {_json_kind(value)}"
            )
        return self._in_range(value)

    def stored(self, value: object) -> int:
        try:
            return self.json(value)
        except FieldError as error:
            raise FieldError(error.reason, f"{value!r} is not an id") from None

    @staticmethod
    def _in_range(value: int) -> int:
        if not 1 <= value <= MAX_ID:
            raise _out_of_range()
        return value


class ReferenceRules(IdRules):
    """The id of a row of another table, which must hold it.

    The entry points check the id alone; RowChecker checks that the table holds it. The
    quick pieces check only that the id is known: the ids known are ids of stored rows, all
    from 1 to MAX_ID.
    """

    kind = Kind.REFERENCE
    quick_known = ("if {value} not in {known}: return None",)
    quick_plain = ("{value} = int({raw})", *quick_known)
    quick_json = ("{value} = {raw}", "if type({value}) is not int: return None", *quick_known)


class TextRules(FieldRules[str]):
    """Text, trimmed, of 1 to MAX_TEXT characters, that a database can store."""

    kind = Kind.TEXT
    plain = "[^,]*"
    quick_plain = (
        "{value} = {raw}.strip()",
        'if not {value} or len({value}) > MAX_TEXT or "\\x00" in {value}: return None',
        "if not ({value}.isascii() or encodable({value})): return None",
    )
    quick_json = ("if type({raw}) is not str: return None", *quick_plain)

    def text(self, text: str) -> str:
        text = text.strip()
        if not text:
            raise _required()
        if len(text) > MAX_TEXT:
            raise FieldError(Reason.TOO_LONG, f"{len(text)} characters, at most {MAX_TEXT}")
        if "\x00" in text or not encodable(text):
            raise FieldError(
                Reason.INVALID_TEXT,
                "contains a NUL character or a lone surrogate, which cannot be stored",
            )
        return text

    def json(self, value: object) -> str:
        if value is None:
            raise _required()
        if not isinstance(value, str):
            raise FieldError(Reason.INVALID_TEXT, f"must be a string, not {_json_kind(value)}")
        return self.text(value)

    def stored(self, value: object) -> str:
        message = f"{value!r} is not a valid text value"
        try:
            text = self.json(value)
        except FieldError as error:
            raise FieldError(error.reason, message) from None
        if text != value:
            raise FieldError(Reason.INVALID_TEXT, message)  # not as trimmed as the rules keep it
        return text


# ISO 8601 as the rules take it: a date, a time to the minute or finer, and a UTC offset
# (none means UTC).
_ISO_8601 = (
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[T ]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
    r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?"
)


class DatetimeRules(FieldRules[datetime]):
    """A moment in ISO 8601, as an aware datetime in UTC."""

    kind = Kind.DATETIME
    # The form of nearly every moment written, in which datetime.fromisoformat, much faster
    # than the rules, gives what they give. (An optional fraction would slow every line.)
    plain = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
    quick_plain = (
        "try:",
        "    {value} = from_iso({raw})",
        "except ValueError:  # no such day or time",
        "    return None",
    )
    quick_json = (
        "if type({raw}) is not str: return None",
        "try:",
        "    {value} = from_iso({raw}) if plain_moment({raw}) else moment({raw})",
        "except ValueError:  # FieldError is one",
        "    return None",
    )
    _syntax = re.compile(_ISO_8601)

    def text(self, text: str) -> datetime:
        """Parse an ISO 8601 date and time; no offset means UTC. An aware UTC datetime."""
        text = text.strip()
        if not text:
            raise _required()
        match = self._syntax.fullmatch(text)
        if match is None:
            raise FieldError(
                Reason.INVALID_DATETIME,
                f"{_shown(text)} is not an ISO 8601 date and time "
                "(YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])",
            )
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        micros = int((fraction or "0")[:6].ljust(6, "0"))
        try:
            tz = UTC if offset in (None, "Z") else _offset(offset)
            moment = datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second or 0),
                micros,
                tz,
            )
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise FieldError(
                Reason.INVALID_DATETIME, f"{_shown(text)} is not a valid date and time"
            ) from None

    def json(self, value: object) -> datetime:
        if value is None:
            raise _required()
        if not isinstance(value, str):
            raise FieldError(
                Reason.INVALID_DATETIME, f"must be an ISO 8601 string, not {_json_kind(value)}"
            )
        return self.text(value)

    def stored(self, value: object) -> datetime:
        if not isinstance(value, datetime) or value.utcoffset() != timedelta(0):
            reason = Reason.REQUIRED if value is None else Reason.INVALID_DATETIME
            raise FieldError(reason, f"{value!r} is not a UTC datetime")
        return value


ID = IdRules()
REFERENCE = ReferenceRules()
TEXT = TextRules()
DATETIME = DatetimeRules()
FIELDS: Mapping[Kind, FieldRules[Any]] = MappingProxyType(
    {rules.kind: rules for rules in (ID, REFERENCE, TEXT, DATETIME)}
)


def _offset(text: str) -> timezone:
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def encodable(text: str) -> bool:
    """Whether the text is valid Unicode: JSON can carry a lone surrogate, no database stores one."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _required() -> FieldError:
    return FieldError(Reason.REQUIRED, "a value is required")


def _out_of_range() -> FieldError:
    return FieldError(Reason.OUT_OF_RANGE, f"must be between 1 and {MAX_ID}")


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


# The names the quick pieces may use, besides builtins.
QUICK_NAMES: Mapping[str, object] = MappingProxyType(
    {
        "MAX_ID": MAX_ID,
        "MAX_TEXT": MAX_TEXT,
        "encodable": encodable,
        "from_iso": datetime.fromisoformat,
        "plain_moment": re.compile(DatetimeRules.plain).fullmatch,
        "moment": DATETIME.text,
    }
)

"""Text that every database stores: no NUL character, no lone surrogate.

PostgreSQL refuses NUL in text, and no database takes a lone surrogate (it is not UTF-8).
Query values holding either are invalid parameters (see api.schemas); a path segment holding
either matches no route, so `/task-status/a%00b` is a 404 like any unknown id.
"""

from __future__ import annotations

from werkzeug.routing import PathConverter, UnicodeConverter, ValidationError


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class StorableSegment(UnicodeConverter):
    """The default converter of path variables, refusing what no database stores."""

    def to_python(self, value: str) -> str:
        if not storable(value):
            raise ValidationError()
        return value


class StorablePath(PathConverter):
    def to_python(self, value: str) -> str:
        if not storable(value):
            raise ValidationError()
        return value


CONVERTERS = {"default": StorableSegment, "string": StorableSegment, "path": StorablePath}

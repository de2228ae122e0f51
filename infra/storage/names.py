"""What may name a file in a CSV source: a relative path that stays inside it."""

from __future__ import annotations

from core.errors import InvalidSourceName

MAX_NAME = 1024


def checked_name(name: str) -> str:
    parts = name.split("/")
    if (
        not name
        or len(name) > MAX_NAME
        or "\\" in name
        or "\x00" in name
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise InvalidSourceName(f"{name!r} is not a file name inside the CSV source")
    return name

"""What may name a file in a CSV source: a relative path that stays inside it."""

from __future__ import annotations

from core.errors import InvalidSourceName

MAX_NAME = 1024


def is_file_name(name: str) -> bool:
    """A relative path of plain parts: no '..', no backslash, nothing a file system refuses."""
    if not name or len(name) > MAX_NAME or "\\" in name or "\x00" in name:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def checked_name(name: str) -> str:
    if not is_file_name(name):
        raise InvalidSourceName(f"{name!r} is not a file name inside the CSV source")
    return name

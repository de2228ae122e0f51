"""Streaming reader of the historical CSV files.

Reads a binary stream line by line, never whole: LF or CRLF line ends, a UTF-8 byte order
mark, an optional header row, blank lines (skipped, not counted), no final newline, and
RFC 4180 quoting. A record that is not valid UTF-8 is reported, not decoded.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class CsvRecord:
    line: int  # 1-based physical line where the record starts
    fields: list[str]
    raw: str
    bad_encoding: bool = False
    error: str | None = None  # what the CSV parser could not read


class _Lines:
    """Decoded physical lines of a byte stream, remembering those of the current record."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.read = 0
        self.record_lines: list[str] = []
        self.bad_encoding = False

    def __iter__(self) -> Iterator[str]:
        for raw in self._stream:
            if self.read == 0 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            self.read += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
                self.bad_encoding = True
            self.record_lines.append(text)
            yield text

    def take_record(self) -> tuple[str, bool]:
        raw = "".join(self.record_lines).rstrip("\r\n")
        bad = self.bad_encoding
        self.record_lines, self.bad_encoding = [], False
        return raw, bad


def read_records(stream: IO[bytes], header: Iterable[str]) -> Iterator[CsvRecord]:
    """Yield the records of a CSV stream; a first row equal to `header` is skipped."""
    lines = _Lines(stream)
    reader = csv.reader(lines, strict=False)
    header_names = [h.casefold() for h in header]
    first_line, first = 1, True
    while True:
        error: str | None = None
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as problem:
            fields, error = [], str(problem)
        raw, bad_encoding = lines.take_record()
        start, first_line = first_line, lines.read + 1
        if error is None and _blank(fields):
            continue
        if first and [f.strip().casefold() for f in fields] == header_names:
            first = False
            continue
        first = False
        yield CsvRecord(start, fields, raw, bad_encoding, error)


def _blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())

"""Streaming reader of the historical CSV files.

Reads a binary stream line by line, never whole: LF or CRLF line ends, a UTF-8 byte order
mark, an optional header row, blank lines (skipped, not counted), no final newline, and
RFC 4180 quoting. A record that is not valid UTF-8 is reported, not decoded.

A line without quotes is split on commas directly; a line with a quote goes to the csv
module, with the lines that follow while a quoted field is open.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import IO, NamedTuple

_BOM = b"\xef\xbb\xbf"


class CsvRecord(NamedTuple):
    line: int  # 1-based physical line where the record starts
    fields: list[str]
    raw: str
    bad_encoding: bool = False
    error: str | None = None  # what the CSV parser could not read


class _Lines:
    """Decoded physical lines, counted, with the encoding errors of the current record."""

    def __init__(self, stream: IO[bytes], first_line: int) -> None:
        self._raw = iter(stream)
        self.count = first_line - 1
        self.bad_encoding = False
        self.taken: list[str] = []

    def next_line(self) -> str | None:
        raw = next(self._raw, None)
        if raw is None:
            return None
        if self.count == 0 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        self.count += 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.bad_encoding = True
            return raw.decode("utf-8", errors="replace")

    def continuation(self) -> Iterator[str]:
        """The lines after the first of a quoted record, as the csv module asks for them."""
        while (text := self.next_line()) is not None:
            self.taken.append(text)
            yield text


def read_records(
    stream: IO[bytes], header: Iterable[str], first_line: int = 1
) -> Iterator[CsvRecord]:
    """Yield the records of a CSV stream; a first row equal to `header` is skipped.

    A stream that is a later part of a file starts at first_line, and has no header.
    """
    lines = _Lines(stream, first_line)
    header_names = [h.casefold() for h in header]
    first = first_line == 1
    while (text := lines.next_line()) is not None:
        start = lines.count
        body = text.rstrip("\r\n")
        error: str | None = None
        if '"' not in body and "\r" not in body:
            fields = body.split(",")
            raw = body
        else:
            lines.taken = [text]
            try:
                fields = next(csv.reader(chain([text], lines.continuation()), strict=False), [])
            except csv.Error as problem:
                fields, error = [], str(problem)
            raw = "".join(lines.taken).rstrip("\r\n")
        bad_encoding, lines.bad_encoding = lines.bad_encoding, False
        if len(fields) <= 1 and error is None and not raw.strip():
            continue
        if first:
            first = False
            if [f.strip().casefold() for f in fields] == header_names:
                continue
        yield CsvRecord(start, fields, raw, bad_encoding, error)

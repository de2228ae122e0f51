"""Streaming reader of the historical CSV files.

Reads a binary stream in blocks of lines, never whole: LF or CRLF line ends, a UTF-8 byte
order mark, an optional header row, blank lines (skipped, not counted), no final newline, and
RFC 4180 quoting. A record that is not valid UTF-8 is reported, not decoded.

Most blocks are plain: valid UTF-8 with no quote and no stray carriage return, so that each
line is one record whose fields are split on commas. Such a block is decoded and split in
one pass and handed on as its lines. Any other block is read record by record, a line with a
quote going to the csv module with the lines that follow while a quoted field is open.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from typing import IO, NamedTuple

_BOM = b"\xef\xbb\xbf"
BLOCK_LINES = 10_000


class CsvRecord(NamedTuple):
    line: int  # 1-based physical line where the record starts
    fields: list[str]
    raw: str
    bad_encoding: bool = False
    error: str | None = None  # what the CSV parser could not read


class PlainLines(NamedTuple):
    """Lines that are one record each, fields split on commas; blank lines are kept."""

    first_line: int  # the physical line number of lines[0]
    lines: list[str]


Block = PlainLines | list[CsvRecord]


def is_blank(line: str) -> bool:
    return not line.strip()


def read_blocks(
    stream: IO[bytes], header: Iterable[str], first_line: int = 1, size: int = BLOCK_LINES
) -> Iterator[Block]:
    """Yield the stream's records, a block of about `size` physical lines at a time.

    A first row equal to `header` is skipped. A stream that is a later part of a file
    starts at first_line, and has no header.
    """
    reader = _Reader(stream, header, first_line)
    while block := list(islice(reader.raw, size)):
        if reader.count == 0 and block[0].startswith(_BOM):
            block[0] = block[0][len(_BOM) :]
        lines = _plain(block)
        if lines is None:
            yield reader.records(block)
        else:
            start, reader.count = reader.count + 1, reader.count + len(lines)
            reader.skip_header(lines)
            yield PlainLines(start, lines)


def read_records(
    stream: IO[bytes], header: Iterable[str], first_line: int = 1, size: int = BLOCK_LINES
) -> Iterator[CsvRecord]:
    """The records of read_blocks one by one; blank lines are left out."""
    for block in read_blocks(stream, header, first_line, size):
        if isinstance(block, PlainLines):
            for offset, line in enumerate(block.lines, block.first_line):
                if not is_blank(line):
                    yield CsvRecord(offset, line.split(","), line)
        else:
            yield from block


def _plain(block: list[bytes]) -> list[str] | None:
    """The block's lines without their ends, if it is plain; else None."""
    data = b"".join(block)
    if b'"' in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


class _Reader:
    """The stream's raw lines, the count of lines read, and whether a header may come."""

    def __init__(self, stream: IO[bytes], header: Iterable[str], first_line: int) -> None:
        self.raw: Iterator[bytes] = iter(stream)
        self.count = first_line - 1
        self.header = [h.casefold() for h in header]
        self.header_pending = first_line == 1

    def is_header(self, fields: list[str]) -> bool:
        self.header_pending = False
        return [f.strip().casefold() for f in fields] == self.header

    def skip_header(self, lines: list[str]) -> None:
        """Blank out the first record of the file if it is the header."""
        if not self.header_pending:
            return
        for offset, line in enumerate(lines):
            if not is_blank(line):
                if self.is_header(line.split(",")):
                    lines[offset] = ""
                return

    def records(self, block: list[bytes]) -> list[CsvRecord]:
        """The records that start in block, read with the lines after it that they span."""
        lines = _Lines(chain(block, self.raw), self.count)
        last = self.count + len(block)
        records = []
        while lines.count < last and (text := lines.next_line()) is not None:
            record = _record(text, lines)
            if record is None:
                continue
            if self.header_pending and self.is_header(record.fields):
                continue
            records.append(record)
        self.count = lines.count
        return records


class _Lines:
    """Decoded physical lines, counted, with the encoding errors of the current record."""

    def __init__(self, raw: Iterator[bytes], count: int) -> None:
        self._raw = raw
        self.count = count
        self.bad_encoding = False
        self.taken: list[str] = []

    def next_line(self) -> str | None:
        raw = next(self._raw, None)
        if raw is None:
            return None
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


def _record(text: str, lines: _Lines) -> CsvRecord | None:
    """The record starting with the line text; None for a blank line."""
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
        return None
    return CsvRecord(start, fields, raw, bad_encoding, error)

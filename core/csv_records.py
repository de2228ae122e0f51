"""Streaming reader of the historical CSV files.

Reads a binary stream in blocks of lines, never whole: LF or CRLF line ends, a UTF-8 byte
order mark, an optional header row, blank lines (skipped, not counted), no final newline, and
RFC 4180 quoting. A record that is not valid UTF-8 is reported, not decoded.

Most blocks are plain: valid UTF-8 with no quote and no stray carriage return, so that each
line is one record whose fields are split on commas. Such a block is decoded and split in
one pass and handed on as its lines. Any other block is read record by record, a line with a
quote going to the csv module with the lines that follow while a quoted field is open.

Memory stays bounded whatever the file. No line is read whole past `max_record` bytes: the
first bytes of a longer one are kept and the rest is skipped up to its line end, and it is
one record rejected as too long. A quoted field that is still open after `max_record` bytes,
or at the end of the file, costs only the line it opened on: that line is rejected as an
unterminated quote and reading resumes on the line after it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import IO, NamedTuple

from domain.rejections import KEPT_RAW, Reason, cut_mark

_BOM = b"\xef\xbb\xbf"
BLOCK_LINES = 10_000
MAX_RECORD_BYTES = 64 * 1024  # the longest record read; a longer one is rejected unread
_SKIP_BYTES = 1024 * 1024  # how much of a too long line is skipped at a time


class CsvRecord(NamedTuple):
    line: int  # 1-based physical line where the record starts
    fields: list[str]
    raw: str
    bad_encoding: bool = False
    error: str | None = None  # why the record cannot be read
    problem: Reason | None = None  # the reason code of that, when it has its own


class PlainLines(NamedTuple):
    """Lines that are one record each, fields split on commas; blank lines are kept."""

    first_line: int  # the physical line number of lines[0]
    lines: list[str]


Block = PlainLines | list[CsvRecord]


def is_blank(line: str) -> bool:
    return not line.strip()


class CsvReader:
    """The stream's records in blocks of about `size` physical lines, and the lines read.

    A first row equal to `header` is skipped. A stream that is a later part of a file
    starts at first_line, and has no header.
    """

    def __init__(
        self,
        stream: IO[bytes],
        header: Iterable[str],
        first_line: int = 1,
        size: int = BLOCK_LINES,
        max_record: int = MAX_RECORD_BYTES,
    ) -> None:
        self._reader = _Reader(stream, header, first_line, max_record)
        self._first_line = first_line
        self._size = size

    @property
    def lines_read(self) -> int:
        """Physical lines read so far, blank ones and the header included."""
        return self._reader.count - self._first_line + 1

    @property
    def bytes_read(self) -> int:
        """Bytes of the stream in those lines, their ends included: once the stream is read
        to its end, its size."""
        reader = self._reader
        return reader.raw.bytes_read - sum(map(_size, reader.back))

    def __iter__(self) -> Iterator[Block]:
        reader = self._reader
        while True:
            overlong = reader.overlong
            block = reader.raw.take(self._size)
            if not block:
                return
            joined, reader.raw.joined = reader.raw.joined, None
            if reader.count == 0 and block[0].startswith(_BOM):
                block[0] = _same_kind(block[0], block[0][len(_BOM) :])
                joined = None if joined is None else joined[len(_BOM) :]
            lines = None if reader.overlong > overlong else _plain(block, joined)
            joined = None  # not kept while the block is used
            if lines is None:
                yield reader.records(block)
            else:
                start, reader.count = reader.count + 1, reader.count + len(lines)
                reader.skip_header(lines)
                yield PlainLines(start, lines)


def read_blocks(
    stream: IO[bytes],
    header: Iterable[str],
    first_line: int = 1,
    size: int = BLOCK_LINES,
    max_record: int = MAX_RECORD_BYTES,
) -> Iterator[Block]:
    """The blocks of a CsvReader."""
    return iter(CsvReader(stream, header, first_line, size, max_record))


def read_records(
    stream: IO[bytes],
    header: Iterable[str],
    first_line: int = 1,
    size: int = BLOCK_LINES,
    max_record: int = MAX_RECORD_BYTES,
) -> Iterator[CsvRecord]:
    """The records of read_blocks one by one; blank lines are left out."""
    for block in read_blocks(stream, header, first_line, size, max_record):
        if isinstance(block, PlainLines):
            for offset, line in enumerate(block.lines, block.first_line):
                if not is_blank(line):
                    yield CsvRecord(offset, line.split(","), line)
        else:
            yield from block


def _plain(block: list[bytes], joined: bytes | None = None) -> list[str] | None:
    """The block's lines without their ends, if it is plain; else None. joined: the block's
    lines joined, if they are at hand."""
    data = b"".join(block) if joined is None else joined
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


class _Overlong(bytes):
    """The first KEPT_RAW of a line longer than the record limit; the rest was skipped."""

    size: int  # the whole line's length in bytes


def _same_kind(line: bytes, value: bytes) -> bytes:
    if type(line) is _Overlong:
        overlong = _Overlong(value)
        overlong.size = line.size
        return overlong
    return value


def _size(line: bytes) -> int:
    """The bytes a line took in the stream, the skipped part of a line too long included."""
    return line.size if type(line) is _Overlong else len(line)


def _skip_rest(read: Callable[[int], bytes], head: bytes) -> _Overlong:
    size = len(head)
    rest = head
    while not rest.endswith(b"\n") and (rest := read(_SKIP_BYTES)):
        size += len(rest)
    overlong = _Overlong(head[:KEPT_RAW])
    overlong.size = size
    return overlong


class _RawLines:
    """The stream's lines, none longer than limit bytes, after any lines put back; and the
    bytes read from the stream so far (lines put back included)."""

    def __init__(self, stream: IO[bytes], limit: int, reader: _Reader) -> None:
        self._read = stream.readline
        self._limit = limit
        self._reader = reader
        self.bytes_read = 0
        self.joined: bytes | None = None  # the lines the last take() gave, joined, if at hand

    def __iter__(self) -> _RawLines:
        return self

    def take(self, count: int) -> list[bytes]:
        """The next count lines, or fewer at the end of the stream."""
        reader = self._reader
        back = reader.back
        lines = [back.pop() for _ in range(min(count, len(back)))]
        reader.overlong += sum(type(line) is _Overlong for line in lines)
        again = len(lines)
        read, limit, append = self._read, self._limit, lines.append
        for _ in range(count - again):
            line = read(limit + 1)
            if not line:
                break
            if len(line) > limit and not line.endswith(b"\n"):
                reader.overlong += 1
                line = _skip_rest(read, line)
                self.bytes_read += line.size - len(line)
            append(line)
        if again:
            self.joined = None
            self.bytes_read += sum(map(len, lines[again:]))
        else:  # the usual case: counted by the join that the plain check needs anyway
            self.joined = b"".join(lines)
            self.bytes_read += len(self.joined)
        return lines

    def __next__(self) -> bytes:
        """One line, for records read one at a time (quoted ones): take()'s, not its twin."""
        lines = self.take(1)
        if not lines:
            raise StopIteration
        return lines[0]


class _Reader:
    """The stream's raw lines, the count of lines read, and whether a header may come."""

    def __init__(
        self, stream: IO[bytes], header: Iterable[str], first_line: int, limit: int
    ) -> None:
        self.back: list[bytes] = []  # lines to read again, the next one last
        self.overlong = 0  # how many lines too long to read have been met
        self.raw = _RawLines(stream, limit, self)
        self.limit = limit
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
        self.back.extend(reversed(block))
        lines = _Lines(self.raw, self.back, self.count, self.limit)
        last = self.count + len(block)
        records = []
        while lines.count < last and (item := lines.next_item()) is not None:
            record = _record(item, lines)
            if record is None:
                continue
            if self.header_pending and self.is_header(record.fields):
                continue
            records.append(record)
        self.count = lines.count
        return records


class _Lines:
    """Physical lines, counted, with what the current record has taken of them."""

    def __init__(self, raw: _RawLines, back: list[bytes], count: int, limit: int) -> None:
        self._raw = raw
        self._back = back
        self.count = count
        self.limit = limit
        self.bad_encoding = False
        self.taken: list[bytes] = []
        self.taken_bytes = 0
        self.cut = False  # the record ran past the limit before its quote closed
        self.ended = False  # the file ended before its quote closed

    def next_item(self) -> bytes | None:
        raw = next(self._raw, None)
        if raw is not None:
            self.count += 1
        return raw

    def decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.bad_encoding = True
            return raw.decode("utf-8", errors="replace")

    def continuation(self) -> Iterator[str]:
        """The lines after the first of a quoted record, as the csv module asks for them."""
        while self.taken_bytes <= self.limit:
            raw = self.next_item()
            if raw is None:
                self.ended = True
                return
            self.taken.append(raw)
            if type(raw) is _Overlong:
                self.cut = True
                return
            self.taken_bytes += len(raw)
            yield self.decode(raw)
        self.cut = True

    def put_back_all_but_first(self) -> None:
        """Read again the lines after the first that the record took."""
        again = self.taken[1:]
        self._back.extend(reversed(again))
        self.count -= len(again)


def _record(item: bytes, lines: _Lines) -> CsvRecord | None:
    """The record starting with the line item; None for a blank line."""
    start = lines.count
    text = lines.decode(item)
    if type(item) is _Overlong:
        return _too_long(
            start, cut_mark(text.rstrip("\r\n"), item.size - len(item)), item.size, lines
        )
    body = text.rstrip("\r\n")
    error: str | None = None
    if '"' not in body and "\r" not in body:
        fields = body.split(",")
        raw = body
    else:
        lines.taken, lines.taken_bytes = [item], len(item)
        lines.cut = lines.ended = False
        try:
            fields = next(csv.reader(chain([text], lines.continuation()), strict=False), [])
        except csv.Error as problem:
            fields, error = [], str(problem)
        if lines.cut or lines.ended:
            return _unterminated(start, body, lines)
        raw = "".join(lines.decode(t) for t in lines.taken).rstrip("\r\n")
        if lines.taken_bytes > lines.limit:
            return _too_long(start, raw, lines.taken_bytes, lines)
    bad_encoding, lines.bad_encoding = lines.bad_encoding, False
    if len(fields) <= 1 and error is None and not raw.strip():
        return None
    return CsvRecord(start, fields, raw, bad_encoding, error)


def _too_long(start: int, text: str, size: int, lines: _Lines) -> CsvRecord:
    lines.bad_encoding = False
    message = f"the record has {size} bytes, more than the limit of {lines.limit}"
    return CsvRecord(start, [], text, False, message, Reason.TOO_LONG)


def _unterminated(start: int, body: str, lines: _Lines) -> CsvRecord:
    where = "before the end of the file" if lines.ended else f"within {lines.limit} bytes"
    lines.put_back_all_but_first()
    lines.bad_encoding = False
    message = f"a quoted field opened on this line is not closed {where}"
    return CsvRecord(start, [], body, False, message, Reason.UNTERMINATED_QUOTE)

"""Cutting a CSV file into parts that workers load side by side.

A cut falls just after a line end outside quoted fields (an even number of quotes before
it), so that no record is split; each part knows the line it starts on, so rejections keep
their line numbers in the whole file. A stray quote in an unquoted field can throw the count
off; the records around a wrong cut are then rejected with their reasons, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    start: int  # byte offset
    end: int | None  # byte offset after the part; None: to the end of the file
    first_line: int


def split(stream: IO[bytes], part_bytes: int) -> list[Part]:
    """Parts of about part_bytes each, found in one streamed pass over the file."""
    starts = [(0, 1)]
    offset = quotes = lines = 0
    target = part_bytes
    while block := stream.read(BLOCK):
        while target < offset + len(block):
            newline = block.find(b"\n", max(target - offset, 0))
            if newline < 0:
                break
            cut = offset + newline + 1
            if (quotes + block.count(b'"', 0, newline)) % 2 == 0:
                starts.append((cut, lines + block.count(b"\n", 0, newline + 1) + 1))
                target = cut + part_bytes
            else:
                target = cut
        quotes += block.count(b'"')
        lines += block.count(b"\n")
        offset += len(block)
    starts = [(start, line) for start, line in starts if start == 0 or start < offset]
    ends: list[int | None] = [start for start, _ in starts[1:]]
    return [
        Part(start, end, line) for (start, line), end in zip(starts, [*ends, None], strict=True)
    ]

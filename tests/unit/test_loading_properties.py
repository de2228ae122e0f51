"""Generated files with every kind of bad record: every line is accounted for, and what is
stored is exactly what the rules accept."""

from __future__ import annotations

import io
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from core.loading import load_csv
from core.ports import Origin, Progress
from domain.tables import DEPARTMENTS
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork

MAX_RECORD = 256
NAMES = st.text(alphabet="abcdefghij XYZ-é", min_size=1, max_size=20).filter(str.strip)


@dataclass(frozen=True)
class Item:
    """One generated record: its bytes (without the line end), and what the rules make of it."""

    data: bytes
    reason: str | None  # None: stored; "blank": not a record
    ident: int = 0
    name: str | None = None  # as stored; a line end in it is the file's


def kinds(ident: int) -> st.SearchStrategy[Item]:
    i = str(ident).encode()
    return st.one_of(
        NAMES.map(lambda n: Item(i + b"," + n.encode(), None, ident, n.strip())),
        NAMES.map(
            lambda n: Item(i + b',"' + n.encode() + b',\n2nd"', None, ident, f"{n},\n2nd".strip())
        ),
        NAMES.map(lambda n: Item(b"x" + i + b"," + n.encode(), "invalid_integer")),
        st.just(Item(b"0,zero", "out_of_range")),
        st.just(Item(i + b",", "required")),
        st.just(Item(i + b"," + b"n" * 300, "too_long")),
        st.just(Item(i + b",a,b", "wrong_field_count")),
        st.just(Item(i + b",\xff\xfe", "invalid_encoding")),
        st.sampled_from([b"", b"   "]).map(lambda b: Item(b, "blank")),
        st.just(Item(i + b"," + b"y" * (MAX_RECORD + 50), "too_long")),
        st.just(Item(i + b',"never closed', "unterminated_quote")),
    )


@st.composite
def files(draw: st.DrawFn) -> tuple[bytes, list[Item], str]:
    items = [draw(kinds(n)) for n in range(1, draw(st.integers(0, 40)) + 1)]
    stored = [k for k, item in enumerate(items) if item.reason is None]
    if stored and draw(st.booleans()):  # an id again, after the row that holds it
        first = items[draw(st.sampled_from(stored))]
        items.append(Item(first.data, "duplicate_id"))
    items = _quotes_closed_by_nothing_after(items)
    end = draw(st.sampled_from(["\n", "\r\n"]))
    header = [Item(b"id,department", "blank")] if draw(st.booleans()) else []
    lines = [item.data.replace(b"\n", end.encode()) for item in [*header, *items]]
    data = end.encode().join(lines)
    if lines and draw(st.booleans()):
        data += end.encode()
    return data, items, end


def _quotes_closed_by_nothing_after(items: list[Item]) -> list[Item]:
    """An open quote costs only its line when no quote follows it within the record limit."""
    kept = []
    for k, item in enumerate(items):
        if item.reason == "unterminated_quote":
            after = b"\n".join(i.data for i in items[k + 1 :])[: MAX_RECORD + 300]
            if b'"' in after:
                continue
        kept.append(item)
    return kept


def physical_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


@settings(max_examples=300, deadline=None)
@given(files(), st.integers(1, 8))
def test_every_line_is_accounted_for_and_only_what_the_rules_accept_is_stored(file, chunk):
    data, items, end = file
    db = FakeDatabase()
    progress: list[Progress] = []
    summary = load_csv(
        lambda: FakeUnitOfWork(db),
        DEPARTMENTS,
        io.BytesIO(data),
        Origin(task_id="t"),
        progress.append,
        chunk_rows=chunk,
        max_record=MAX_RECORD,
    )
    records = [item for item in items if item.reason != "blank"]
    assert summary.lines_read == physical_lines(data)
    assert [p.bytes_read for p in progress] == sorted({p.bytes_read for p in progress})
    assert (progress[-1].bytes_read if progress else 0) == len(data)
    assert summary.processed == summary.inserted + summary.already_exists + summary.rejected
    assert summary.processed == len(records)
    rejected = sorted(r.reason.value for r, _ in db.rejections)
    assert rejected == sorted(item.reason for item in records if item.reason is not None)
    expected = {
        item.ident: (item.name or "").replace("\n", end) for item in items if item.reason is None
    }
    assert {i: values[1] for i, values in db.tables["departments"].items()} == expected

import io
import tracemalloc

from core.csv_records import CsvReader, CsvRecord, PlainLines, read_records
from domain.rejections import KEPT_RAW, Reason

HEADER = ("id", "department")


def records(data: bytes, max_record: int = 65536):
    """The records, the same whatever the block size: plain and quoted blocks agree."""
    got = list(read_records(io.BytesIO(data), HEADER, max_record=max_record))
    for size in (1, 2, 3, 7):
        again = read_records(io.BytesIO(data), HEADER, size=size, max_record=max_record)
        assert list(again) == got, size
    return got


def test_a_file_with_every_tricky_case():
    data = (
        b"\xef\xbb\xbfid,department\r\n"  # BOM and a header row
        b"1,Sales\r\n"
        b"\r\n"  # blank line: skipped, not counted
        b'2,"Research, ""R&D"""\n'  # quoted comma and doubled quotes
        b'3,"Two\nlines"\n'  # a quoted line break: one record over two physical lines
        b"4,Caf\xe9\n"  # Latin-1, not UTF-8
        b"5,a,b\n"
        b"   \n"
        b"6,Last"  # no final newline
    )
    got = records(data)
    assert [(r.line, r.fields, r.bad_encoding) for r in got] == [
        (2, ["1", "Sales"], False),
        (4, ["2", 'Research, "R&D"'], False),
        (5, ["3", "Two\nlines"], False),
        (7, ["4", "Caf\ufffd"], True),
        (8, ["5", "a", "b"], False),
        (10, ["6", "Last"], False),
    ]
    assert got[1].raw == '2,"Research, ""R&D"""'
    assert got[2].raw == '3,"Two\nlines"'


def test_without_header_the_first_line_is_data():
    assert [r.fields for r in records(b"1,Sales\n2,Ops\n")] == [["1", "Sales"], ["2", "Ops"]]


def test_a_header_is_only_skipped_on_the_first_row():
    got = records(b"1,Sales\nid,department\n")
    assert [r.fields for r in got] == [["1", "Sales"], ["id", "department"]]


def test_header_matching_ignores_case_and_spaces():
    assert [r.line for r in records(b"ID , Department\r\n7,Ops\r\n")] == [2]


def test_empty_file_has_no_records():
    assert records(b"") == []
    assert records(b"\xef\xbb\xbf") == []


def test_a_line_longer_than_the_record_limit_is_too_long_unread_and_reading_goes_on():
    data = b'1,Sales\n2,"' + b"x" * 200_000 + b'"\n3,Ops\n'
    got = records(data)
    assert [(r.line, r.problem, r.error) for r in got] == [
        (1, None, None),
        (2, Reason.TOO_LONG, "the record has 200005 bytes, more than the limit of 65536"),
        (3, None, None),
    ]
    assert got[1].raw == '2,"' + "x" * (KEPT_RAW - 3) + f"…[cut: {200_005 - KEPT_RAW} more bytes]"
    assert got[2].fields == ["3", "Ops"]


def test_a_line_without_end_far_past_the_limit_is_read_in_bounded_memory():
    size = 50 * 1024 * 1024
    tracemalloc.start()
    try:
        reader = CsvReader(io.BufferedReader(_Repeated(b"a,", size)), HEADER)
        got = [r for block in reader for r in block]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(r.line, r.problem) for r in got] == [(1, Reason.TOO_LONG)]
    assert got[0].raw == "a," * (KEPT_RAW // 2) + f"…[cut: {size - KEPT_RAW} more bytes]"
    assert got[0].error == f"the record has {size} bytes, more than the limit of 65536"
    assert reader.lines_read == 1
    assert peak < 4 * 1024 * 1024


def test_an_unclosed_quote_costs_its_line_and_reading_resumes_on_the_next():
    lines = [b"%d,Dept %d" % (n, n) for n in range(1, 41)]
    lines[10] = b'11,"Dept 11'
    data = b"\n".join(lines) + b"\n"
    got = records(data, max_record=100)
    assert [(r.line, r.problem) for r in got if r.problem] == [(11, Reason.UNTERMINATED_QUOTE)]
    assert got[10].error == "a quoted field opened on this line is not closed within 100 bytes"
    assert got[10].raw == '11,"Dept 11'
    assert [(r.line, r.fields) for r in got if not r.problem] == [
        (n, [str(n), f"Dept {n}"]) for n in range(1, 41) if n != 11
    ]


def test_a_quote_left_open_at_the_end_of_the_file_costs_only_its_line():
    data = b'1,Sales\n2,"Ops\n3,R&D\n4,Legal'
    got = records(data)
    assert [(r.line, r.problem, r.fields) for r in got] == [
        (1, None, ["1", "Sales"]),
        (2, Reason.UNTERMINATED_QUOTE, []),
        (3, None, ["3", "R&D"]),
        (4, None, ["4", "Legal"]),
    ]
    assert (
        got[1].error
        == "a quoted field opened on this line is not closed before the end of the file"
    )


def test_a_quoted_record_that_closes_past_the_limit_is_too_long_as_one_record():
    data = b'1,"a\n' + b"b" * 30 + b"\n" + b"c" * 30 + b'"\n2,Ops\n'
    got = records(data, max_record=40)
    assert [(r.line, r.problem) for r in got] == [(1, Reason.TOO_LONG), (4, None)]
    assert got[0].error == "the record has 68 bytes, more than the limit of 40"


def offset_after(data: bytes, lines: int) -> int:
    """Where the line after the first `lines` physical lines of data starts."""
    return len(b"".join(data.split(b"\n")[:lines])) + min(lines, data.count(b"\n"))


def test_bytes_read_are_those_of_the_lines_read_after_every_block():
    data = (
        b'\xef\xbb\xbfid,department\r\n\n1,Sales\n2,"a\nb"\n\n3,"open\n4,x\n5,'
        + b"y" * 300
        + b'\n6,Caf\xe9\n7,"c\nd"\n8,z'
    )
    for size in (1, 2, 3, 4, 5, 10_000):
        reader = CsvReader(io.BytesIO(data), HEADER, size=size, max_record=100)
        assert reader.bytes_read == 0
        for _ in reader:
            assert reader.bytes_read == offset_after(data, reader.lines_read), size
        assert (reader.lines_read, reader.bytes_read) == (13, len(data)), size


def test_bytes_read_of_a_line_too_long_count_what_was_skipped_of_it():
    data = b"1,a\n2," + b"x" * 5000 + b"\n3,b"
    reader = CsvReader(io.BytesIO(data), HEADER, size=1, max_record=100)
    seen = [reader.bytes_read for _ in reader]
    assert seen == [4, 4 + 5003, len(data)]


def test_bytes_read_of_a_later_part_of_a_file_are_those_of_the_part():
    part = b"7,Ops\n8,Legal\n"
    reader = CsvReader(io.BytesIO(part), HEADER, first_line=7)
    list(reader)
    assert (reader.lines_read, reader.bytes_read) == (2, len(part))


def test_lines_read_counts_every_physical_line():
    data = b'id,department\n\n1,Sales\n2,"a\nb"\n\n3,"open\n4,x\n5,' + b"y" * 300 + b"\n6,z"
    for size in (1, 2, 3, 10_000):
        reader = CsvReader(io.BytesIO(data), HEADER, size=size, max_record=100)
        got = [(r.line, r.problem) for block in reader for r in _records(block)]
        assert reader.lines_read == 10, size
        assert got == [
            (3, None),
            (4, None),
            (7, Reason.UNTERMINATED_QUOTE),
            (8, None),
            (9, Reason.TOO_LONG),
            (10, None),
        ], size


class _Repeated(io.RawIOBase):
    """A stream of `unit` repeated to `size` bytes, made as it is read."""

    def __init__(self, unit: bytes, size: int) -> None:
        self.unit, self.left = unit, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.left)
        chunk = (self.unit * (n // len(self.unit) + 1))[:n]
        buffer[:n] = chunk
        self.left -= n
        return n


def _records(block):
    if isinstance(block, PlainLines):
        return [
            CsvRecord(n, line.split(","), line)
            for n, line in enumerate(block.lines, block.first_line)
            if line.strip()
        ]
    return block


def test_plain_blocks_keep_line_numbers_blank_lines_and_crlf():
    data = b"\xef\xbb\xbf\r\nid,department\r\n1,Sales\r\n\r\n  \n2,Ops\n3,R&D"
    assert [(r.line, r.fields, r.raw) for r in records(data)] == [
        (3, ["1", "Sales"], "1,Sales"),
        (6, ["2", "Ops"], "2,Ops"),
        (7, ["3", "R&D"], "3,R&D"),
    ]


def test_a_quoted_record_spanning_a_block_end_is_read_whole_and_counting_goes_on():
    data = b'1,Sales\n2,"Two\nthree\nlines"\n3,Ops\n4,\xff\n5,Last\n'
    got = records(data)
    assert [(r.line, r.fields, r.bad_encoding) for r in got] == [
        (1, ["1", "Sales"], False),
        (2, ["2", "Two\nthree\nlines"], False),
        (5, ["3", "Ops"], False),
        (6, ["4", "\ufffd"], True),
        (7, ["5", "Last"], False),
    ]


def test_a_stray_carriage_return_is_left_to_the_csv_module():
    got = records(b"1,Sa\rles\n2,Ops\n")
    assert [(r.line, r.fields, r.raw) for r in got] == [
        (1, [], "1,Sa\rles"),
        (2, ["2", "Ops"], "2,Ops"),
    ]
    assert got[0].error is not None and "new-line character" in got[0].error

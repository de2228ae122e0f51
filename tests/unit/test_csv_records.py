import io

from core.csv_records import read_records

HEADER = ("id", "department")


def records(data: bytes):
    """The records, the same whatever the block size: plain and quoted blocks agree."""
    got = list(read_records(io.BytesIO(data), HEADER))
    for size in (1, 2, 3, 7):
        assert list(read_records(io.BytesIO(data), HEADER, size=size)) == got, size
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


def test_a_record_larger_than_a_field_may_be_is_reported_and_reading_goes_on():
    data = b'1,Sales\n2,"' + b"x" * 200_000 + b'"\n3,Ops\n'
    got = records(data)
    assert [(r.line, r.error) for r in got] == [
        (1, None),
        (2, "field larger than field limit (131072)"),
        (3, None),
    ]
    assert got[2].fields == ["3", "Ops"]


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

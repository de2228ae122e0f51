import io
import itertools
import random

import pytest

from core.csv_records import read_records
from core.splitting import split

HEADER = ("id", "name")


def records_of(data: bytes, parts) -> list:
    got = []
    for part in parts:
        chunk = data[part.start : part.end]
        got += [
            (r.line, r.fields) for r in read_records(io.BytesIO(chunk), HEADER, part.first_line)
        ]
    return got


def sample(rows: int, seed: int) -> bytes:
    rng = random.Random(seed)
    out = [b"id,name\r\n"]
    for i in range(1, rows + 1):
        kind = rng.randrange(6)
        if kind == 0:
            out.append(b'%d,"multi\nline, ""quoted"" name"\r\n' % i)
        elif kind == 1:
            out.append(b"\n")
        else:
            out.append(b"%d,Name %d\r\n" % (i, i))
    return b"".join(out)


@pytest.mark.parametrize("part_bytes", [1, 7, 50, 333, 10_000])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parts_read_as_the_whole_file_does(part_bytes, seed):
    data = sample(300, seed)
    parts = split(io.BytesIO(data), part_bytes)
    whole = [(r.line, r.fields) for r in read_records(io.BytesIO(data), HEADER)]
    assert records_of(data, parts) == whole
    assert parts[0].start == 0 and parts[-1].end is None
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    if part_bytes <= 50:
        assert len(parts) > 10


def test_a_small_file_is_one_part():
    assert [(p.start, p.end, p.first_line) for p in split(io.BytesIO(b"1,a\n2,b\n"), 1000)] == [
        (0, None, 1)
    ]


def test_a_cut_never_falls_inside_quotes():
    data = b'1,"a\n\n\nb"\n2,c\n'
    parts = split(io.BytesIO(data), 3)
    assert [(p.start, p.first_line) for p in parts] == [(0, 1), (10, 5)]
    assert records_of(data, parts) == [(1, ["1", "a\n\n\nb"]), (5, ["2", "c"])]

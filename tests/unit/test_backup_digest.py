"""The checksum of a backup's rows: one canonical text a row, which stored backups rely on."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.backups import RowDigest

MOMENTS = [
    datetime(2021, 7, 21, 1, 4, 52, tzinfo=UTC),
    datetime(2021, 7, 21, 1, 4, 52, 123456, tzinfo=UTC),
    datetime(2021, 7, 21, 3, 4, 52, tzinfo=timezone(timedelta(hours=2))),
    datetime(1000, 1, 1, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def test_a_row_is_hashed_as_its_values_in_text_between_separators():
    digest = RowDigest()
    digest.add((7, "Ana", datetime(2021, 7, 21, 1, 4, 52, tzinfo=UTC), 2, 3))
    digest.add((8, "Zoë", datetime(2021, 7, 21, 3, 4, 52, 5, tzinfo=UTC), 1, 1))
    text = (
        "7\x1fAna\x1f2021-07-21T01:04:52.000000Z\x1f2\x1f3\x1e"
        "8\x1fZoë\x1f2021-07-21T03:04:52.000005Z\x1f1\x1f1\x1e"
    )
    assert digest.rows == 2
    assert digest.hexdigest() == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_moment_is_written_as_strftime_writes_its_utc_time(moment):
    digest = RowDigest()
    digest.add((1, moment))
    text = "1\x1f" + moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "\x1e"
    assert digest.hexdigest() == hashlib.sha256(text.encode("utf-8")).hexdigest()

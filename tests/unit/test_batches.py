import pytest

from core.batches import Batches
from core.errors import InvalidBatch
from domain.rejections import Reason
from domain.tables import DEPARTMENTS
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


def batch(db, rows):
    return Batches(lambda: FakeUnitOfWork(db)).insert(DEPARTMENTS.name, rows)


@pytest.mark.parametrize("rows", [[], [{"id": 1, "department": "x"}] * 1001, {"id": 1}, "rows"])
def test_a_bad_envelope_is_refused_whole_and_nothing_is_written(db, rows):
    with pytest.raises(InvalidBatch):
        batch(db, rows)
    assert db.commits == 0
    assert db.tables["departments"] == {}
    assert db.rejections == []


def test_valid_rows_go_in_one_transaction_and_every_rejection_is_listed(db):
    rows = [{"id": i, "department": f"D{i}"} for i in range(1, 1000)] + [{"id": 5}]
    batch_id, summary = batch(db, rows)
    assert db.commits == 1
    assert (summary.processed, summary.inserted, summary.rejected) == (1000, 999, 1)
    assert [(r.index, r.reason) for r in summary.rejections] == [(999, Reason.DUPLICATE_ID)]
    assert [o.batch_id for _, o in db.rejections] == [batch_id]


def test_a_batch_lists_more_than_a_hundred_rejections(db):
    _, summary = batch(db, [{"id": 0, "department": "x"}] * 300)
    assert summary.rejected == 300
    assert len(summary.rejections) == 300
    assert {r.reason for r in summary.rejections} == {Reason.OUT_OF_RANGE}

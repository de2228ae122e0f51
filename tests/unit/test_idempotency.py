"""The rules of idempotency keys, on a fake store."""

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidIdempotencyKey
from core.idempotency import Idempotency, check_key, final
from core.ports import StoredAnswer
from tests.unit.fakes import FakeIdempotencyStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
OK = StoredAnswer(200, b'{"inserted": 1}', {"Content-Type": "application/json"})


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def idempotency(store=None, clock=None) -> Idempotency:
    return Idempotency(
        store or FakeIdempotencyStore(), ttl=timedelta(hours=24), clock=clock or Clock()
    )


def test_the_first_request_takes_the_key_and_the_same_one_again_gets_its_answer():
    keys = idempotency()
    assert keys.claim("etl", "k1", "print") is None
    keys.finish("etl", "k1", OK)
    assert keys.claim("etl", "k1", "print") == OK
    assert keys.claim("etl", "k1", "print") == OK


def test_the_key_with_another_request_is_refused_even_while_the_first_runs():
    keys = idempotency()
    keys.claim("etl", "k1", "print")
    with pytest.raises(IdempotencyKeyReused):
        keys.claim("etl", "k1", "another")
    keys.finish("etl", "k1", OK)
    with pytest.raises(IdempotencyKeyReused):
        keys.claim("etl", "k1", "another")


def test_the_key_is_in_use_until_the_first_request_is_answered():
    keys = idempotency()
    keys.claim("etl", "k1", "print")
    with pytest.raises(IdempotencyKeyInUse) as refused:
        keys.claim("etl", "k1", "print")
    assert refused.value.retry_after == 1


def test_keys_are_scoped_per_api_key_name():
    keys = idempotency()
    keys.claim("etl", "k1", "print")
    keys.finish("etl", "k1", OK)
    assert keys.claim("bi", "k1", "another") is None
    assert keys.claim("", "k1", "print") is None


@pytest.mark.parametrize(
    "answer",
    [
        StoredAnswer(503, b"{}", {"Retry-After": "5"}),
        StoredAnswer(500, b"{}", {}),
        StoredAnswer(429, b"{}", {}),
        StoredAnswer(409, b"{}", {"Retry-After": "10"}),  # restore_in_progress: try later
    ],
)
def test_an_answer_that_says_try_later_is_not_kept_and_the_key_is_released(answer):
    keys = idempotency()
    keys.claim("", "k1", "print")
    keys.finish("", "k1", answer)
    assert keys.claim("", "k1", "another body now") is None


@pytest.mark.parametrize("status", [200, 201, 202, 400, 404, 409, 422])
def test_final_answers_are_kept(status):
    assert final(StoredAnswer(status, b"", {}))


def test_a_released_key_may_be_sent_again():
    keys = idempotency()
    keys.claim("", "k1", "print")
    keys.release("", "k1")
    assert keys.claim("", "k1", "print") is None


def test_keys_expire_and_are_swept_at_most_once_a_minute():
    store, clock = FakeIdempotencyStore(), Clock()
    keys = idempotency(store, clock)
    keys.claim("", "old", "print")
    keys.finish("", "old", OK)
    assert store.sweeps == 1
    clock.now = T0 + timedelta(hours=24, seconds=1)
    assert keys.claim("", "old", "another") is None  # expired: taken afresh
    keys.claim("", "other", "print")
    assert store.sweeps == 2
    clock.now += timedelta(seconds=59)
    keys.claim("", "third", "print")
    assert store.sweeps == 2
    clock.now += timedelta(seconds=1)
    keys.claim("", "fourth", "print")
    assert store.sweeps == 3


def test_an_expired_key_is_swept():
    store, clock = FakeIdempotencyStore(), Clock()
    keys = idempotency(store, clock)
    keys.claim("", "old", "print")
    clock.now = T0 + timedelta(days=2)
    keys.claim("", "new", "print")
    assert set(store.keys) == {("", "new")}


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "caf\u00e9", "tab\there", "new\nline", " lead", "trail ", "\x7f"]
)
def test_a_key_too_long_or_not_printable_ascii_is_invalid(key):
    with pytest.raises(InvalidIdempotencyKey):
        check_key(key)


@pytest.mark.parametrize("key", ["a", "x" * 255, "8e0f-4c1b b2", "!~"])
def test_printable_ascii_keys_up_to_255_characters_are_valid(key):
    assert check_key(key) == key

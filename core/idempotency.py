"""Idempotency keys: a write sent again under the same key is answered, not done, again.

As Stripe and the IETF draft "The Idempotency-Key HTTP Header Field" define them: the first
request sent with a key takes it (an INSERT that a unique constraint lets one request win)
and runs; its answer is recorded with the fingerprint of the request (method, path, body).
The same key sent again with the same fingerprint gets that answer again; with another
fingerprint it is refused (IdempotencyKeyReused), and while the first request runs it is
refused as in use (IdempotencyKeyInUse). An answer that says to try again later (5xx, 429,
or one with Retry-After) is not kept: the key is released, so that the request may be sent
again under it. Keys are kept for a while (24 hours by default), then swept.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.errors import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidIdempotencyKey
from core.ports import IdempotencyStore, StoredAnswer

MAX_KEY = 255
# Printable ASCII, with no space at either end (HTTP drops them on the way).
KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
TTL = timedelta(hours=24)
SWEEP_EVERY = timedelta(minutes=1)
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def check_key(key: str) -> str:
    """The key, if it is 1 to 255 printable ASCII characters; else InvalidIdempotencyKey."""
    if len(key) > MAX_KEY or not _KEY.fullmatch(key):
        raise InvalidIdempotencyKey(
            f"an Idempotency-Key is 1 to {MAX_KEY} printable ASCII characters, "
            "with no space at either end",
            {"length": len(key), "max": MAX_KEY},
        )
    return key


def final(answer: StoredAnswer) -> bool:
    """Whether an answer is kept for the key: not one that says to try again later."""
    headers = {name.lower() for name in answer.headers}
    return answer.status < 500 and answer.status != 429 and "retry-after" not in headers


@dataclass
class Idempotency:
    store: IdempotencyStore
    ttl: timedelta = TTL
    clock: Callable[[], datetime] = field(default=_now)
    sweep_every: timedelta = SWEEP_EVERY
    _last_sweep: datetime | None = field(default=None, init=False, repr=False)
    _sweeping: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def claim(self, scope: str, key: str, fingerprint: str) -> StoredAnswer | None:
        """Take the key for a request about to run (None), or give the answer to replay.

        Raise IdempotencyKeyReused if the key was sent with another request, and
        IdempotencyKeyInUse while the request that took it runs.
        """
        check_key(key)
        now = self.clock()
        self._sweep(now)
        found = self.store.claim(scope, key, fingerprint, now, now + self.ttl)
        if found is None:
            return None
        if found.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was sent with another request (method, path or body); "
                "send a new key for a new request"
            )
        if found.answer is None:
            raise IdempotencyKeyInUse(
                "a request sent with this Idempotency-Key is still running; "
                "send it again once that one is answered"
            )
        return found.answer

    def finish(self, scope: str, key: str, answer: StoredAnswer) -> None:
        """Keep the answer of the request that took the key, or release the key if the
        answer says to try again later."""
        if final(answer):
            self.store.finish(scope, key, answer)
        else:
            self.store.release(scope, key)

    def release(self, scope: str, key: str) -> None:
        self.store.release(scope, key)

    def _sweep(self, now: datetime) -> None:
        """Delete the expired keys, at most once every sweep_every in this process."""
        with self._sweeping:
            if self._last_sweep is not None and now - self._last_sweep < self.sweep_every:
                return
            self._last_sweep = now
        swept = self.store.sweep(now)
        if swept:
            log.info("%d expired idempotency keys deleted", swept)

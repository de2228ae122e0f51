"""Idempotency keys in the SQL database: taken by an INSERT, settled by the primary key."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from core.errors import IdempotencyKeyInUse
from core.ports import KeyRecord, StoredAnswer
from infra.db.schema import idempotency_keys as keys
from infra.db.values import to_db

RUNNING, DONE = "running", "done"
_TRIES = 3  # a key released or expired between a failed INSERT and its reading is taken again


class SqlIdempotencyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(
        self, scope: str, key: str, fingerprint: str, now: datetime, expires: datetime
    ) -> KeyRecord | None:
        for _ in range(_TRIES):
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(keys).values(
                            scope=scope,
                            idempotency_key=key,
                            fingerprint=fingerprint,
                            state=RUNNING,
                            created_at=to_db(now),
                            expires_at=to_db(expires),
                        )
                    )
                return None
            except IntegrityError:  # recorded already, or being recorded by another request
                pass
            with self.engine.begin() as conn:
                row = conn.execute(select(keys).where(*_key(scope, key))).first()
                if row is None:  # released meanwhile
                    continue
                if row.expires_at <= to_db(now):
                    conn.execute(
                        delete(keys).where(*_key(scope, key), keys.c.expires_at <= to_db(now))
                    )
                    continue
                return _record(row)
        raise IdempotencyKeyInUse(
            "this Idempotency-Key is being taken and released by other requests"
        )

    def finish(self, scope: str, key: str, answer: StoredAnswer) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(keys)
                .where(*_key(scope, key), keys.c.state == RUNNING)
                .values(
                    state=DONE,
                    status=answer.status,
                    body=answer.body,
                    headers=json.dumps(answer.headers),
                )
            )

    def release(self, scope: str, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(keys).where(*_key(scope, key), keys.c.state == RUNNING))

    def sweep(self, now: datetime) -> int:
        with self.engine.begin() as conn:
            swept = conn.execute(delete(keys).where(keys.c.expires_at < to_db(now)))
        return swept.rowcount or 0


def _key(scope: str, key: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return keys.c.scope == scope, keys.c.idempotency_key == key


def _record(row: Row[tuple[object, ...]]) -> KeyRecord:
    if row.state != DONE:
        return KeyRecord(row.fingerprint, None)
    headers = json.loads(row.headers or "{}")
    return KeyRecord(row.fingerprint, StoredAnswer(row.status, bytes(row.body or b""), headers))

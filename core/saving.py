"""Storing checked rows: new ids inserted, known ids compared, refused rows recorded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.errors import ConcurrentWrite
from core.ports import Origin, UnitOfWorkFactory
from domain.rejections import Reason, Rejection
from domain.summary import Summary
from domain.tables import TableSpec
from domain.validation import Candidate
from domain.validation_types import Values

ATTEMPTS = 3  # a chunk that met another writer's rows or locks is tried again


def save(
    uow_factory: UnitOfWorkFactory,
    spec: TableSpec,
    candidates: Sequence[Candidate],
    rejections: Sequence[Rejection],
    origin: Origin,
    summary: Summary,
) -> None:
    """Insert the new rows and record the rejections in one transaction, then count them.

    A row whose id is stored with the same values is `already_exists`; with other values it
    is rejected as a `conflict`: stored data is never overwritten.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            inserted, existing, refused = _save_once(
                uow_factory, spec, candidates, rejections, origin
            )
            break
        except ConcurrentWrite:
            if attempt == ATTEMPTS:
                raise
    summary.count(inserted, existing, sorted(refused, key=_position))


def _save_once(
    uow_factory: UnitOfWorkFactory,
    spec: TableSpec,
    candidates: Sequence[Candidate],
    rejections: Sequence[Rejection],
    origin: Origin,
) -> tuple[int, int, list[Rejection]]:
    refused = list(rejections)
    with uow_factory() as uow:
        ids = [c.values[0] for c in candidates]
        stored = uow.rows.existing(spec.name, ids) if candidates else {}
        if stored:
            new, same = [], 0
            for candidate, row_id in zip(candidates, ids, strict=True):
                values = stored.get(row_id)
                if values is None:
                    new.append(candidate.values)
                elif values == candidate.values:
                    same += 1
                else:
                    refused.append(_conflict(spec, candidate, values))
        else:  # the usual case of a load: every row is new
            new, same = [c.values for c in candidates], 0
        if new:
            uow.rows.insert(spec.name, new)
        if refused:
            uow.rejections.add(refused, origin)
        uow.commit()
    return len(new), same, refused


def partition(checked: Iterable[Candidate | Rejection]) -> tuple[list[Candidate], list[Rejection]]:
    """Rows that passed the rules, and rejections, in their order."""
    candidates: list[Candidate] = []
    rejections: list[Rejection] = []
    for item in checked:
        if isinstance(item, Candidate):
            candidates.append(item)
        else:
            rejections.append(item)
    return candidates, rejections


def _conflict(spec: TableSpec, candidate: Candidate, stored: Values) -> Rejection:
    differ = [
        name
        for name, mine, theirs in zip(spec.column_names, candidate.values, stored, strict=True)
        if mine != theirs
    ]
    return candidate.reject(
        Reason.CONFLICT,
        f"id {candidate.id} is stored with other values ({', '.join(differ)} differ)",
        field=differ[0],
    )


def _position(rejection: Rejection) -> int:
    return rejection.line if rejection.line is not None else rejection.index or 0

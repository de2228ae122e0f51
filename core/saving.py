"""Storing checked rows: new ids inserted, known ids compared, refused rows recorded."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence

from core.errors import ConcurrentWrite
from core.ports import AuditEntry, Origin, UnitOfWork, UnitOfWorkFactory
from domain.rejections import Reason, Rejection
from domain.reports import SUMMARISED, hire_counts
from domain.summary import Summary
from domain.tables import TableSpec
from domain.validation import Candidate, unknown_reference
from domain.validation_types import Values

ATTEMPTS = 5  # a chunk that met a deadlock the database broke is tried again
# The audit row of what a save stored, from its counts: inserted, already_exists, rejected.
Audited = Callable[[int, int, int], AuditEntry]


def known_references(uow_factory: UnitOfWorkFactory, spec: TableSpec) -> dict[str, set[int]]:
    """The ids of the tables that spec's columns refer to."""
    with uow_factory() as uow:
        return {c.references: uow.rows.ids(c.references) for c in spec.columns if c.references}


def save(
    uow_factory: UnitOfWorkFactory,
    spec: TableSpec,
    candidates: Sequence[Candidate],
    rejections: Sequence[Rejection],
    origin: Origin,
    summary: Summary,
    audited: Audited | None = None,
) -> None:
    """Insert the new rows and record the rejections in one transaction, then count them;
    the audit row of what was stored, if any, goes in the same transaction.

    A row whose id is stored with the same values is `already_exists`; with other values it
    is rejected as a `conflict`: stored data is never overwritten. The first attempt stores
    the rows in bulk; one that meets another writer's rows is done again row-safe, the
    database settling who stored each id first.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            inserted, existing, refused = _save_once(
                uow_factory, spec, candidates, rejections, origin, attempt > 1, audited
            )
            break
        except ConcurrentWrite:
            if attempt == ATTEMPTS:
                raise
            time.sleep(random.uniform(0, 0.02 * attempt))
    summary.count(inserted, existing, sorted(refused, key=_position))


def _save_once(
    uow_factory: UnitOfWorkFactory,
    spec: TableSpec,
    candidates: Sequence[Candidate],
    rejections: Sequence[Rejection],
    origin: Origin,
    careful: bool,
    audited: Audited | None = None,
) -> tuple[int, int, list[Rejection]]:
    refused = list(rejections)
    with uow_factory() as uow:
        referable = _still_referable(uow, spec, candidates, refused)
        new, same = _compare(uow, spec, referable, refused)
        if new and careful:
            inserted = uow.rows.insert_new(spec.name, [c.values for c in new])
            late = [c for c in new if c.id not in inserted]
            if late:  # stored by another writer meanwhile: compared like the others
                _, also_same = _compare(uow, spec, late, refused, stored_only=True)
                same += also_same
                new = [c for c in new if c.id in inserted]
        elif new:
            uow.rows.insert(spec.name, [c.values for c in new])
        if new and spec == SUMMARISED:
            uow.hire_counts.add(hire_counts(c.values for c in new))
        count = len(new)
        if refused:
            uow.rejections.add(refused, origin)
        if audited is not None:
            uow.audit.add(audited(count, same, len(refused)))
        uow.commit()
    return count, same, refused


def _compare(
    uow: UnitOfWork,
    spec: TableSpec,
    candidates: Sequence[Candidate],
    refused: list[Rejection],
    stored_only: bool = False,
) -> tuple[list[Candidate], int]:
    """The candidates whose ids are not stored, and how many are stored with their values.

    The others are refused as conflicts. With stored_only, every id must be stored.
    """
    if not candidates:
        return [], 0
    stored = uow.rows.existing(spec.name, [c.id for c in candidates])
    if not stored:  # the usual case of a load: every row is new
        if stored_only:
            raise ConcurrentWrite(f"rows of {spec.name} vanished while being stored")
        return list(candidates), 0
    new, same = [], 0
    for candidate in candidates:
        values = stored.get(candidate.id)
        if values is None:
            if stored_only:
                raise ConcurrentWrite(f"id {candidate.id} vanished while being stored")
            new.append(candidate)
        elif values == candidate.values:
            same += 1
        else:
            refused.append(_conflict(spec, candidate, values))
    return new, same


def _still_referable(
    uow: UnitOfWork, spec: TableSpec, candidates: Sequence[Candidate], refused: list[Rejection]
) -> Sequence[Candidate]:
    """The candidates whose references are stored now, in this transaction.

    They were checked against the ids read when the load or batch began; a restore since
    may have removed some. The others are refused as unknown references.
    """
    columns = [(i, c) for i, c in enumerate(spec.columns) if c.references]
    if not columns or not candidates:
        return candidates
    used = {column.name: {c.values[i] for c in candidates} for i, column in columns}
    present = {
        column.name: set(uow.rows.existing(column.references, used[column.name]))
        for _, column in columns
        if column.references
    }
    if all(used[c.name] <= present[c.name] for _, c in columns):
        return candidates  # the usual case: nothing removed since the check
    kept = []
    for candidate in candidates:
        missing = next(
            ((i, c) for i, c in columns if candidate.values[i] not in present[c.name]), None
        )
        if missing is None:
            kept.append(candidate)
        else:
            i, column = missing
            reason, message = unknown_reference(column, candidate.values[i])
            refused.append(candidate.reject(reason, message, field=column.name))
    return kept


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

"""Inserting a batch of JSON rows: each row checked on its own, the valid ones in one go."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

from core.audit import Action, Audit
from core.errors import InvalidBatch
from core.ports import AuditEntry, Origin, UnitOfWorkFactory
from core.saving import known_references, partition, save
from domain.summary import Summary
from domain.tables import table_spec
from domain.validation import RowChecker

MAX_BATCH_ROWS = 1000


@dataclass
class Batches:
    uow_factory: UnitOfWorkFactory

    def insert(self, table: str, rows: object, audit: Audit | None = None) -> tuple[str, Summary]:
        """Check and store 1 to 1000 rows; returns the batch id and a summary of every row.

        The audit row (target: the batch id; rows: its counts) is written with the rows.
        """
        spec = table_spec(table)
        if not isinstance(rows, list):
            raise InvalidBatch("'rows' must be a JSON array of row objects")
        if not 1 <= len(rows) <= MAX_BATCH_ROWS:
            raise InvalidBatch(
                f"a batch holds 1 to {MAX_BATCH_ROWS} rows, this one has {len(rows)}",
                {"rows": len(rows), "min": 1, "max": MAX_BATCH_ROWS},
            )
        batch_id = str(uuid.uuid4())
        checker = RowChecker(spec, known_references(self.uow_factory, spec))
        candidates, rejections = partition(checker.check_json(r, i) for i, r in enumerate(rows))
        summary = Summary(spec.name)
        origin = Origin(batch_id=batch_id)
        audited = None if audit is None else partial(_audit_entry, audit, batch_id)
        save(self.uow_factory, spec, candidates, rejections, origin, summary, audited)
        return batch_id, summary


def _audit_entry(
    audit: Audit, batch_id: str, inserted: int, existing: int, rejected: int
) -> AuditEntry:
    counts = {"inserted": inserted, "already_exists": existing, "rejected": rejected}
    return audit.entry(Action.BATCH, batch_id, counts)

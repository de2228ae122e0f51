"""Backups of tables to files, and restores that replace a table's rows atomically."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

from core.audit import Action, Audit
from core.errors import Conflict, InvalidBackup, LoadInProgress, NotFound
from core.ports import AuditLog, BackupStore, TaskStore, UnitOfWork, UnitOfWorkFactory
from core.tasks import ALL_TABLES
from domain.backups import BackupInfo, BackupMeta, RowDigest, backup_name, stored_problem
from domain.reports import SUMMARISED, hire_counts
from domain.seen_ids import SeenIds
from domain.tables import TABLES, TableSpec, load_order, table_spec
from domain.validation_types import Values

CHUNK_ROWS = 50_000


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Restored:
    table: str
    backup: str
    rows: int

    def as_dict(self) -> dict[str, object]:
        return {"table": self.table, "backup": self.backup, "rows": self.rows}


@dataclass
class _Restoring:
    """One backup file being restored: its rows so far, their ids and the ids they refer to."""

    spec: TableSpec
    name: str
    ids: set[int] = field(default_factory=set)
    refers: dict[str, set[int]] = field(default_factory=dict)
    rows: int = 0


@dataclass
class Backups:
    uow_factory: UnitOfWorkFactory
    store: BackupStore
    clock: Callable[[], datetime] = field(default=_now)
    tasks: TaskStore | None = None  # whose running loads a restore must not cut across
    audit_log: AuditLog | None = None  # where the rows of backups go

    def backup(self, tables: list[str], audit: Audit | None = None) -> list[BackupInfo]:
        """Write one backup per table, all from one consistent view of the database; then
        its audit row (rows: each table's)."""
        specs = [table_spec(t) for t in tables]
        created = self.clock()
        made = []
        with self.uow_factory(snapshot=True) as uow:
            for spec in specs:
                digest = RowDigest()
                for row in uow.rows.scan(spec.name):
                    digest.add(row)
                meta = BackupMeta(spec.name, digest.rows, digest.hexdigest(), created)
                name = backup_name(spec.name, created, uuid.uuid4().hex[:8])
                size = self.store.write(name, spec, meta, uow.rows.scan(spec.name))
                made.append(BackupInfo(name, size, meta))
        if audit is not None and self.audit_log is not None:
            rows = {b.meta.table: b.meta.rows for b in made}
            self.audit_log.add(audit.entry(Action.BACKUP, ",".join(rows), rows, self.clock()))
        return made

    def create_store(self) -> bool:
        """Create where backups are kept if it is missing; True if it was."""
        return self.store.create()

    def available(self, table: str | None = None) -> list[BackupInfo]:
        """Backups, newest first."""
        if table is not None:
            table_spec(table)
        found = [b for b in self.store.list() if table is None or b.meta.table == table]
        return sorted(found, key=lambda b: (b.meta.created_at, b.name), reverse=True)

    def restore(self, choices: dict[str, str | None], audit: Audit | None = None) -> list[Restored]:
        """Replace the rows of each table with those of its backup (the newest if None).

        In one transaction, the tables are emptied and each file's rows inserted as they are
        read and checked: of the right table and schema, each value of its column's kind,
        no id twice, row count and checksum as its header says, and no employee referring
        to a department or job the tables lack. Any failure leaves every table as it was.

        The transaction holds the tables alone: writes wait for it (or for as long as they
        may), and it for them. A restore under a running load of one of its tables is
        refused, so that the load's result stays true. The audit row (rows: each table's
        rows restored) is written in the same transaction.
        """
        specs = [table_spec(t) for t in load_order(TABLES.values()) if t in choices]
        for name in choices:
            table_spec(name)
        files = [(spec, choices[spec.name] or self._newest(spec.name)) for spec in specs]
        for spec, name in files:
            self._check_table(spec, name)
        restored, checked = [], {}
        with self.uow_factory(exclusive=True) as uow:
            self._check_no_load_runs([spec.name for spec in specs])
            for spec in reversed(specs):
                uow.rows.delete_all(spec.name)
                if spec == SUMMARISED:
                    uow.hire_counts.clear()
            for spec, name in files:
                checked[spec.name] = self._insert(uow, _Restoring(spec, name))
                restored.append(Restored(spec.name, name, checked[spec.name].rows))
            self._check_references(uow, checked)
            if audit is not None:
                rows = {r.table: r.rows for r in restored}
                uow.audit.add(audit.entry(Action.RESTORE, ",".join(rows), rows, self.clock()))
            uow.commit()
        return restored

    def _check_no_load_runs(self, tables: list[str]) -> None:
        """Refuse a restore of a table that a started load writes to.

        Called once writes are held: a load that starts later waits for the restore.
        """
        if self.tasks is None:
            return
        running = [
            t
            for t in self.tasks.unfinished()
            if t.state == "STARTED" and (t.table in tables or t.table == ALL_TABLES)
        ]
        if running:
            ids = [t.id for t in running]
            raise LoadInProgress(
                f"a load into {', '.join(sorted({t.table for t in running}))} is running "
                f"(task {', '.join(ids)}); restore once it has ended, or cancel it",
                {"tasks": ids},
            )

    def _newest(self, table: str) -> str:
        found = self.available(table)
        if not found:
            raise NotFound(f"there is no backup of {table}")
        return found[0].name

    def _check_table(self, spec: TableSpec, name: str) -> None:
        """Refuse, before any change, a file that is unreadable or a backup of another table."""
        with self.store.read(name) as file:
            meta = file.meta
        if meta.table != spec.name:
            raise InvalidBackup(f"{name} is a backup of {meta.table}, not of {spec.name}")

    def _verified_rows(
        self, spec: TableSpec, name: str, meta: BackupMeta, rows: Iterator[Values]
    ) -> Iterator[Values]:
        """The rows of a backup, checked one by one and, at the end, against its header."""
        digest, seen = RowDigest(), SeenIds()
        for values in rows:
            problem = stored_problem(spec, values)
            if problem is None and not seen.add(values[0]):
                problem = f"id {values[0]} appears twice"
            if problem is not None:
                raise InvalidBackup(f"{name}: row {digest.rows + 1}: {problem}")
            digest.add(values)
            yield values
        if digest.rows != meta.rows:
            raise InvalidBackup(f"{name} holds {digest.rows} rows, its header says {meta.rows}")
        if digest.hexdigest() != meta.sha256:
            raise InvalidBackup(f"{name}: the rows do not match the checksum in its header")

    def _check_references(self, uow: UnitOfWork, checked: dict[str, _Restoring]) -> None:
        """Refuse a restore after which a row would refer to an id its table lacks."""
        missing: dict[str, set[int]] = {}
        references = [(s.name, c.name, c.references) for s in TABLES.values() for c in s.columns]
        for table, column, target in references:
            if target is None or (table not in checked and target not in checked):
                continue
            available = checked[target].ids if target in checked else uow.rows.ids(target)
            if table in checked:
                referred = checked[table].refers[target]
            else:
                referred = uow.rows.referenced(table, column)
            if absent := referred - available:
                missing.setdefault(target, set()).update(absent)
        if missing:
            listed = {table: sorted(ids) for table, ids in missing.items()}
            described = "; ".join(
                f"{table} {', '.join(map(str, ids[:20]))}{' …' if len(ids) > 20 else ''}"
                for table, ids in listed.items()
            )
            raise Conflict(
                f"rows would refer to ids the restored tables lack ({described}); "
                "restore the tables together, or the referring table first",
                {"missing": listed},
            )

    def _insert(self, uow: UnitOfWork, restoring: _Restoring) -> _Restoring:
        """Insert the rows of a backup as they are checked; note their ids and references."""
        spec = restoring.spec
        references = [(i, c.references) for i, c in enumerate(spec.columns) if c.references]
        restoring.refers = {table: set() for _, table in references}
        keep_ids = any(spec.name in t.references for t in TABLES.values())
        with self.store.read(restoring.name) as file:
            rows = self._verified_rows(spec, restoring.name, file.meta, file.rows())
            while chunk := list(islice(rows, CHUNK_ROWS)):
                for values in chunk:
                    if keep_ids:
                        restoring.ids.add(values[0])
                    for position, table in references:
                        restoring.refers[table].add(values[position])
                uow.rows.insert(spec.name, chunk)
                if spec == SUMMARISED:
                    uow.hire_counts.add(hire_counts(chunk))
                restoring.rows += len(chunk)
        return restoring

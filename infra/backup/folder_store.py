"""Backups as files in a local folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import InvalidBackup, NotFound
from domain.backups import BackupInfo, BackupMeta
from domain.tables import TABLES, TableSpec
from domain.validation_types import Values
from infra.backup import avro_file
from infra.storage.names import checked_name


class FolderBackupStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, spec: TableSpec, meta: BackupMeta, rows: Iterable[Values]) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self._path(name)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".backup-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                avro_file.write(out, spec, meta, rows)
            os.link(temporary, target)  # fails rather than replace an existing backup
        finally:
            os.unlink(temporary)
        return target.stat().st_size

    @contextmanager
    def read(self, name: str) -> Iterator[avro_file.AvroBackupFile]:
        path = self._path(name)
        try:
            stream = path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"there is no backup named {name!r}") from None
        with stream:
            yield avro_file.AvroBackupFile(name, stream, TABLES)

    def list(self) -> list[BackupInfo]:
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.glob("*.avro")):
            try:
                with self.read(path.name) as file:
                    found.append(BackupInfo(path.name, path.stat().st_size, file.meta))
            except InvalidBackup:
                continue  # not one of ours: left alone, not listed
        return found

    def _path(self, name: str) -> Path:
        checked_name(name)
        if "/" in name or not name.endswith(".avro"):
            raise NotFound(f"there is no backup named {name!r}")
        return self.root / name

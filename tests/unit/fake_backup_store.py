"""A state-keeping fake of the BackupStore port: backups as lists of rows in a dict."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core.errors import NotFound
from domain.backups import BackupInfo, BackupMeta
from domain.tables import TableSpec
from domain.validation_types import Values


@dataclass
class FakeBackupFile:
    meta: BackupMeta
    stored: list[Values]

    def rows(self) -> Iterator[Values]:
        yield from self.stored


class FakeBackupStore:
    def __init__(self) -> None:
        self.files: dict[str, FakeBackupFile] = {}

    def write(self, name: str, spec: TableSpec, meta: BackupMeta, rows: Iterable[Values]) -> int:
        assert name not in self.files, f"{name} written twice"
        self.files[name] = FakeBackupFile(meta, list(rows))
        return 100 * len(self.files[name].stored)

    @contextmanager
    def read(self, name: str) -> Iterator[FakeBackupFile]:
        if name not in self.files:
            raise NotFound(f"no backup named {name!r}")
        yield self.files[name]

    def create(self) -> bool:
        return False

    def check(self) -> None:
        pass

    def list(self) -> list[BackupInfo]:
        return [BackupInfo(n, 100 * len(f.stored), f.meta) for n, f in self.files.items()]

"""Backups as files in a local folder."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import BackupStoreUnavailable, InvalidBackup, NotFound
from domain.backups import BackupInfo, BackupMeta
from domain.tables import TABLES, TableSpec
from domain.validation_types import Values
from infra.backup import avro_file
from infra.storage.names import checked_name

log = logging.getLogger(__name__)


class FolderBackupStore:
    """AVRO files in root, which the first backup creates. A root that cannot be used (not a
    folder, not writable) is BackupStoreUnavailable; its path and the system's message go to
    the log only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, spec: TableSpec, meta: BackupMeta, rows: Iterable[Values]) -> int:
        target = self._path(name)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".backup-", suffix=".part")
        except OSError as error:
            raise self._unavailable(error) from None
        try:
            with os.fdopen(fd, "wb") as out:
                avro_file.write(out, spec, meta, rows)
            os.link(temporary, target)  # fails rather than replace an existing backup
            return target.stat().st_size
        except FileExistsError:
            raise InvalidBackup(f"a backup named {name!r} exists already") from None
        except OSError as error:
            raise self._unavailable(error) from None
        finally:
            Path(temporary).unlink(missing_ok=True)

    @contextmanager
    def read(self, name: str) -> Iterator[avro_file.AvroBackupFile]:
        path = self._path(name)
        try:
            stream = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            self.check()
            raise NotFound(f"there is no backup named {name!r}") from None
        except OSError as error:
            raise self._unavailable(error) from None
        with stream:
            yield avro_file.AvroBackupFile(name, stream, TABLES)

    def list(self) -> list[BackupInfo]:
        self.check()
        if not self.root.exists():
            return []  # no backup made yet
        found = []
        try:
            paths = sorted(self.root.glob("*.avro"))
            for path in paths:
                try:
                    with self.read(path.name) as file:
                        found.append(BackupInfo(path.name, path.stat().st_size, file.meta))
                except (InvalidBackup, NotFound):
                    continue  # not one of ours, or deleted meanwhile: not listed
        except OSError as error:
            raise self._unavailable(error) from None
        return found

    def create(self) -> bool:
        """Create the folder if it is missing; True if it was created."""
        if self.root.is_dir():
            return False
        try:
            self.root.mkdir(parents=True)
        except OSError as error:
            raise self._unavailable(error) from None
        return True

    def check(self) -> None:
        """The folder, or the nearest folder above it that exists, can be written to."""
        folder = self.root.absolute()
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
            log.warning(
                "backup folder %s: %s is not a folder this process can write", self.root, folder
            )
            raise BackupStoreUnavailable()

    def _unavailable(self, error: OSError) -> BackupStoreUnavailable:
        log.warning("backup folder %s: %s", self.root, error)
        return BackupStoreUnavailable()

    def _path(self, name: str) -> Path:
        checked_name(name)
        if "/" in name or not name.endswith(".avro"):
            raise NotFound(f"there is no backup named {name!r}")
        return self.root / name

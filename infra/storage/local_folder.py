"""CSV files in a local folder."""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO

from core.errors import InvalidSourceName, SourceFileNotFound, SourceUnavailable
from infra.storage.names import checked_name

log = logging.getLogger(__name__)


class _Range(io.RawIOBase):
    """The next `length` bytes of a file."""

    def __init__(self, file: IO[bytes], length: int) -> None:
        self._file = file
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        data = self._file.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()


class LocalFolderCsvSource:
    """Files under root. A root that is not a folder (gone, unmounted, not readable) is
    SourceUnavailable; the path and the system's message go to the log, never to a client."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def open(
        self, name: str, start: int = 0, end: int | None = None
    ) -> AbstractContextManager[IO[bytes]]:
        path = self._path(name)
        try:
            file = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            self.check()
            raise SourceFileNotFound(f"{name} is not in the CSV source folder") from None
        except OSError as error:
            raise self._unavailable(error) from None
        file.seek(start)
        if end is None:
            return file
        return io.BufferedReader(_Range(file, end - start))

    def size(self, name: str) -> int:
        try:
            return self._path(name).stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            self.check()
            raise SourceFileNotFound(f"{name} is not in the CSV source folder") from None
        except OSError as error:
            raise self._unavailable(error) from None

    def exists(self, name: str) -> bool:
        path = self._path(name)
        self.check()
        return path.is_file()

    def save(self, name: str, stream: IO[bytes]) -> None:
        path = self._path(name)
        self.check()  # never create a missing source folder: it may be a volume not mounted
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        except OSError as error:
            raise self._unavailable(error) from None
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, 1024 * 1024)
            os.replace(temporary, path)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise self._unavailable(error) from None
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

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
        if not self.root.is_dir() or not os.access(self.root, os.R_OK | os.X_OK):
            log.warning("CSV source folder %s is missing, not a folder or not readable", self.root)
            raise SourceUnavailable()

    def _unavailable(self, error: OSError) -> SourceUnavailable:
        log.warning("CSV source folder %s: %s", self.root, error)
        return SourceUnavailable()

    def _path(self, name: str) -> Path:
        path = (self.root / checked_name(name)).resolve()
        if not path.is_relative_to(self.root):  # a link pointing out of the folder
            raise InvalidSourceName(f"{name!r} is not a file name inside the CSV source")
        return path

"""CSV files in an Azure Blob Storage container, read as a stream of chunks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing
from typing import IO

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContainerClient, LinearRetry

from core.errors import InvalidSourceName, SourceFileNotFound, SourceUnavailable
from infra.storage.names import checked_name

READ_BUFFER = 1024 * 1024
# Blobs are fetched in ranges of this size, so memory stays flat whatever the file's size.
CHUNK = 4 * 1024 * 1024
# A failed request is tried 3 more times, 0 to 2 s apart: an unreachable storage account is
# a 503 within seconds, where the SDK's default policy keeps a request waiting 90 s.
RETRIES = 3
RETRY_BACKOFF = 1
CONNECT_TIMEOUT = 5

log = logging.getLogger(__name__)


def container_client(connection_string: str, container: str) -> ContainerClient:
    """A client that fetches blobs in CHUNK-sized ranges and gives up within seconds."""
    return ContainerClient.from_connection_string(
        connection_string,
        container,
        max_single_get_size=CHUNK,
        max_chunk_get_size=CHUNK,
        retry_policy=LinearRetry(
            backoff=RETRY_BACKOFF, retry_total=RETRIES, random_jitter_range=RETRY_BACKOFF
        ),
        connection_timeout=CONNECT_TIMEOUT,
    )


def unreachable(container: ContainerClient, error: AzureError) -> None:
    """Log what failed: the container, its account's host and the SDK's message."""
    log.warning(
        "blob container %r at %s: %s: %s",
        container.container_name,
        container.primary_hostname,
        type(error).__name__,
        error,
    )


def guarded_chunks(
    container: ContainerClient, chunks: Iterator[bytes], unavailable: type[Exception]
) -> Iterator[bytes]:
    """The chunks of a download; the storage failing part way is `unavailable`, logged."""
    try:
        yield from chunks
    except AzureError as error:
        unreachable(container, error)
        raise unavailable() from None


class ChunkReader(io.RawIOBase):
    """A readable raw stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class BlobCsvSource:
    def __init__(self, container: ContainerClient) -> None:
        self.container = container

    @classmethod
    def from_connection_string(cls, connection_string: str, container: str) -> BlobCsvSource:
        return cls(container_client(connection_string, container))

    def open(
        self, name: str, start: int = 0, end: int | None = None
    ) -> AbstractContextManager[IO[bytes]]:
        blob = self.container.get_blob_client(checked_name(name))
        length = None if end is None else end - start
        if length == 0:
            return closing(io.BytesIO())
        try:
            offset = start if start or length is not None else None
            downloader = blob.download_blob(offset=offset, length=length)
        except ResourceNotFoundError:
            self.check()  # the container itself may be missing
            raise SourceFileNotFound(f"{name} is not in the blob container") from None
        except AzureError as error:
            unreachable(self.container, error)
            raise SourceUnavailable() from None
        chunks = guarded_chunks(self.container, downloader.chunks(), SourceUnavailable)
        reader = io.BufferedReader(ChunkReader(chunks), READ_BUFFER)
        return closing(reader)

    def size(self, name: str) -> int:
        try:
            properties = self.container.get_blob_client(checked_name(name)).get_blob_properties()
        except ResourceNotFoundError:
            self.check()  # the container itself may be missing
            raise SourceFileNotFound(f"{name} is not in the blob container") from None
        except AzureError as error:
            unreachable(self.container, error)
            raise SourceUnavailable() from None
        return int(properties.size)

    def exists(self, name: str) -> bool:
        try:
            found = bool(self.container.get_blob_client(checked_name(name)).exists())
        except AzureError as error:
            unreachable(self.container, error)
            raise SourceUnavailable() from None
        if not found:
            self.check()  # the container itself may be missing
        return found

    def save(self, name: str, stream: IO[bytes]) -> None:
        try:
            self.container.upload_blob(checked_name(name), stream, overwrite=False)
        except ResourceExistsError:
            raise InvalidSourceName(f"{name} exists already in the blob container") from None
        except AzureError as error:
            unreachable(self.container, error)
            raise SourceUnavailable() from None

    def delete(self, name: str) -> None:
        try:
            self.container.delete_blob(checked_name(name))
        except ResourceNotFoundError:
            pass
        except AzureError as error:
            raise SourceUnavailable(f"cannot delete {name}: {error}") from None

    def create(self) -> bool:
        """Create the container if it is missing; True if it was created."""
        try:
            self.container.create_container()
        except ResourceExistsError:
            return False
        return True

    def check(self) -> None:
        try:
            self.container.get_container_properties()
        except AzureError as error:
            unreachable(self.container, error)
            raise SourceUnavailable() from None

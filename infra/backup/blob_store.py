"""Backups as blobs in an Azure Blob Storage container."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContainerClient

from core.errors import BackupStoreUnavailable, InvalidBackup, NotFound
from domain.backups import BackupInfo, BackupMeta
from domain.tables import TABLES, TableSpec
from domain.validation_types import Values
from infra.backup import avro_file
from infra.storage.azure_blob import (
    READ_BUFFER,
    ChunkReader,
    container_client,
    guarded_chunks,
    unreachable,
)
from infra.storage.names import checked_name

SPOOL_IN_MEMORY = 8 * 1024 * 1024
HEADER_BYTES = 64 * 1024


class BlobBackupStore:
    """Backups in a container. Storage that cannot be reached, or a missing container, is
    BackupStoreUnavailable; the container, host and the SDK's message go to the log only."""

    def __init__(self, container: ContainerClient) -> None:
        self.container = container

    @classmethod
    def from_connection_string(cls, connection_string: str, container: str) -> BlobBackupStore:
        return cls(container_client(connection_string, container))

    def write(self, name: str, spec: TableSpec, meta: BackupMeta, rows: Iterable[Values]) -> int:
        """Spool the file (to disk past 8 MiB), then upload it in blocks."""
        blob = self._name(name)
        with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as spool:
            avro_file.write(spool, spec, meta, rows)
            size = spool.tell()
            spool.seek(0)
            try:
                self.container.upload_blob(blob, spool, length=size, overwrite=False)
            except ResourceExistsError:
                raise InvalidBackup(f"a backup named {name!r} exists already") from None
            except AzureError as error:
                raise self._unavailable(error) from None
        return size

    @contextmanager
    def read(self, name: str) -> Iterator[avro_file.AvroBackupFile]:
        try:
            downloader = self.container.get_blob_client(self._name(name)).download_blob()
        except ResourceNotFoundError:
            self.check()  # the container itself may be missing
            raise NotFound(f"there is no backup named {name!r}") from None
        except AzureError as error:
            raise self._unavailable(error) from None
        chunks = guarded_chunks(self.container, downloader.chunks(), BackupStoreUnavailable)
        with io.BufferedReader(ChunkReader(chunks), READ_BUFFER) as stream:
            yield avro_file.AvroBackupFile(name, stream, TABLES)

    def list(self) -> list[BackupInfo]:
        found = []
        try:
            for blob in self.container.list_blobs():
                if not blob.name.endswith(".avro"):
                    continue
                try:
                    head = self.container.download_blob(
                        blob.name, offset=0, length=HEADER_BYTES
                    ).readall()
                except ResourceNotFoundError:
                    continue  # deleted since it was listed
                try:
                    file = avro_file.AvroBackupFile(blob.name, io.BytesIO(head), TABLES)
                except InvalidBackup:
                    continue
                found.append(BackupInfo(blob.name, int(blob.size), file.meta))
        except AzureError as error:
            raise self._unavailable(error) from None
        return found

    def create(self) -> bool:
        """Create the container if it is missing; True if it was created."""
        try:
            self.container.create_container()
        except ResourceExistsError:
            return False
        except AzureError as error:
            raise self._unavailable(error) from None
        return True

    def check(self) -> None:
        try:
            self.container.get_container_properties()
        except AzureError as error:
            raise self._unavailable(error) from None

    def _unavailable(self, error: AzureError) -> BackupStoreUnavailable:
        unreachable(self.container, error)
        return BackupStoreUnavailable()

    @staticmethod
    def _name(name: str) -> str:
        checked_name(name)
        if "/" in name or not name.endswith(".avro"):
            raise NotFound(f"there is no backup named {name!r}")
        return name

"""Errors the use cases raise; the API turns each into a 4xx answer, or a 503 for Unavailable."""

from __future__ import annotations


class ServiceError(Exception):
    code = "error"
    retry_after: int | None = None  # seconds after which the same request may succeed

    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(ServiceError):
    code = "not_found"


class SourceFileNotFound(NotFound):
    code = "source_file_not_found"


class InvalidSourceName(ServiceError):
    code = "invalid_source_name"


class InvalidBatch(ServiceError):
    code = "invalid_batch"


class InvalidRequest(ServiceError):
    code = "invalid_request"


class Conflict(ServiceError):
    code = "conflict"


class InvalidIdempotencyKey(InvalidRequest):
    """An Idempotency-Key that is empty, longer than 255 characters or not printable ASCII."""

    code = "invalid_idempotency_key"


class IdempotencyKeyReused(ServiceError):
    """An Idempotency-Key sent before with another request (method, path or body)."""

    code = "idempotency_key_reused"


class IdempotencyKeyInUse(Conflict):
    """The first request sent with this Idempotency-Key has not been answered yet."""

    code = "idempotency_key_in_use"
    retry_after = 1


class InvalidState(Conflict):
    """The task is not in a state that allows what was asked (cancel a finished task...)."""

    code = "invalid_state"


class InvalidBackup(ServiceError):
    code = "invalid_backup"


class Unavailable(ServiceError):
    """A part the service depends on cannot be reached; the same request may succeed later."""

    code = "service_unavailable"
    retry_after = 5


class SourceUnavailable(Unavailable):
    """The CSV source cannot be reached; what failed (path, container, host) is in the log."""

    code = "source_unavailable"

    def __init__(self, message: str = "the CSV source is unreachable") -> None:
        super().__init__(message)


class DatabaseUnavailable(Unavailable):
    def __init__(self, message: str = "the database is unreachable") -> None:
        super().__init__(message)


class BackupStoreUnavailable(Unavailable):
    """The backup folder or container cannot be reached; what failed is in the log."""

    def __init__(self, message: str = "the backup store is unreachable") -> None:
        super().__init__(message)


class QueueUnavailable(Unavailable):
    def __init__(self, message: str = "the task queue is unreachable") -> None:
        super().__init__(message)


class ConcurrentWrite(Exception):
    """Another writer inserted one of the same ids first; the unit of work can be retried."""


class RestoreInProgress(ServiceError):
    """A restore holds the tables for longer than a write may wait for it."""

    code = "restore_in_progress"
    retry_after = 10


class WritesInProgress(ServiceError):
    """Writes hold the tables for longer than a restore may wait for them."""

    code = "writes_in_progress"
    retry_after = 10


class LoadInProgress(ServiceError):
    """A running load writes to a table that a restore would replace under it."""

    code = "load_in_progress"
    retry_after = 30

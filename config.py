"""Settings read from the environment (a .env file may supply them), each with a default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = PROJECT_DIR / "instance"
SAMPLE_DATA_DIR = PROJECT_DIR / "Documentation" / "sample_data"
DEFAULT_MAX_UPLOAD_MB = 200
LOG_FORMATS = ("json", "text")


class SettingsError(ValueError):
    """A setting has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'hr.sqlite3'}"
    csv_source_dir: Path = SAMPLE_DATA_DIR
    azure_storage_connection_string: str | None = None
    azure_storage_container: str = "hr-csv"
    backup_dir: Path = INSTANCE_DIR / "backups"
    azure_backup_container: str | None = None
    celery_broker_url: str | None = None
    celery_visibility_timeout: int = 3600
    api_keys: tuple[str, ...] = field(default=())
    load_part_mb: float = 0.0
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    lock_wait_seconds: float = 10.0
    max_record_kb: int = 64
    task_lease_seconds: float = 60.0
    load_retry_seconds: float = 300.0
    idempotency_ttl_hours: float = 24.0
    log_format: str = "json"  # or "text"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from environ; by default the process environment over a .env file."""
        if environ is None:
            from dotenv import dotenv_values

            file_values = dotenv_values(PROJECT_DIR / ".env")
            environ = {**{k: v for k, v in file_values.items() if v is not None}, **os.environ}

        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        defaults = cls()
        return cls(
            host=get("HOST") or defaults.host,
            port=_int("PORT", get("PORT"), defaults.port, 1, 65535),
            database_url=get("DATABASE_URL") or defaults.database_url,
            csv_source_dir=Path(get("CSV_SOURCE_DIR") or defaults.csv_source_dir),
            azure_storage_connection_string=get("AZURE_STORAGE_CONNECTION_STRING"),
            azure_storage_container=get("AZURE_STORAGE_CONTAINER")
            or defaults.azure_storage_container,
            backup_dir=Path(get("BACKUP_DIR") or defaults.backup_dir),
            azure_backup_container=get("AZURE_BACKUP_CONTAINER"),
            celery_broker_url=get("CELERY_BROKER_URL"),
            celery_visibility_timeout=_int(
                "CELERY_VISIBILITY_TIMEOUT",
                get("CELERY_VISIBILITY_TIMEOUT"),
                defaults.celery_visibility_timeout,
                1,
                7 * 24 * 3600,
            ),
            api_keys=tuple(k.strip() for k in (get("API_KEYS") or "").split(",") if k.strip()),
            load_part_mb=_float("LOAD_PART_MB", get("LOAD_PART_MB"), defaults.load_part_mb),
            max_upload_mb=_int(
                "MAX_UPLOAD_MB", get("MAX_UPLOAD_MB"), defaults.max_upload_mb, 1, 1 << 20
            ),
            lock_wait_seconds=_float(
                "LOCK_WAIT_SECONDS", get("LOCK_WAIT_SECONDS"), defaults.lock_wait_seconds
            ),
            max_record_kb=_int(
                "MAX_RECORD_KB", get("MAX_RECORD_KB"), defaults.max_record_kb, 1, 1 << 20
            ),
            task_lease_seconds=_float(
                "TASK_LEASE_SECONDS",
                get("TASK_LEASE_SECONDS"),
                defaults.task_lease_seconds,
                low=0.1,
            ),
            load_retry_seconds=_float(
                "LOAD_RETRY_SECONDS", get("LOAD_RETRY_SECONDS"), defaults.load_retry_seconds
            ),
            idempotency_ttl_hours=_float(
                "IDEMPOTENCY_TTL_HOURS",
                get("IDEMPOTENCY_TTL_HOURS"),
                defaults.idempotency_ttl_hours,
                low=0.01,
            ),
            log_format=_choice("LOG_FORMAT", get("LOG_FORMAT"), defaults.log_format, LOG_FORMATS),
        )


def _choice(name: str, value: str | None, default: str, choices: tuple[str, ...]) -> str:
    if value is None:
        return default
    if value.lower() not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value.lower()


def _float(name: str, value: str | None, default: float, low: float = 0) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {value!r}") from None
    if not low <= number <= 1 << 20:
        raise SettingsError(f"{name} must be between {low:g} and {1 << 20}, not {number}")
    return number


def _int(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {number}")
    return number

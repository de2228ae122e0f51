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
DEFAULT_RATE_LIMIT = "600 per minute"
# The roles of API keys, each allowed what the one before it is, and more.
ROLES = ("reader", "writer", "admin")


class SettingsError(ValueError):
    """A setting has a value the service cannot use."""


@dataclass(frozen=True)
class ApiKey:
    """A key accepted in X-API-Key: its name (for logs and the audit trail), the secret and
    the role it grants."""

    name: str
    secret: str = field(repr=False)
    role: str


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
    api_keys: tuple[ApiKey, ...] = field(default=())
    metrics_token: str | None = field(default=None, repr=False)
    rate_limit: str = DEFAULT_RATE_LIMIT
    rate_limit_storage_url: str | None = None
    cors_origins: tuple[str, ...] = ()
    load_part_mb: float = 0.0
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    lock_wait_seconds: float = 10.0
    max_record_kb: int = 64
    task_lease_seconds: float = 60.0
    load_retry_seconds: float = 300.0
    idempotency_ttl_hours: float = 24.0
    log_format: str = "json"  # or "text"

    def __post_init__(self) -> None:
        # Plain strings are keys of the plain list (writers), as API_KEYS takes them.
        if any(isinstance(key, str) for key in self.api_keys):
            entries = ",".join(k if isinstance(k, str) else _entry(k) for k in self.api_keys)
            object.__setattr__(self, "api_keys", parse_api_keys(entries, "api_keys"))
        _check_rate_limit(self.rate_limit)

    @property
    def rate_limit_storage(self) -> str:
        """Where the request counts of the rate limit are kept: RATE_LIMIT_STORAGE_URL, else
        the Celery broker when it is Redis (shared by every process), else in memory."""
        if self.rate_limit_storage_url:
            return self.rate_limit_storage_url
        broker = self.celery_broker_url or ""
        if broker.startswith(("redis://", "rediss://")):
            return broker
        return "memory://"

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
            api_keys=_api_keys(get("API_KEYS"), get("API_KEYS_FILE")),
            metrics_token=get("METRICS_TOKEN"),
            rate_limit=get("RATE_LIMIT") or defaults.rate_limit,
            rate_limit_storage_url=get("RATE_LIMIT_STORAGE_URL"),
            cors_origins=_origins(get("CORS_ORIGINS")),
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


def parse_api_keys(text: str, where: str = "API_KEYS") -> tuple[ApiKey, ...]:
    """Keys from `name:key:role` entries, or plain keys (writers named key-1, key-2, ...),
    separated by commas or lines; blank entries and lines starting with # are skipped."""
    keys: list[ApiKey] = []
    plain = 0
    for line in text.splitlines():
        if line.strip().startswith("#"):
            continue
        for entry in (e.strip() for e in line.split(",")):
            if not entry:
                continue
            parts = entry.split(":")
            if len(parts) == 1:
                plain += 1
                keys.append(ApiKey(f"key-{plain}", entry, "writer"))
                continue
            if len(parts) != 3 or not all(p.strip() for p in parts):
                raise SettingsError(
                    f"{where}: an entry is either a key or name:key:role, "
                    f"not one of {len(parts)} parts"
                )
            name, secret, role = (p.strip() for p in parts)
            if role not in ROLES:
                raise SettingsError(
                    f"{where}: the role of key {name!r} must be one of {', '.join(ROLES)}, "
                    f"not {role!r}"
                )
            keys.append(ApiKey(name, secret, role))
    for key in keys:
        if any(c.isspace() for c in key.secret):
            raise SettingsError(f"{where}: key {key.name!r} holds white space")
    names = [k.name for k in keys]
    if len(set(names)) != len(names):
        raise SettingsError(f"{where}: two keys have the same name")
    if len({k.secret for k in keys}) != len(keys):
        raise SettingsError(f"{where}: the same key is given twice")
    return tuple(keys)


def _origins(value: str | None) -> tuple[str, ...]:
    """The origins of CORS_ORIGINS: scheme, host and port only, such as https://bi.example.com."""
    origins = []
    for given in (o.strip() for o in (value or "").split(",")):
        if not given:
            continue
        origin = given.rstrip("/")
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest or "*" in rest:
            raise SettingsError(
                f"CORS_ORIGINS holds origins such as https://bi.example.com, not {given!r}"
            )
        origins.append(origin)
    return tuple(origins)


def _check_rate_limit(value: str) -> None:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise SettingsError(
            f"RATE_LIMIT must be limits such as '600 per minute' or '20/second; 1000/hour', "
            f"not {value!r}"
        ) from None


def _entry(key: ApiKey) -> str:
    return f"{key.name}:{key.secret}:{key.role}"


def _api_keys(listed: str | None, file: str | None) -> tuple[ApiKey, ...]:
    """The keys of API_KEYS and those of the file API_KEYS_FILE names, together."""
    text = listed or ""
    if file is not None:
        try:
            text += "\n" + Path(file).read_text(encoding="utf-8")
        except OSError as error:
            raise SettingsError(
                f"API_KEYS_FILE {file!r} cannot be read: {error.strerror}"
            ) from None
    where = " and ".join(n for n, v in (("API_KEYS", listed), ("API_KEYS_FILE", file)) if v)
    return parse_api_keys(text, where or "API_KEYS")


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

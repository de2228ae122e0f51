from pathlib import Path

import pytest

from config import INSTANCE_DIR, SAMPLE_DATA_DIR, Settings, SettingsError


def test_every_setting_has_a_default():
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.database_url == f"sqlite:///{INSTANCE_DIR / 'hr.sqlite3'}"
    assert settings.csv_source_dir == SAMPLE_DATA_DIR
    assert settings.celery_broker_url is None
    assert settings.api_keys == ()
    assert settings.max_upload_mb == 200
    assert settings.load_part_mb == 0
    assert settings.task_lease_seconds == 60
    assert settings.load_retry_seconds == 300
    assert settings.idempotency_ttl_hours == 24
    assert settings.log_format == "json"


def test_settings_come_from_the_environment():
    settings = Settings.from_env(
        {
            "HOST": "0.0.0.0",
            "PORT": "9000",
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "CSV_SOURCE_DIR": "/data/csv",
            "CELERY_BROKER_URL": "redis://r:6379/0",
            "API_KEYS": " a, b ,,c ",
            "MAX_UPLOAD_MB": "5",
            "LOAD_PART_MB": "64.5",
            "TASK_LEASE_SECONDS": "2.5",
            "LOAD_RETRY_SECONDS": "30",
            "IDEMPOTENCY_TTL_HOURS": "0.5",
            "LOG_FORMAT": "Text",
            "AZURE_STORAGE_CONTAINER": " ",
        }
    )
    assert (settings.host, settings.port, settings.database_url) == (
        "0.0.0.0",
        9000,
        "postgresql+psycopg://u@h/db",
    )
    assert settings.csv_source_dir == Path("/data/csv")
    assert settings.api_keys == ("a", "b", "c")
    assert (settings.max_upload_mb, settings.load_part_mb) == (5, 64.5)
    assert settings.azure_storage_container == "hr-csv"
    assert (settings.task_lease_seconds, settings.load_retry_seconds) == (2.5, 30)
    assert settings.idempotency_ttl_hours == 0.5
    assert settings.log_format == "text"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("PORT", "eighty", "PORT must be a whole number, not 'eighty'"),
        ("PORT", "70000", "PORT must be between 1 and 65535, not 70000"),
        ("MAX_UPLOAD_MB", "0", "MAX_UPLOAD_MB must be between"),
        ("LOAD_PART_MB", "-1", "LOAD_PART_MB must be between 0"),
        ("LOAD_PART_MB", "big", "LOAD_PART_MB must be a number, not 'big'"),
        ("CELERY_VISIBILITY_TIMEOUT", "0", "CELERY_VISIBILITY_TIMEOUT must be between"),
        ("TASK_LEASE_SECONDS", "0", "TASK_LEASE_SECONDS must be between 0.1 and"),
        ("LOAD_RETRY_SECONDS", "-5", "LOAD_RETRY_SECONDS must be between 0 and"),
        ("IDEMPOTENCY_TTL_HOURS", "0", "IDEMPOTENCY_TTL_HOURS must be between 0.01 and"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of json, text, not 'xml'"),
    ],
)
def test_a_bad_value_is_refused_with_its_name(name, value, words):
    with pytest.raises(SettingsError, match=words):
        Settings.from_env({name: value})

from pathlib import Path

import pytest

from config import INSTANCE_DIR, SAMPLE_DATA_DIR, ApiKey, Settings, SettingsError


def test_every_setting_has_a_default():
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.database_url == f"sqlite:///{INSTANCE_DIR / 'hr.sqlite3'}"
    assert settings.csv_source_dir == SAMPLE_DATA_DIR
    assert settings.celery_broker_url is None
    assert settings.api_keys == ()
    assert settings.metrics_token is None
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
    assert settings.api_keys == (
        ApiKey("key-1", "a", "writer"),
        ApiKey("key-2", "b", "writer"),
        ApiKey("key-3", "c", "writer"),
    )
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


def test_named_keys_have_roles_and_plain_ones_are_writers():
    settings = Settings.from_env(
        {
            "API_KEYS": "etl:k-etl:writer, bi:k-bi:reader,ops:k-ops:admin,k-plain",
            "METRICS_TOKEN": "t",
        }
    )
    assert settings.api_keys == (
        ApiKey("etl", "k-etl", "writer"),
        ApiKey("bi", "k-bi", "reader"),
        ApiKey("ops", "k-ops", "admin"),
        ApiKey("key-1", "k-plain", "writer"),
    )
    assert settings.metrics_token == "t"
    assert "k-etl" not in repr(settings)


def test_keys_come_from_a_file_too(tmp_path):
    secrets = tmp_path / "api_keys"
    secrets.write_text("# keys of the service\nbi:k-bi:reader\n\nops:k-ops:admin, k-plain\n")
    settings = Settings.from_env({"API_KEYS": "etl:k-etl:writer", "API_KEYS_FILE": str(secrets)})
    assert [(k.name, k.role) for k in settings.api_keys] == [
        ("etl", "writer"),
        ("bi", "reader"),
        ("ops", "admin"),
        ("key-1", "writer"),
    ]
    only_file = Settings.from_env({"API_KEYS_FILE": str(secrets)})
    assert len(only_file.api_keys) == 3


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"API_KEYS": "etl:k:owner"}, "role of key 'etl' must be one of reader, writer, admin"),
        ({"API_KEYS": "etl:k"}, "either a key or name:key:role"),
        ({"API_KEYS": "a:k1:reader,a:k2:admin"}, "two keys have the same name"),
        ({"API_KEYS": "a:k1:reader,b:k1:admin"}, "the same key is given twice"),
        ({"API_KEYS": "a::reader"}, "either a key or name:key:role"),
        ({"API_KEYS_FILE": "/no/such/file"}, "API_KEYS_FILE '/no/such/file' cannot be read"),
    ],
)
def test_bad_keys_are_refused_at_start(environ, words):
    with pytest.raises(SettingsError, match=words):
        Settings.from_env(environ)

"""Rate limits: RATE_LIMIT requests per key (per address without one), counted in memory or
in Redis (shared by every process); 429 too_many_requests with Retry-After; /health never
limited."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from config import Settings, SettingsError
from main import create_app
from tests.live_server import free_port


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The limits do not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'hr.sqlite3'}"


@pytest.fixture
def make_app(settings: Settings) -> Iterator[object]:
    apps: list[Flask] = []

    def make(**changes: object) -> Flask:
        app = create_app(replace(settings, **changes))  # type: ignore[arg-type]
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["hr_services"].close()


def names() -> tuple[str, str]:
    """Two key names of their own, so that counts kept in Redis by other runs never mix in."""
    run = uuid.uuid4().hex[:8]
    return f"etl-{run}", f"bi-{run}"


def keys(first: str, second: str) -> tuple[str, ...]:
    return (f"{first}:key-of-{first}:writer", f"{second}:key-of-{second}:reader")


def assert_too_many(response, limit: str = "3 per 1 minute") -> None:
    assert response.status_code == 429
    assert response.json["error"] == {
        "code": "too_many_requests",
        "message": f"more than {limit} requests; try again after Retry-After seconds",
        "details": {"limit": limit},
    }
    assert 1 <= int(response.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_each_key_has_its_own_count_and_health_is_never_limited(make_app, storage, request):
    first, second = names()
    changes: dict[str, object] = {"rate_limit": "3 per minute", "api_keys": keys(first, second)}
    if storage == "redis":
        changes["rate_limit_storage_url"] = request.getfixturevalue("redis_url")
    client = make_app(**changes).test_client()
    mine = {"X-API-Key": f"key-of-{first}"}
    for _ in range(3):
        assert client.get("/jobs", headers=mine).status_code == 200
    assert_too_many(client.get("/jobs", headers=mine))
    assert_too_many(client.post("/batch/jobs", json={"rows": [{"id": 1}]}, headers=mine))
    theirs = {"X-API-Key": f"key-of-{second}"}
    assert client.get("/departments", headers=theirs).status_code == 200
    for _ in range(10):
        assert client.get("/health").status_code == 200
    assert client.get("/metrics", headers=mine).status_code == 429


def test_without_a_key_requests_are_counted_by_address(make_app):
    client = make_app(rate_limit="2 per minute").test_client()
    one = {"REMOTE_ADDR": "10.0.0.1"}
    two = {"REMOTE_ADDR": "10.0.0.2"}
    assert [client.get("/jobs", environ_base=one).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert client.get("/jobs", environ_base=two).status_code == 200
    assert client.get("/health", environ_base=one).status_code == 200


def test_guessing_keys_is_limited_by_address(make_app):
    first, second = names()
    client = make_app(rate_limit="3 per minute", api_keys=keys(first, second)).test_client()
    guesses = [
        client.get("/jobs", headers={"X-API-Key": f"guess-{n}"}).status_code for n in range(4)
    ]
    assert guesses == [401, 401, 401, 429]


@pytest.mark.redis
def test_processes_sharing_redis_share_the_count(make_app, redis_url):
    first, second = names()
    shared = {
        "rate_limit": "3 per minute",
        "api_keys": keys(first, second),
        "rate_limit_storage_url": redis_url,
    }
    one, two = make_app(**shared).test_client(), make_app(**shared).test_client()
    mine = {"X-API-Key": f"key-of-{first}"}
    assert one.get("/jobs", headers=mine).status_code == 200
    assert two.get("/jobs", headers=mine).status_code == 200
    assert one.get("/jobs", headers=mine).status_code == 200
    assert_too_many(two.get("/jobs", headers=mine))
    assert_too_many(one.get("/jobs", headers=mine))
    # apart, in memory, each process would have counted only its own
    alone = make_app(rate_limit="3 per minute", api_keys=keys(first, second))
    assert alone.test_client().get("/jobs", headers=mine).status_code == 200


def test_an_unreachable_store_is_counted_in_memory_and_requests_go_on(make_app):
    store = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    client = make_app(rate_limit="2 per minute", rate_limit_storage_url=store).test_client()
    assert [client.get("/jobs").status_code for _ in range(3)] == [200, 200, 429]


def test_the_storage_is_redis_when_a_redis_url_is_configured():
    assert Settings().rate_limit_storage == "memory://"
    assert Settings().rate_limit == "600 per minute"
    broker = Settings(celery_broker_url="redis://broker:6379/0")
    assert broker.rate_limit_storage == "redis://broker:6379/0"
    tls = Settings(celery_broker_url="rediss://:k@cache:6380/0")
    assert tls.rate_limit_storage == "rediss://:k@cache:6380/0"
    assert Settings(celery_broker_url="amqp://rabbit//").rate_limit_storage == "memory://"
    chosen = Settings(
        celery_broker_url="redis://broker:6379/0", rate_limit_storage_url="redis://limits:6379/3"
    )
    assert chosen.rate_limit_storage == "redis://limits:6379/3"
    env = Settings.from_env({"RATE_LIMIT": "20/second; 1000/hour", "RATE_LIMIT_STORAGE_URL": "x"})
    assert (env.rate_limit, env.rate_limit_storage) == ("20/second; 1000/hour", "x")


def test_a_bad_rate_limit_is_refused_at_start():
    with pytest.raises(SettingsError, match="RATE_LIMIT must be limits such as"):
        Settings.from_env({"RATE_LIMIT": "lots"})


def test_every_operation_but_health_documents_the_429(make_app):
    spec = make_app().test_client().get("/openapi.json").json
    for path, item in spec["paths"].items():
        for operation in item.values():
            responses = operation["responses"]
            assert ("429" in responses) == (path != "/health"), path
            if path != "/health":
                assert "Retry-After" in responses["429"]["headers"]


def test_every_route_but_health_is_counted(make_app):
    from api.security import ROUTE_ROLES
    from tests.e2e.test_access import DECLARED_AHEAD, concrete

    client = make_app(rate_limit="1 per minute").test_client()
    for n, name in enumerate(sorted(set(ROUTE_ROLES) - DECLARED_AHEAD)):
        method, path = concrete(name)
        address = {"REMOTE_ADDR": f"10.1.0.{n + 1}"}
        client.open(path, method=method, environ_base=address)
        second = client.open(path, method=method, environ_base=address).status_code
        assert second == (200 if name == "GET /health" else 429), name

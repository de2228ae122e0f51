"""Access control: API keys with roles, the one table of route roles that the check, the
OpenAPI document and the README share, and the metrics token."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from api.security import (
    ADMIN,
    PUBLIC,
    RANK,
    READER,
    ROUTE_ROLES,
    UNDOCUMENTED,
    WRITER,
    Caller,
    route_name,
)
from config import Settings
from main import create_app
from tests.conftest import PROJECT

KEYS = {READER: "bi-secret-1", WRITER: "etl-secret-22", ADMIN: "ops-secret-333"}
API_KEYS = f"etl:{KEYS[WRITER]}:writer,bi:{KEYS[READER]}:reader,ops:{KEYS[ADMIN]}:admin"
METRICS_TOKEN = "scrape-token"
TASK_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
# Routes another part of the service adds; their role is declared already.
DECLARED_AHEAD = {"GET /audit"}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Access does not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'hr.sqlite3'}"


def keyed(settings: Settings, api_keys: str = API_KEYS, **changes: object) -> Flask:
    parsed = Settings.from_env({"API_KEYS": api_keys, "METRICS_TOKEN": METRICS_TOKEN})
    return create_app(
        replace(
            settings,
            api_keys=parsed.api_keys,
            metrics_token=parsed.metrics_token,
            **changes,  # type: ignore[arg-type]
        )
    )


@pytest.fixture
def keyed_app(settings: Settings) -> Iterator[Flask]:
    app = keyed(settings)
    yield app
    app.extensions["hr_services"].close()


@pytest.fixture
def keyed_client(keyed_app: Flask) -> FlaskClient:
    return keyed_app.test_client()


def served(app: Flask) -> set[str]:
    """Every route the app serves, as "METHOD /path"."""
    return {
        route_name(method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def concrete(name: str) -> tuple[str, str]:
    """A request for the route named "METHOD /path/{var}"."""
    method, path = name.split(" ", 1)
    path = (
        path.replace("{table}", "jobs")
        .replace("{task_id}", TASK_ID)
        .replace("{name}", "swagger-ui.css")
    )
    return method, path


def readme_roles() -> dict[str, str]:
    """The README's table of routes and roles: | `METHOD /path` | role |."""
    text = (PROJECT / "README.md").read_text()
    rows = re.findall(r"^\| `((?:GET|POST) /[^`]*)` \| (\w+) \|", text, flags=re.MULTILINE)
    table = dict(rows)
    assert len(table) == len(rows), "a route is listed twice"
    return table


def test_every_served_route_has_a_role_and_the_readme_and_openapi_say_the_same(
    keyed_app, keyed_client
):
    routes = served(keyed_app)
    assert routes <= set(ROUTE_ROLES), routes - set(ROUTE_ROLES)
    assert set(ROUTE_ROLES) - routes <= DECLARED_AHEAD
    assert readme_roles() == ROUTE_ROLES
    spec = keyed_client.get("/openapi.json").json
    documented = {
        f"{method.upper()} {path}": operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert set(documented) == routes - UNDOCUMENTED
    for name, operation in documented.items():
        role = ROUTE_ROLES[name]
        assert operation["x-role"] == role, name
        if role == PUBLIC:
            assert operation["security"] == [], name
            assert "401" not in operation["responses"], name
        else:
            assert {"ApiKey": []} in operation["security"], name
            assert {"401", "403"} <= set(operation["responses"]), name
    # Swagger's Authorize button: the key goes in the X-API-Key header
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert spec["paths"]["/metrics"]["get"]["security"] == [
        {"ApiKey": []},
        {"MetricsToken": []},
    ]


def test_roles_are_what_the_issue_says():
    assert {n for n, r in ROUTE_ROLES.items() if r == PUBLIC} == {
        "GET /health",
        "GET /health/ready",
        "GET /openapi.json",
        "GET /docs",
        "GET /docs/assets/docs-init.js",
        "GET /docs/assets/{name}",
        "GET /console/key",
        "POST /console/key",
    }
    reads = {"GET /departments", "GET /jobs", "GET /hired-employees", "GET /rejections"}
    reads |= {"GET /task-status/{task_id}", "GET /task-list"}
    reads |= {"GET /report/hired-by-quarter", "GET /report/hiring-above-average", "GET /"}
    assert {n for n, r in ROUTE_ROLES.items() if r == READER} == reads
    assert {n for n, r in ROUTE_ROLES.items() if r == WRITER} == {
        "POST /upload-files",
        "POST /upload/{table}",
        "POST /batch/{table}",
    }
    for name in ("POST /backup", "POST /restore", "POST /task/{task_id}/cancel", "GET /audit"):
        assert ROUTE_ROLES[name] == ADMIN
    assert ROUTE_ROLES["POST /task/{task_id}/retry"] == ADMIN


def answer(client: FlaskClient, name: str, key: str | None) -> int:
    method, path = concrete(name)
    headers = {"X-API-Key": key} if key is not None else {}
    kwargs: dict[str, object] = {}
    if name == "POST /batch/{table}":
        kwargs["json"] = {"rows": [{"id": 1, "job": "Analyst"}]}
    response = client.open(path, method=method, headers=headers, **kwargs)
    return response.status_code


@pytest.mark.parametrize("name", sorted(set(ROUTE_ROLES) - DECLARED_AHEAD))
def test_each_route_wants_its_role(keyed_client, name):
    needed = ROUTE_ROLES[name]
    without = answer(keyed_client, name, None)
    wrong = answer(keyed_client, name, "not-a-key")
    if needed == PUBLIC:
        assert without not in (401, 403)
        return
    refused = 303 if name == "GET /" else 401  # a person on the console: to the key form
    assert (without, wrong) == (refused, refused)
    for role, key in KEYS.items():
        status = answer(keyed_client, name, key)
        if RANK[role] >= RANK[needed]:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


def test_401_and_403_answers_say_what_is_missing(keyed_client):
    missing = keyed_client.get("/hired-employees")
    assert missing.status_code == 401
    assert missing.json["error"]["code"] == "unauthorized"
    assert "X-API-Key" in missing.headers["WWW-Authenticate"]
    low = keyed_client.post("/backup", headers={"X-API-Key": KEYS[WRITER]})
    assert low.status_code == 403
    assert low.json["error"] == {
        "code": "forbidden",
        "message": "this route needs a key of role admin; key 'etl' is a writer",
        "details": {"needed": "admin", "role": "writer"},
    }
    assert KEYS[WRITER] not in low.get_data(as_text=True)


@pytest.mark.parametrize(
    "query", ["api_key", "apiKey", "X-API-Key", "key", "token", "access_token"]
)
def test_a_key_in_the_query_string_is_never_taken(keyed_client, query):
    response = keyed_client.get("/hired-employees", query_string={query: KEYS[ADMIN]})
    assert response.status_code == 401


def test_a_key_of_another_length_or_case_is_refused(keyed_client):
    for given in (KEYS[ADMIN][:-1], KEYS[ADMIN] + "x", KEYS[ADMIN].upper(), "", " "):
        assert keyed_client.get("/jobs", headers={"X-API-Key": given}).status_code == 401


def test_the_caller_is_on_flask_g(keyed_app):
    for headers, expected in (
        ({"X-API-Key": KEYS[READER]}, Caller("bi", "reader")),
        ({"X-API-Key": KEYS[ADMIN]}, Caller("ops", "admin")),
        ({"X-API-Key": "nope"}, Caller(None, None)),
        ({}, Caller(None, None)),
    ):
        with keyed_app.test_request_context("/jobs", headers=headers):
            keyed_app.preprocess_request()
            assert g.caller == expected


def test_without_keys_every_route_is_open_and_the_caller_is_nobody(app, client):
    assert client.get("/hired-employees").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.post("/backup").status_code == 201
    with app.test_request_context("/jobs", headers={"X-API-Key": "anything"}):
        app.preprocess_request()
        assert g.caller == Caller(None, None)


def test_the_plain_list_of_keys_are_writers_named_by_position(settings):
    app = keyed(settings, api_keys="first-key, second-key")
    try:
        client = app.test_client()
        with app.test_request_context("/jobs", headers={"X-API-Key": "second-key"}):
            app.preprocess_request()
            assert g.caller == Caller("key-2", "writer")
        batch = {"rows": [{"id": 1, "job": "Analyst"}]}
        headers = {"X-API-Key": "first-key"}
        assert client.post("/batch/jobs", json=batch, headers=headers).status_code == 200
        assert client.get("/jobs", headers=headers).status_code == 200
        assert client.post("/backup", headers=headers).status_code == 403
    finally:
        app.extensions["hr_services"].close()


def test_metrics_take_their_token_or_an_admin_key(keyed_client):
    def get(headers: dict[str, str]) -> int:
        return keyed_client.get("/metrics", headers=headers).status_code

    assert get({}) == 401
    assert get({"Authorization": f"Bearer {METRICS_TOKEN}"}) == 200
    assert get({"Authorization": "Bearer wrong"}) == 401
    assert get({"Authorization": f"Basic {METRICS_TOKEN}"}) == 401
    assert get({"X-API-Key": KEYS[WRITER]}) == 403
    assert get({"X-API-Key": KEYS[ADMIN]}) == 200
    assert keyed_client.get("/metrics").headers["WWW-Authenticate"].startswith("Bearer")


def test_a_metrics_token_alone_guards_the_metrics(settings):
    app = create_app(replace(settings, metrics_token=METRICS_TOKEN))
    try:
        client = app.test_client()
        assert client.get("/metrics").status_code == 401
        bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        assert client.get("/metrics", headers=bearer).status_code == 200
        assert client.get("/jobs").status_code == 200  # no key configured: the rest is open
    finally:
        app.extensions["hr_services"].close()


def test_readiness_and_the_documents_answer_without_a_key(keyed_client):
    ready = keyed_client.get("/health/ready")
    assert (ready.status_code, set(ready.json)) == (200, {"status", "checks", "down"})
    for path in ("/health", "/openapi.json", "/docs", "/docs/assets/swagger-ui-bundle.js"):
        assert keyed_client.get(path).status_code == 200, path


def test_the_postman_collection_sends_the_key_with_every_request():
    collection = json.loads((PROJECT / "Documentation" / "postman_collection.json").read_text())
    assert {"key": "apiKey", "value": ""} in collection["variable"]
    for item in collection["item"]:
        assert {"key": "X-API-Key", "value": "{{apiKey}}"} in item["request"]["header"], item[
            "name"
        ]


def test_the_console_takes_a_key_in_its_form_and_offers_what_its_role_allows(keyed_client):
    first = keyed_client.get("/")
    assert (first.status_code, first.headers["Location"]) == (303, "/console/key")
    form = keyed_client.get("/console/key")
    assert form.status_code == 200
    assert '<input id="key" name="key" type="password"' in form.get_data(as_text=True)

    wrong = keyed_client.post("/console/key", data={"key": "not-a-key"})
    assert wrong.status_code == 400
    assert "that is not a valid key" in wrong.get_data(as_text=True)
    elsewhere = keyed_client.post(
        "/console/key", data={"key": KEYS[READER]}, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 400
    assert keyed_client.post("/console/key", json={"key": KEYS[READER]}).status_code == 415

    taken = keyed_client.post("/console/key", data={"key": KEYS[READER]})
    assert (taken.status_code, taken.headers["Location"]) == (303, "/")
    cookie = taken.headers["Set-Cookie"]
    assert cookie.startswith("hr_api_key=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = keyed_client.get("/")
    assert page.status_code == 200
    assert 'action="/restore/jobs"' not in page.get_data(as_text=True)  # a reader: no restore
    assert keyed_client.get("/hired-employees").status_code == 200  # its requests carry it
    assert keyed_client.post("/backup").status_code == 403

    forgotten = keyed_client.post("/console/key", data={"key": ""})
    assert forgotten.status_code == 303
    assert keyed_client.get("/").status_code == 303

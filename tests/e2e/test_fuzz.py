"""The API fuzzed from its own OpenAPI document with schemathesis, on SQLite and PostgreSQL.

Every operation of /openapi.json gets requests generated from its parameters and bodies:
valid ones (positive) and ones that break the document (negative), a bounded and repeatable
number of each: hypothesis runs derandomized, with no example database, so every run sends
the same requests. Requests carry a configured admin key (and schemathesis checks that the
routes which need one refuse a request without it). No answer may be a 5xx, and every
answer must be documented: its status code, content type, headers and body; valid requests
must be accepted and invalid ones refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config import Settings
from main import create_app

KEY = "fuzz-key"
EXAMPLES = 15  # per operation and generation mode: about 600 requests a database
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    missing_required_header,
    ignored_auth,
]
EXCLUDED = {
    # Any bytes are a CSV file to load: a file whose rows break the data rules is loaded
    # with those rows rejected, not refused, so a body the generator deems invalid (a 'file'
    # part that is not binary, a text/csv body of any text) is rightly accepted.
    "POST /upload/{table}": [negative_data_rejection],
    # The console is a page for people: a request without a key is sent to the key form
    # (303), not refused; every other route refuses it with a 401.
    "GET /": [negative_data_rejection],
    # A key the generator makes up is not a valid key: the form answers 400, rightly.
    "POST /console/key": [positive_data_acceptance],
}


@pytest.fixture
def fuzzed_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(settings, api_keys=(f"fuzz:{KEY}:admin",)))
    yield app  # not in testing mode: errors are answered as in production, never raised here
    app.extensions["hr_services"].close()


def test_every_operation_answers_as_documented_and_never_with_a_5xx(fuzzed_app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = {
        f"{method.upper()} {path}"
        for path, item in schema.raw_schema["paths"].items()
        for method in item
    }
    # schemathesis leaves out the operation that serves the document it was loaded from
    assert {o.label for o in operations} == documented - {"GET /openapi.json"}
    failures: list[str] = []
    statuses: set[int] = set()
    unbreakable = set()
    for operation in operations:
        failures += fuzz(operation, GenerationMode.POSITIVE, statuses)
        try:
            failures += fuzz(operation, GenerationMode.NEGATIVE, statuses)
        except hypothesis.errors.Unsatisfiable:
            unbreakable.add(operation.label)
    assert not failures, "\n\n".join(failures[:20])
    # No request breaks these documents: they take no parameter and no key. (The others that
    # take no parameter, or a task id, which takes any text but NUL, need a key: a request
    # without one breaks them.)
    # Nor the console's key form, which takes any form and no key.
    assert unbreakable == {
        "GET /health",
        "GET /health/ready",
        "GET /docs",
        "GET /console/key",
        "POST /console/key",
    }
    # the run reached past the checks of parameters to the work itself
    assert {200, 201, 202, 400, 401, 404} <= statuses


def fuzz(
    operation: schemathesis.APIOperation, mode: GenerationMode, statuses: set[int]
) -> list[str]:
    failures: list[str] = []
    excluded = EXCLUDED.get(operation.label, [])

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers={"X-API-Key": KEY})
        statuses.add(response.status_code)
        skipped = excluded
        if key_sent_before(response):
            # The generated Idempotency-Key went with another request earlier in the run: a
            # valid request, rightly refused (422 idempotency_key_reused).
            skipped = [*excluded, positive_data_acceptance]
        try:
            case.validate_response(
                response, checks=CHECKS, excluded_checks=skipped, headers={"X-API-Key": KEY}
            )
        except schemathesis.errors.FailureGroup as error:
            failures.append(f"{operation.label} ({mode.value}): {error}")

    run()
    return failures


def key_sent_before(response: Any) -> bool:
    if response.status_code != 422:
        return False
    try:
        return bool(response.json()["error"]["code"] == "idempotency_key_reused")
    except (ValueError, KeyError, TypeError):
        return False
